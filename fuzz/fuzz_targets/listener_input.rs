//! The management API's listener body: any bytes as the JSON of a create (POST), read and
//! validated under `gateway.toml` as the API does it. Either a listener, or problems that each
//! name a field; a listener, shown masked as a GET shows it and sent back as a PUT, is the same
//! listener, and the document the store keeps rebuilds it as a restart does.
#![no_main]

mod gateway;

use hookgate::fuzzing::{read_listener, Refused};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const ID: &str = "3f0c1e2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

fn config() -> &'static hookgate::config::Config {
    static CONFIG: OnceLock<hookgate::config::Config> = OnceLock::new();
    CONFIG.get_or_init(gateway::config)
}

/// A refusal names a field and says what is wrong with it.
fn located(refused: &Refused) {
    assert!(
        matches!(refused.code, "invalid_request" | "secret_required"),
        "{refused:?}"
    );
    assert!(!refused.problems.is_empty(), "{refused:?}");
    for p in &refused.problems {
        assert!(!p.field.is_empty() && !p.message.is_empty(), "{refused:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let config = config();
    let made = match read_listener(data, ID, None, config) {
        Ok(made) => made,
        Err(refused) => return located(&refused),
    };
    let shown = serde_json::to_vec(&made.rendered(&config.server.public_url)).unwrap();
    match read_listener(&shown, ID, Some(&made), config) {
        Ok(again) => assert_eq!(again.document(), made.document(), "sent back as a PUT"),
        Err(refused) => panic!("the GET answer, sent back, is refused: {refused:?}"),
    }
    if let Err(refused) = made.rebuilt(config) {
        panic!("the stored document does not rebuild the listener: {refused:?}");
    }
});
