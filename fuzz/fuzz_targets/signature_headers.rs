//! Every signature scheme's header parsing and verification: `secret \0 header lines \0 body`.
//! Verification may fail; it must never panic.
#![no_main]

mod common;

use hookgate::signature::{verify, Scheme};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let [secret, lines, body] = common::fields::<3>(data);
    let secret = String::from_utf8_lossy(secret);
    let headers = common::headers(lines);
    for name in [
        "none",
        "basic",
        "hmac-sha256",
        "github",
        "stripe",
        "shopify",
        "slack",
        "standard-webhooks",
    ] {
        let scheme = Scheme::parse(name, Some("X-Signature")).expect("known scheme");
        let _ = verify(&scheme, &secret, &headers, body, NOW);
    }
});
