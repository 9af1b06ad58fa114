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

#[test]
fn each_instance_takes_its_share_of_a_receiver_rate_limit() {
    let limit = RateLimit {
        per_second: 10,
        burst: 4,
    };
    assert_eq!(share_of(limit, 1), limit);
    let third = share_of(limit, 3);
    assert_eq!((third.per_second, third.burst), (4, 2));
    // Never below one request.
    let many = share_of(limit, 50);
    assert_eq!((many.per_second, many.burst), (1, 1));
}

#[test]
fn a_new_instance_count_remakes_receiver_limiters_but_not_listener_ones() {
    let text = "[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n\n[[listener.receiver]]\nurl = \"http://127.0.0.1:9/r\"\nrate_limit = { per_second = 6 }\n";
    let registry = Registry::new(config(text), Vec::new());
    let receiver = |r: &Registry| {
        r.load()
            .receiver("file", "http://127.0.0.1:9/r")
            .unwrap()
            .limiter
            .clone()
            .unwrap()
    };
    let inbound = |r: &Registry| r.load().listener("file").unwrap().limiter.clone().unwrap();
    let (before, inbound_before) = (receiver(&registry), inbound(&registry));
    registry.set_instances(1);
    assert!(
        Arc::ptr_eq(&before, &receiver(&registry)),
        "unchanged count"
    );
    registry.set_instances(3);
    assert!(
        !Arc::ptr_eq(&before, &receiver(&registry)),
        "share not taken"
    );
    assert!(Arc::ptr_eq(&inbound_before, &inbound(&registry)));
}
