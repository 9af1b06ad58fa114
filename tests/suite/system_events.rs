//! SPEC section 6: the gateway's own events, in the seed-001 shape — delivery failed and
//! recovered, a receiver paused, and file listeners announced when loaded and when gone.

use crate::common::{post, wait_until, Gateway, Receiver};
use crate::operations::{config, AUTH};
use std::time::Duration;

/// Every system event received, parsed.
fn system_events(r: &Receiver) -> Vec<serde_json::Value> {
    r.received()
        .iter()
        .map(|x| serde_json::from_slice(&x.body).unwrap())
        .collect()
}

/// The first system event of `event_type` received so far.
fn first_of_type(r: &Receiver, event_type: &str) -> Option<serde_json::Value> {
    system_events(r)
        .into_iter()
        .find(|e| e["hook"]["eventType"] == event_type)
}

fn assert_seed_001_shape(e: &serde_json::Value, event_type: &str, result: &str) {
    assert_eq!(e["hook"]["eventType"], event_type, "{e}");
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
    let event_id = a.event_id();
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
    .replace("max_retry_count = 1", "max_retry_count = 100");
    let gw = Gateway::start(&cfg);
    post(
        gw.public,
        &gw.url("hostaway/acc"),
        &AUTH,
        r#"{"event":"reservation.created"}"#,
    )
    .await;
    assert!(
        wait_until(Duration::from_secs(10), || first_of_type(
            &system,
            "receiver.paused"
        )
        .is_some())
        .await,
        "no receiver.paused event"
    );
    let paused = first_of_type(&system, "receiver.paused").unwrap();
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
            "[store]\nurl = \"{{STORE}}\"\n\n[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n\n{listeners}[[system_webhook]]\nurl = \"{}\"\nevents = [\"account.created\", \"account.updated\", \"account.deleted\"]\n",
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
    gw.rewrite_config(&file(&listener("keep", "acc-keep")));
    let mut gw = gw.restart();
    assert!(wait_until(Duration::from_secs(5), || system.count() >= 3).await);
    let deleted = first_of_type(&system, "account.deleted").expect("account.deleted");
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
