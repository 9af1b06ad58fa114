//! Unit tests of config parsing and validation.

use super::*;
use std::path::Path;

fn errors_of(text: &str) -> Vec<String> {
    match parse(text, Path::new("t.toml")) {
        Ok(_) => vec![],
        Err(e) => e.to_string().lines().map(str::to_string).collect(),
    }
}

const GOOD: &str = r#"
[server]
listen = "127.0.0.1:0"

[delivery]
allow_targets = ["127.0.0.0/8"]

[[listener]]
id = "l1"
provider = "hostaway"
account_id = "acc"
allowed_ips = ["127.0.0.1/32"]
event_subscription = { "reservation.created" = true, "*" = false }

[[listener.receiver]]
url = "http://127.0.0.1:9/hook"
"#;

#[test]
fn good_file_parses() {
    let c = parse(GOOD, Path::new("t.toml")).unwrap();
    assert_eq!(c.listeners.len(), 1);
    let l = &c.listeners[0];
    assert!(l.subscribes(Some("reservation.created")));
    assert!(!l.subscribes(Some("reservation.updated")));
    assert!(!l.subscribes(None));
    assert_eq!(c.delivery.retry_schedule.len(), 8);
}

#[test]
fn bad_cidr_names_line_column_and_key() {
    let text = GOOD.replace("127.0.0.1/32", "127.0.0.300/32");
    let errs = errors_of(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("t.toml:12:16: listener[0].allowed_ips[0]:"),
        "{}",
        errs[0]
    );
}

#[test]
fn unknown_key_is_named() {
    let text = GOOD.replace("[delivery]", "[delivery]\nretries = 3");
    let errs = errors_of(&text);
    assert!(errs[0].contains(": retries: unknown field"), "{errs:?}");
    assert!(errs[0].starts_with("t.toml:6:1:"), "{errs:?}");
}

#[test]
fn every_error_is_listed() {
    let text = GOOD
        .replace("\"hostaway\"", "\"nope\"")
        .replace("http://127.0.0.1:9/hook", "http://10.0.0.1/hook")
        .replace("127.0.0.1:0", "not-an-address");
    let errs = errors_of(&text);
    assert_eq!(errs.len(), 3, "{errs:?}");
}

#[test]
fn missing_env_secret_is_an_error() {
    let text = GOOD.replace(
        "allowed_ips",
        "verify_secret = { env = \"HOOKGATE_TEST_SURELY_UNSET\" }\nallowed_ips",
    );
    let errs = errors_of(&text);
    assert!(errs[0].contains("HOOKGATE_TEST_SURELY_UNSET"), "{errs:?}");
}

#[test]
fn duplicate_ids_and_pairs_are_errors() {
    let second = GOOD.split("[[listener]]").nth(1).unwrap();
    let text = format!("{GOOD}\n[[listener]]{second}");
    let errs = errors_of(&text);
    assert_eq!(errs.len(), 2, "{errs:?}");
}

#[test]
fn private_receiver_refused_without_allow_targets() {
    let text = GOOD.replace("allow_targets = [\"127.0.0.0/8\"]", "");
    let errs = errors_of(&text);
    assert!(errs[0].contains("loopback"), "{errs:?}");
}
