//! SPEC section 12: provider handshakes and custom answers.

mod answers;
mod providers;
