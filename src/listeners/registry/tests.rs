//! Unit tests of `registry`.

use super::*;
use std::path::Path;

fn config(extra: &str) -> Config {
    let text = format!(
        "[[listener]]\nid = \"file\"\nprovider = \"smoobu\"\naccount_id = \"acc\"\nrate_limit = {{ per_second = 1 }}\n{extra}"
    );
    crate::config::parse(&text, Path::new("t.toml")).unwrap()
}

fn api(id: &str, account: &str) -> Arc<ListenerSpec> {
    let mut spec = (*config("").listeners[0]).clone();
    spec.id = id.into();
    spec.account_id = account.into();
    Arc::new(spec)
}

#[test]
fn a_reload_keeps_api_listeners_and_unchanged_limiters() {
    let registry = Registry::new(config(""), Vec::new());
    registry.upsert_api_listener(api("api-1", "acc-api"));
    let limiter = registry
        .load()
        .listener("file")
        .unwrap()
        .limiter
        .clone()
        .unwrap();
    // `None`: the API listeners could not be read again, so the ones in service stay.
    registry.replace(
        config("[[listener]]\nid = \"new\"\nprovider = \"smoobu\"\naccount_id = \"acc-new\"\n"),
        None,
    );
    let snap = registry.load();
    assert!(
        snap.route("smoobu/acc-api").is_some(),
        "API listener dropped by a reload"
    );
    assert!(snap.route("smoobu/acc-new").is_some());
    assert!(snap.is_api_listener("api-1") && !snap.is_api_listener("file"));
    let kept = snap.listener("file").unwrap().limiter.clone().unwrap();
    assert!(
        Arc::ptr_eq(&limiter, &kept),
        "an unchanged limit got a new limiter"
    );
    registry.remove_api_listener("api-1");
    assert!(registry.load().route("smoobu/acc-api").is_none());
}

#[test]
fn the_file_wins_a_clash_with_an_api_listener() {
    let registry = Registry::new(config(""), vec![api("api-1", "acc"), api("file", "other")]);
    let snap = registry.load();
    assert_eq!(snap.route("smoobu/acc").unwrap().spec.id, "file");
    assert!(snap.route("smoobu/other").is_none());
    assert!(!snap.is_api_listener("api-1"));
}
