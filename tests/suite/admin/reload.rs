//! Live reconfiguration: `listeners.toml` read again on SIGHUP (and on change), atomically, with
//! API listeners, rate-limit state and pending deliveries kept; a broken file changes nothing.

use crate::common::admin::{get, listener_path, send, TOKENS};
use crate::common::{post, wait_until, Gateway, Receiver};
use serde_json::json;
use std::time::{Duration, Instant};

fn file(receiver: &str, extra: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["1s"]
max_retry_count = 3
{TOKENS}
[[listener]]
id = "a"
provider = "smoobu"
account_id = "acc-a"

[[listener.receiver]]
url = "{receiver}"

[[listener]]
id = "limited"
provider = "smoobu"
account_id = "acc-limited"
rate_limit = {{ per_second = 1, burst = 2 }}
{extra}"#
    )
}

const LISTENER_B: &str = r#"
[[listener]]
id = "b"
provider = "smoobu"
account_id = "acc-b"
"#;

/// Rewrites the gateway's config file (with its store URL filled in).
fn rewrite(gw: &Gateway, text: &str) {
    gw.rewrite_config(text);
}

async fn status(gw: &Gateway, account: &str) -> u16 {
    post(
        gw.public,
        &gw.url(&format!("smoobu/{account}")),
        &[],
        r#"{"action":"newReservation"}"#,
    )
    .await
    .status
    .as_u16()
}

#[tokio::test]
async fn sighup_brings_a_new_listener_live_within_a_second_and_keeps_api_listeners() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&file(&receiver.url("/r"), ""));
    let made = send(
        gw.admin,
        "POST",
        &listener_path(""),
        &json!({"provider": "smoobu", "integrationAccountId": "acc-api", "receiverUrl": receiver.url("/api")}),
    )
    .await;
    assert_eq!(made.status, 201);
    assert_eq!(status(&gw, "acc-b").await, 404);

    rewrite(&gw, &file(&receiver.url("/r"), LISTENER_B));
    let sent = Instant::now();
    gw.signal("HUP");
    let mut live = false;
    while sent.elapsed() < Duration::from_secs(1) {
        if status(&gw, "acc-b").await == 200 {
            live = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(live, "listener b not live within a second of SIGHUP");
    // The file's other listener and the API listener are still in service.
    assert_eq!(status(&gw, "acc-a").await, 200);
    assert_eq!(status(&gw, "acc-api").await, 200);
    assert!(
        wait_until(Duration::from_secs(5), || receiver
            .received()
            .iter()
            .any(|r| r.path == "/api"))
        .await
    );
    let b = get(gw.admin, &listener_path("b")).await.json();
    assert_eq!(b["managedBy"], "config");
    // Removing a listener from the file takes its URL away.
    rewrite(&gw, &file(&receiver.url("/r"), ""));
    gw.signal("HUP");
    let mut gone = false;
    for _ in 0..100 {
        if status(&gw, "acc-b").await == 404 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(gone);
    assert_eq!(status(&gw, "acc-api").await, 200);
}

#[tokio::test]
async fn a_broken_file_changes_nothing() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&file(&receiver.url("/r"), LISTENER_B));
    let good = std::fs::read_to_string(&gw.config).unwrap();
    let broken_files = [
        // Not TOML.
        format!("{good}\n[[listener]\nid = "),
        // Valid TOML, invalid config: an unknown provider and a bad CIDR, and listener b gone.
        good.replace(
            "id = \"b\"\nprovider = \"smoobu\"",
            "id = \"b\"\nprovider = \"nosuch\"\nallowed_ips = [\"1.2.3.4/99\"]",
        )
        .replace("id = \"a\"", "id = \"a2\""),
    ];
    for (i, broken) in broken_files.iter().enumerate() {
        std::fs::write(&gw.config, broken).unwrap();
        gw.signal("HUP");
        let logged = wait_until(Duration::from_secs(3), || {
            gw.log_text().matches("config not reloaded").count() > i
        })
        .await;
        assert!(
            logged,
            "the rejected file is not logged:\n{}",
            gw.log_text()
        );
        // Everything as before: a, b, and their ids.
        assert_eq!(status(&gw, "acc-a").await, 200);
        assert_eq!(status(&gw, "acc-b").await, 200);
        assert_eq!(get(gw.admin, &listener_path("a")).await.status, 200);
        assert_eq!(get(gw.admin, &listener_path("a2")).await.status, 404);
    }
    let log = gw.log_text();
    assert!(
        log.contains("listener[2].provider"),
        "errors are named:\n{log}"
    );
    // Fixing the file works again.
    std::fs::write(&gw.config, good.replace(LISTENER_B, "")).unwrap();
    gw.signal("HUP");
    let mut gone = false;
    for _ in 0..100 {
        if status(&gw, "acc-b").await == 404 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(gone);
}

#[tokio::test]
async fn a_reload_keeps_rate_limits_and_pending_deliveries() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&file(&receiver.url("/r"), ""));
    let api = send(
        gw.admin,
        "POST",
        &listener_path(""),
        &json!({"provider": "smoobu", "integrationAccountId": "acc-api-rl", "rateLimit": {"perSecond": 1, "burst": 1}}),
    )
    .await;
    assert_eq!(api.status, 201);
    // A delivery that fails once and waits for its retry.
    receiver.fail_next(1, 500);
    assert_eq!(status(&gw, "acc-a").await, 200);
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    // Spend the bursts (one token comes back per second: the reload must follow at once).
    assert_eq!(status(&gw, "acc-limited").await, 200);
    assert_eq!(status(&gw, "acc-limited").await, 200);
    assert_eq!(status(&gw, "acc-limited").await, 429);
    assert_eq!(status(&gw, "acc-api-rl").await, 200);
    assert_eq!(status(&gw, "acc-api-rl").await, 429);
    rewrite(&gw, &file(&receiver.url("/r"), LISTENER_B));
    gw.signal("HUP");
    assert!(
        wait_until(Duration::from_secs(3), || gw
            .log_text()
            .contains("configuration reloaded"))
        .await
    );
    // Unchanged listeners did not get a fresh burst from the reload.
    assert_eq!(status(&gw, "acc-limited").await, 429);
    assert_eq!(status(&gw, "acc-api-rl").await, 429);
    // The pending retry still happens.
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 2).await);
    assert_eq!(receiver.received()[1].header("x-hookgate-attempt"), "2");
}
