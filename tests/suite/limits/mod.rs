//! SPEC section 9, the config and management API side: number and duration ranges, receivers
//! per listener, secrets and their files, URLs with user info, the OAuth token URL, masking of
//! receiver headers, `secret_required`, and a reload that cannot hold up a stop.

mod api;
mod config;
mod reload;
