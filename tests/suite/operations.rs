//! SPEC section 7 and running it: metrics, readiness, JSON logs, and retention.

use crate::common::admin::TOKENS;
use crate::common::events::exists;
use crate::common::{db, get_open, post, store, wait_for, wait_until, Gateway, Receiver};
use std::collections::HashMap;
use std::time::Duration;

/// One hostaway listener with Basic auth, and system events to `system`.
pub(crate) fn config(receiver: &str, system: &str, extra_delivery: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"
retention = "2s"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]
max_retry_count = 1
{extra_delivery}
{TOKENS}

[[listener]]
id = "l1"
provider = "hostaway"
account_id = "acc"
workspace_id = "ws"
basic_auth = {{ username = "u", password = "p" }}
event_subscription = {{ "reservation.created" = true }}

[[listener.receiver]]
url = "{receiver}"

[[system_webhook]]
url = "{system}"
events = ["delivery.failed", "delivery.recovered", "receiver.paused"]
"#
    )
}

pub(crate) const AUTH: [(&str, &str); 1] = [("authorization", "Basic dTpw")];

/// Parses Prometheus text into "name{labels}" → value.
fn scrape(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

#[tokio::test]
async fn metrics_count_known_traffic() {
    let receiver = Receiver::start().await;
    let system = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/r"), &system.url("/s"), ""));
    let url = gw.url("hostaway/acc");
    for _ in 0..3 {
        post(gw.public, &url, &AUTH, r#"{"event":"reservation.created"}"#).await;
    }
    post(gw.public, &url, &AUTH, r#"{"event":"message.received"}"#).await;
    post(gw.public, &url, &[], r#"{"event":"reservation.created"}"#).await;
    post(gw.public, &gw.url("hostaway/nobody"), &[], "{}").await;
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 3).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = get_open(gw.admin, "/metrics").await;
    assert_eq!(answer.status, 200);
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    let m = scrape(&text);
    let v = |k: &str| {
        m.get(k)
            .copied()
            .unwrap_or_else(|| panic!("no series {k} in\n{text}"))
    };
    assert_eq!(
        v(r#"hookgate_requests_total{provider="hostaway",code="200"}"#),
        4.0
    );
    assert_eq!(
        v(r#"hookgate_requests_total{provider="hostaway",code="401"}"#),
        1.0
    );
    assert_eq!(
        v(r#"hookgate_requests_total{provider="unknown",code="404"}"#),
        1.0
    );
    assert_eq!(
        v(r#"hookgate_events_total{provider="hostaway",status="accepted"}"#),
        3.0
    );
    assert_eq!(
        v(r#"hookgate_events_total{provider="hostaway",status="filtered"}"#),
        1.0
    );
    assert_eq!(v(r#"hookgate_deliveries_total{outcome="succeeded"}"#), 3.0);
    assert_eq!(v("hookgate_ingest_duration_seconds_count"), 6.0);
    assert_eq!(v("hookgate_delivery_attempt_duration_seconds_count"), 3.0);
    assert!(m.contains_key(r#"hookgate_ingest_duration_seconds_bucket{le="0.005"}"#));
    assert_eq!(v("hookgate_pending_deliveries"), 0.0);
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_without_secrets() {
    let receiver = Receiver::start().await;
    let system = Receiver::start().await;
    let gw = Gateway::start_with(
        &config(&receiver.url("/r"), &system.url("/s"), ""),
        &["--log-format", "json"],
    );
    post(
        gw.public,
        &gw.url("hostaway/acc"),
        &AUTH,
        r#"{"event":"reservation.created","guest":"Ada"}"#,
    )
    .await;
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = gw.logs.lock().unwrap().clone();
    let objects: Vec<serde_json::Value> = logs
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let request = objects
        .iter()
        .find(|o| o["message"] == "listener request")
        .expect("a request line");
    assert_eq!(request["status"], 200);
    assert_eq!(request["provider"], "hostaway");
    assert_eq!(request["event_type"], "reservation.created");
    assert!(request["request_id"].as_str().is_some());
    assert!(request["duration_ms"].as_f64().is_some());
    assert!(objects
        .iter()
        .any(|o| o["message"] == "delivery attempt" && o["outcome"] == "succeeded"));
    let all = logs.join("\n");
    assert!(!all.contains("Ada"), "payloads are never logged");
    assert!(!all.contains("dTpw"), "credentials are never logged");
}

#[tokio::test]
async fn retention_removes_old_rows_and_keeps_new_ones() {
    let receiver = Receiver::start().await;
    let system = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/r"), &system.url("/s"), ""));
    let url = gw.url("hostaway/acc");
    let mut old = Vec::new();
    for _ in 0..20 {
        let a = post(gw.public, &url, &AUTH, r#"{"event":"reservation.created"}"#).await;
        old.push(a.event_id());
    }
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 20).await);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let a = post(gw.public, &url, &AUTH, r#"{"event":"reservation.created"}"#).await;
    let new = a.event_id();
    assert!(
        wait_for(Duration::from_secs(5), || async {
            for id in &old {
                if exists(gw.admin, id).await {
                    return false;
                }
            }
            true
        })
        .await,
        "old events were kept"
    );
    assert!(exists(gw.admin, &new).await, "a new event was deleted");
    // The API shows no delivery without its event, so only the database can tell.
    let orphans = if store::is_sqlite() {
        db::orphan_deliveries(&gw.db())
    } else {
        store::count(
            &gw.store,
            "SELECT COUNT(*) FROM deliveries WHERE event_seq NOT IN (SELECT seq FROM events)",
        )
    };
    assert_eq!(orphans, 0, "deliveries of deleted events are deleted too");
}
