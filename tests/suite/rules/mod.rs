//! SPEC section 13: receiver rules (`filter`, `transform`) and `hookgate preview`.

mod config;
mod filter;
mod preview;
mod transform;
