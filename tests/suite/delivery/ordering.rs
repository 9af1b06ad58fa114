//! SPEC section 13, `order_by`: deliveries with the same key go strictly one after another, in
//! acceptance order, across retries, failures for good and a SIGKILL; other keys and events
//! without the key are not held up.

use crate::common::admin::{error_for, listener_path, send, TOKENS};
use crate::common::events::delivery_statuses;
use crate::common::ports::free_port;
use crate::common::receiver::Received;
use crate::common::{post, wait_until, Gateway, Receiver};
use serde_json::{json, Value};
use std::time::Duration;

fn config(receiver: &str, order_by: &str, receiver_extra: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["300ms"]
max_retry_count = 10
{TOKENS}
[[listener]]
id = "l1"
provider = "smoobu"
account_id = "acc"

[[listener.receiver]]
url = "{receiver}"
order_by = "{order_by}"
{receiver_extra}
"#
    )
}

/// An event of key `key` (none: no `data.id`), numbered `n` within its key.
fn body(key: Option<&str>, n: u64) -> String {
    match key {
        Some(key) => json!({"action": "newReservation", "data": {"id": key, "n": n}}),
        None => json!({"action": "newReservation", "data": {"n": n}}),
    }
    .to_string()
}

async fn send_event(gw: &Gateway, key: Option<&str>, n: u64) -> String {
    let a = post(gw.public, &gw.url("smoobu/acc"), &[], body(key, n)).await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    a.event_id()
}

fn parsed(r: &Received) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

/// The requests (every attempt) of one key, in the order they arrived.
fn of_key(receiver: &Receiver, key: Option<&str>) -> Vec<Received> {
    receiver
        .received()
        .into_iter()
        .filter(|r| parsed(r)["data"]["id"].as_str() == key)
        .collect()
}

/// The numbers of one key's requests, in arrival order.
fn numbers(requests: &[Received]) -> Vec<u64> {
    requests
        .iter()
        .map(|r| parsed(r)["data"]["n"].as_u64().unwrap())
        .collect()
}

/// No request of the list arrived before the one before it was answered (`delay` each).
fn one_at_a_time(requests: &[Received], delay: Duration) -> bool {
    requests.windows(2).all(|w| w[1].at >= w[0].at + delay)
}

#[tokio::test]
async fn a_failing_key_holds_back_only_its_own_later_events() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/in"), "body:/data/id", ""));
    // The first event of key A is refused three times; its retries come 300 ms apart.
    receiver.fail_matching(r#""id":"A","n":1}"#, 3);
    for n in 1..=3 {
        send_event(&gw, Some("A"), n).await;
        send_event(&gw, Some("B"), n).await;
    }
    assert!(
        wait_until(Duration::from_secs(15), || receiver.count() >= 9).await,
        "got {}",
        receiver.count()
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.count(), 9, "four attempts of A1, one of the rest");
    let a = of_key(&receiver, Some("A"));
    let b = of_key(&receiver, Some("B"));
    assert_eq!(numbers(&a), [1, 1, 1, 1, 2, 3], "A waits for its head");
    assert_eq!(numbers(&b), [1, 2, 3]);
    assert_eq!(a[4].header("x-hookgate-attempt"), "1");
    // B went on while A1 was retrying: all of B arrived before A1's successful attempt.
    assert!(b[2].at < a[3].at, "key B was held up by key A");
}

