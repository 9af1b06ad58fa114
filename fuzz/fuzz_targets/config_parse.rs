//! The config loader on any text: located errors or a config, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = hookgate::config::parse(text, std::path::Path::new("/nonexistent/fuzz.toml"));
    }
});
