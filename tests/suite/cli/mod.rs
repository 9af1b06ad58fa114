//! SPEC section 1: the commands besides `serve` — `check`, `replay` and `sink`, run as the real
//! binary on loopback ports and spoken to over HTTP, as a user would.

mod check;
mod replay;
mod sink;

use std::time::UNIX_EPOCH;

const BIN: &str = env!("CARGO_BIN_EXE_hookgate");
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn now() -> i64 {
    UNIX_EPOCH.elapsed().unwrap().as_secs() as i64
}