#[tokio::test]
async fn star_puts_every_delivery_of_the_receiver_in_one_queue() {
    let receiver = Receiver::start().await;
    let delay = Duration::from_millis(100);
    receiver.set_delay(delay);
    receiver.fail_matching(r#""n":1}"#, 2);
    let gw = Gateway::start(&config(&receiver.url("/in"), "*", ""));
    let keys = ["p", "q", "r", "s", "t"];
    for (i, key) in keys.iter().enumerate() {
        send_event(&gw, Some(key), i as u64 + 1).await;
    }
    assert!(
        wait_until(Duration::from_secs(15), || receiver.count() >= 7).await,
        "got {}",
        receiver.count()
    );
    let all = receiver.received();
    assert_eq!(numbers(&all), [1, 1, 1, 2, 3, 4, 5]);
    assert!(
        one_at_a_time(&all, delay),
        "two deliveries of the receiver overlapped"
    );
}

#[tokio::test]
async fn events_without_the_key_go_alone() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/in"), "body:/data/id", ""));
    receiver.fail_matching(r#""id":"A","n":1}"#, 3);
    receiver.fail_matching(r#"{"n":1}"#, 2);
    send_event(&gw, Some("A"), 1).await;
    send_event(&gw, Some("A"), 2).await;
    send_event(&gw, None, 1).await;
    send_event(&gw, None, 2).await;
    // A1 four times and A2; the first key-less event three times and the second.
    assert!(
        wait_until(Duration::from_secs(15), || receiver.count() >= 9).await,
        "got {}",
        receiver.count()
    );
    let a = of_key(&receiver, Some("A"));
    let loose = of_key(&receiver, None);
    assert_eq!(numbers(&a), [1, 1, 1, 1, 2]);
    assert_eq!(loose.len(), 4, "three attempts of one, one of the other");
    // The second key-less event did not wait for the first one's retries, nor for key A.
    let second = loose.iter().find(|r| parsed(r)["data"]["n"] == 2).unwrap();
    let first_success = loose.iter().filter(|r| parsed(r)["data"]["n"] == 1).last();
    assert!(second.at < first_success.unwrap().at);
    assert!(second.at < a[3].at);
}

#[tokio::test]
async fn a_delivery_failed_for_good_lets_the_next_one_go() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(
        &receiver.url("/in"),
        "body:/data/id",
        "max_retry_count = 1",
    ));
    receiver.fail_matching(r#""id":"A","n":1}"#, 100);
    let first = send_event(&gw, Some("A"), 1).await;
    let second = send_event(&gw, Some("A"), 2).await;
    assert!(
        wait_until(Duration::from_secs(15), || receiver.count() >= 3).await,
        "got {}",
        receiver.count()
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(numbers(&of_key(&receiver, Some("A"))), [1, 1, 2]);
    assert_eq!(delivery_statuses(gw.admin, &first).await, ["failed"]);
    assert_eq!(delivery_statuses(gw.admin, &second).await, ["succeeded"]);
}

#[tokio::test]
async fn the_order_holds_across_sigkill() {
    let addr = free_port();
    let receiver = Receiver::start_on(addr, 0).await;
    receiver.set_delay(Duration::from_millis(50));
    let mut gw = Gateway::start(&config(&format!("http://{addr}/in"), "body:/data/id", ""));
    for n in 1..=10 {
        for key in ["A", "B"] {
            send_event(&gw, Some(key), n).await;
        }
    }
    // Killed while the queues are part way through.
    assert!(wait_until(Duration::from_secs(10), || receiver.count() >= 4).await);
    gw.kill9();
    let _gw2 = gw.restart();
    assert!(
        wait_until(Duration::from_secs(30), || receiver.webhook_ids().len()
            >= 20)
        .await,
        "only {} of 20 arrived",
        receiver.webhook_ids().len()
    );
    for key in ["A", "B"] {
        let mut arrived = numbers(&of_key(&receiver, Some(key)));
        // At least once: the delivery in flight at the kill may come again, right after itself.
        arrived.dedup();
        assert_eq!(arrived, (1..=10).collect::<Vec<_>>(), "key {key}");
    }
}

#[tokio::test]
async fn order_by_is_checked_at_load_and_shown_by_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listeners.toml");
    std::fs::write(&path, config("http://127.0.0.1:9/in", "data.id", "")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookgate"))
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = config("", "", "")
        .lines()
        .position(|l| l.starts_with("order_by"))
        .unwrap()
        + 1;
    let at = format!("listeners.toml:{line}:12: listener[0].receiver[0].order_by");
    assert!(stderr.contains(&at), "{at} not in {stderr}");

    let gw = Gateway::start(&config("http://127.0.0.1:9/in", "*", ""));
    let file = crate::common::admin::get(gw.admin, &listener_path("l1")).await;
    assert_eq!(file.json()["receivers"][0]["orderBy"], "*");
    let made = send(
        gw.admin,
        "POST",
        &listener_path(""),
        &json!({"provider": "stripe", "integrationAccountId": "acct-9",
                "receivers": [{"url": "http://127.0.0.1:9/s", "orderBy": "body:/data/object/id"}]}),
    )
    .await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    assert_eq!(
        made.json()["receivers"][0]["orderBy"],
        "body:/data/object/id"
    );
    let refused = send(
        gw.admin,
        "POST",
        &listener_path(""),
        &json!({"provider": "stripe", "integrationAccountId": "acct-10",
                "receivers": [{"url": "http://127.0.0.1:9/s", "orderBy": "body:data"}]}),
    )
    .await;
    assert_eq!(refused.status, 400);
    let answer = refused.json();
    let problem = error_for(&answer, "receivers[0].orderBy");
    assert!(problem["message"].as_str().unwrap().contains("body:data"));
}

#[tokio::test]
async fn a_store_from_before_ordering_is_upgraded_with_its_pending_deliveries() {
    let addr = free_port();
    let ordered = config(&format!("http://{addr}/in"), "body:/data/id", "");
    let unordered = ordered.replace("order_by = \"body:/data/id\"\n", "");
    let mut gw = Gateway::start(&unordered);
    let old = send_event(&gw, Some("A"), 1).await;
    gw.signal("TERM");
    assert_eq!(gw.wait_exit(Duration::from_secs(30)), Some(0));
    // The store as the version before ordered receivers left it: no order_key column.
    let downgrade = if crate::common::store::is_sqlite() {
        "DROP INDEX deliveries_order; ALTER TABLE deliveries DROP COLUMN order_key;"
    } else {
        "DROP INDEX deliveries_order; ALTER TABLE deliveries DROP COLUMN order_key;
         DELETE FROM schema_migrations WHERE version = 3;"
    };
    crate::common::store::execute(&gw.store, downgrade);
    gw.rewrite_config(&ordered);
    let gw2 = gw.restart();
    send_event(&gw2, Some("A"), 2).await;
    send_event(&gw2, Some("A"), 3).await;
    let receiver = Receiver::start_on(addr, 0).await;
    assert!(
        wait_until(Duration::from_secs(15), || receiver.webhook_ids().len()
            >= 3)
        .await,
        "got {}",
        receiver.count()
    );
    assert!(receiver.webhook_ids().contains(&old));
    let mut new = numbers(&of_key(&receiver, Some("A")));
    new.retain(|n| *n > 1);
    assert_eq!(new, [2, 3]);
}

#[tokio::test]
async fn two_instances_on_one_database_keep_each_key_in_order() {
    if crate::common::store::is_sqlite() {
        eprintln!("SKIPPED: instances share a PostgreSQL database; the suite runs on SQLite");
        return;
    }
    let receiver = Receiver::start().await;
    let delay = Duration::from_millis(50);
    receiver.set_delay(delay);
    receiver.fail_matching(r#""id":"A","n":1}"#, 2);
    let text = config(&receiver.url("/in"), "body:/data/id", "");
    let first = Gateway::start(&text);
    // The second instance: its own directory and addresses, the first one's database.
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let path = dir.path().join("listeners.toml");
    std::fs::write(&path, text.replace("{STORE}", &first.store)).unwrap();
    let second = Gateway::launch(dir, path, &[]);
    for n in 1..=6 {
        for key in ["A", "B"] {
            // Each instance accepts every other event of each key.
            let gw = if n % 2 == 0 { &first } else { &second };
            send_event(gw, Some(key), n).await;
        }
    }
    assert!(
        wait_until(Duration::from_secs(20), || receiver.count() >= 14).await,
        "got {}",
        receiver.count()
    );
    let a = of_key(&receiver, Some("A"));
    let b = of_key(&receiver, Some("B"));
    assert_eq!(numbers(&a), [1, 1, 1, 2, 3, 4, 5, 6]);
    assert_eq!(numbers(&b), [1, 2, 3, 4, 5, 6]);
    assert!(one_at_a_time(&a, delay) && one_at_a_time(&b, delay));
}
