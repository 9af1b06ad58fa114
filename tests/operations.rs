//! Operating hookgate: metrics, readiness, JSON logs, system events, retention, paused receivers.

mod common;

use common::{post, wait_until, Gateway, Receiver};
use std::collections::HashMap;
use std::time::Duration;

fn config(receiver: &str, system: &str, extra_delivery: &str) -> String {
    format!(
        r#"
[store]
url = "sqlite://{{DB}}"
retention = "2s"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]
max_retry_count = 1
{extra_delivery}

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

const AUTH: [(&str, &str); 1] = [("authorization", "Basic dTpw")];

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

async fn get(addr: std::net::SocketAddr, path: &str) -> common::Answer {
    common::post_from(
        "127.0.0.1".parse().unwrap(),
        addr,
        "GET",
        path,
        &[],
        bytes::Bytes::new(),
    )
    .await
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
    let answer = get(gw.admin, "/metrics").await;
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

fn system_events(r: &Receiver) -> Vec<serde_json::Value> {
    r.received()
        .iter()
        .map(|x| serde_json::from_slice(&x.body).unwrap())
        .collect()
}

fn assert_seed_001_shape(e: &serde_json::Value, event_type: &str, result: &str) {
    assert_eq!(e["hook"]["eventType"], event_type);
    assert_eq!(e["hook"]["source"], "HOOKGATE");
    assert_eq!(e["hook"]["id"].as_str().unwrap().len(), 36);
    assert!(e["hook"]["timeStamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(e["data"]["integrationAccountId"], "acc");
    assert_eq!(e["data"]["workspaceId"], "ws");
    assert_eq!(e["data"]["result"], result);
}

#[tokio::test]
async fn delivery_failed_and_recovered_arrive_as_system_events() {
    let receiver = Receiver::start_on("127.0.0.1:0".parse().unwrap(), 2).await;
    let system = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/r"), &system.url("/s"), ""));
    // Two failures with max_retry_count = 1: the delivery fails.
    let a = post(
        gw.public,
        &gw.url("hostaway/acc"),
        &AUTH,
        r#"{"event":"reservation.created"}"#,
    )
    .await;
    let event_id = a.json()["eventId"].as_str().unwrap().to_string();
    assert!(wait_until(Duration::from_secs(5), || system.count() >= 1).await);
    let failed = &system_events(&system)[0];
    assert_seed_001_shape(failed, "delivery.failed", "FAILURE");
    assert_eq!(failed["data"]["eventId"], event_id);
    assert_eq!(
        system.received()[0].header("webhook-id"),
        failed["hook"]["id"].as_str().unwrap()
    );
    // The next delivery succeeds: the receiver has recovered.
    post(
        gw.public,
        &gw.url("hostaway/acc"),
        &AUTH,
        r#"{"event":"reservation.created"}"#,
    )
    .await;
    assert!(wait_until(Duration::from_secs(5), || system.count() >= 2).await);
    let recovered = &system_events(&system)[1];
    assert_seed_001_shape(recovered, "delivery.recovered", "SUCCESS");
    assert_eq!(recovered["data"]["receiverUrl"], receiver.url("/r"));
}

#[tokio::test]
async fn a_receiver_failing_past_pause_after_is_paused_and_gets_nothing() {
    let receiver = Receiver::start_on("127.0.0.1:0".parse().unwrap(), 1_000_000).await;
    let system = Receiver::start().await;
    let cfg = config(
        &receiver.url("/r"),
        &system.url("/s"),
        "pause_after = \"1s\"",
    )
    .replace("max_retry_count = 1", "max_retry_count = 1000");
    let gw = Gateway::start(&cfg);
    post(
        gw.public,
        &gw.url("hostaway/acc"),
        &AUTH,
        r#"{"event":"reservation.created"}"#,
    )
    .await;
    assert!(
        wait_until(Duration::from_secs(10), || system_events(&system)
            .iter()
            .any(|e| e["hook"]["eventType"] == "receiver.paused"))
        .await,
        "no receiver.paused event"
    );
    let paused = system_events(&system)
        .into_iter()
        .find(|e| e["hook"]["eventType"] == "receiver.paused")
        .unwrap();
    assert_seed_001_shape(&paused, "receiver.paused", "FAILURE");
    // Paused: neither the held delivery nor new ones are attempted.
    post(
        gw.public,
        &gw.url("hostaway/acc"),
        &AUTH,
        r#"{"event":"reservation.created"}"#,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = receiver.count();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(receiver.count(), before, "a paused receiver got attempts");
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
        old.push(a.json()["eventId"].as_str().unwrap().to_string());
    }
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 20).await);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let a = post(gw.public, &url, &AUTH, r#"{"event":"reservation.created"}"#).await;
    let new = a.json()["eventId"].as_str().unwrap().to_string();
    let db = gw.db();
    let exists = |id: &str| {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row("SELECT COUNT(*) FROM events WHERE id = ?1", [id], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap()
            == 1
    };
    assert!(
        wait_until(Duration::from_secs(5), || old.iter().all(|id| !exists(id))).await,
        "old events were kept"
    );
    assert!(exists(&new), "a new event was deleted");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let orphans: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM deliveries WHERE event_seq NOT IN (SELECT seq FROM events)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "deliveries of deleted events are deleted too");
}

#[tokio::test]
async fn file_listeners_are_announced_when_loaded_and_when_gone_even_while_stopped() {
    let receiver = Receiver::start().await;
    let system = Receiver::start().await;
    let listener = |id: &str, account: &str| {
        format!(
            "[[listener]]\nid = \"{id}\"\nprovider = \"smoobu\"\naccount_id = \"{account}\"\nworkspace_id = \"ws\"\n\n[[listener.receiver]]\nurl = \"{}\"\n\n",
            receiver.url("/r")
        )
    };
    let file = |listeners: &str| {
        format!(
            "[store]\nurl = \"sqlite://{{DB}}\"\n\n[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n\n{listeners}[[system_webhook]]\nurl = \"{}\"\nevents = [\"account.created\", \"account.updated\", \"account.deleted\"]\n",
            system.url("/s")
        )
    };
    let kinds = |r: &Receiver| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = system_events(r)
            .iter()
            .map(|e| {
                (
                    e["hook"]["eventType"].as_str().unwrap().to_string(),
                    e["data"]["integrationAccountWebhookId"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let both = format!(
        "{}{}",
        listener("keep", "acc-keep"),
        listener("gone", "acc-gone")
    );
    let mut gw = Gateway::start(&file(&both));
    assert!(wait_until(Duration::from_secs(5), || system.count() >= 2).await);
    assert_eq!(
        kinds(&system),
        vec![
            ("account.created".to_string(), "gone".to_string()),
            ("account.created".to_string(), "keep".to_string())
        ]
    );
    // Stopped, "gone" is taken out of the file; the next start announces it.
    gw.signal("TERM");
    assert_eq!(gw.wait_exit(Duration::from_secs(20)), Some(0));
    let config_path = gw.db().with_file_name("listeners.toml");
    let only_keep = file(&listener("keep", "acc-keep"));
    std::fs::write(
        &config_path,
        only_keep.replace("{DB}", &gw.db().display().to_string()),
    )
    .unwrap();
    let mut gw = gw.restart();
    assert!(wait_until(Duration::from_secs(5), || system.count() >= 3).await);
    let deleted = system_events(&system)
        .into_iter()
        .find(|e| e["hook"]["eventType"] == "account.deleted")
        .expect("account.deleted");
    assert_eq!(deleted["data"]["integrationAccountWebhookId"], "gone");
    assert_eq!(deleted["data"]["integrationAccountId"], "acc-gone");
    assert_eq!(deleted["data"]["workspaceId"], "ws");
    assert_eq!(deleted["data"]["managedBy"], "config");
    // Another start with the same file announces nothing again.
    gw.signal("TERM");
    assert_eq!(gw.wait_exit(Duration::from_secs(20)), Some(0));
    let _gw = gw.restart();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(system.count(), 3, "{:?}", kinds(&system));
}
