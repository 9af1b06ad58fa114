//! The event log: the test endpoint, paging and filters, one event with every attempt,
//! retries, event types and paused receivers.

use super::{api_listener, config, create, smoobu_event};
use crate::common::admin::{call, get, listener_id, listener_path, poll, send, ALL};
use crate::common::events::{event_path, first_status, listed_ids};
use crate::common::{wait_until, Gateway, Receiver};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn the_test_endpoint_sends_a_synthetic_event_through_delivery() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/cfg")));
    let made = create(&gw, &api_listener("acc-test", &receiver.url("/api"))).await;
    let id = made["integrationAccountWebhookId"].as_str().unwrap();
    let path = format!("{}/test", listener_path(id));
    let a = call(gw.admin, "POST", &path, ALL, "").await;
    assert_eq!(a.status, 200);
    let j = a.json();
    assert_eq!(j["success"], true);
    let event_id = j["eventId"].as_str().unwrap().to_string();
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    let got = &receiver.received()[0];
    assert_eq!(got.header("webhook-id"), event_id);
    // The default type is the first subscribed one, where smoobu puts it.
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["action"], "newReservation");
    assert_eq!(got.header("x-hookgate-event-type"), "newReservation");
    // A given type and payload are sent as they are.
    let a = send(
        gw.admin,
        "POST",
        &path,
        &json!({"eventType": "updateReservation", "payload": {"p": 1}}),
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 2).await);
    let got = &receiver.received()[1];
    assert_eq!(&got.body[..], br#"{"p":1}"#);
    assert_eq!(got.header("x-hookgate-event-type"), "updateReservation");
    // It is in the event log like any event.
    let e = get(gw.admin, &event_path(&event_id)).await.json();
    assert_eq!(e["listenerId"], id);
    assert_eq!(e["eventType"], "newReservation");
    assert_eq!(
        send(gw.admin, "POST", &path, &json!({"other": 1}))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn events_page_filter_and_show_every_attempt() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/cfg")));
    let made = create(&gw, &api_listener("acc-ev", &receiver.url("/api"))).await;
    let id = listener_id(&made);
    let ids = eight_events_three_failed(&gw, &receiver).await;
    assert_listed_newest_first(&gw, &id, &ids).await;
    assert_paged_and_filtered(&gw, &id, &ids).await;
    assert_one_event_shows_every_attempt(&gw, &ids[0], &receiver.url("/api")).await;
    assert_deleted_event_is_gone(&gw, &id, &ids[7]).await;
}

/// Sends eight events to the "acc-ev" listener, alternating two types; the receiver fails the
/// first three (no retries in this config). Returns their ids, oldest first.
async fn eight_events_three_failed(gw: &Gateway, receiver: &Receiver) -> Vec<String> {
    receiver.fail_next(3, 500);
    let mut ids = Vec::new();
    for i in 0..8 {
        if i == 3 {
            assert!(wait_until(Duration::from_secs(5), || receiver.count() == 3).await);
        }
        let action = if i % 2 == 0 {
            "newReservation"
        } else {
            "updateReservation"
        };
        let a = smoobu_event(gw, "acc-ev", action).await;
        ids.push(a.event_id());
    }
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 8).await);
    ids
}

/// The listener's events page with query `q` (`""` or `"?…"`).
async fn events(gw: &Gateway, listener: &str, q: &str) -> Value {
    get(gw.admin, &format!("{}/events{q}", listener_path(listener)))
        .await
        .json()
}

/// Once nothing is pending: all eight, newest first, in the list shape.
async fn assert_listed_newest_first(gw: &Gateway, id: &str, ids: &[String]) {
    // Wait until no delivery is pending any more.
    let all = poll(gw.admin, &format!("{}/events", listener_path(id)), |j| {
        j["events"]
            .as_array()
            .is_some_and(|e| e.len() == 8 && e.iter().all(|e| first_status(e) != "pending"))
    })
    .await;
    assert_eq!(all["totalEventsCount"], 8);
    let listed: Vec<&str> = listed_ids(&all);
    let mut newest_first = ids.to_vec();
    newest_first.reverse();
    assert_eq!(listed, newest_first);
    let first = &all["events"][0];
    for f in [
        "id",
        "listenerId",
        "provider",
        "eventType",
        "receivedAt",
        "sourceIp",
        "deliveries",
    ] {
        assert!(first.get(f).is_some(), "{f}");
    }
    assert!(first.get("payload").is_none() && first["deliveries"][0].get("attempts").is_none());
    assert_eq!(first["sourceIp"], "127.0.0.1");
}

/// take/skip, status and eventType filters, alone and together.
async fn assert_paged_and_filtered(gw: &Gateway, id: &str, ids: &[String]) {
    let mut newest_first = ids.to_vec();
    newest_first.reverse();
    let page = events(gw, id, "?take=2&skip=1").await;
    assert_eq!(page["totalEventsCount"], 8);
    let got: Vec<&str> = listed_ids(&page);
    assert_eq!(got, newest_first[1..3].to_vec());

    let failed = events(gw, id, "?status=failed").await;
    assert_eq!(failed["totalEventsCount"], 3);
    let got: Vec<&str> = listed_ids(&failed);
    assert_eq!(got, vec![ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]);
    assert_eq!(
        events(gw, id, "?status=succeeded").await["totalEventsCount"],
        5
    );
    assert_eq!(
        events(gw, id, "?status=pending").await["totalEventsCount"],
        0
    );
    let typed = events(gw, id, "?eventType=updateReservation").await;
    assert_eq!(typed["totalEventsCount"], 4);
    assert!(typed["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["eventType"] == "updateReservation"));
    let both = events(gw, id, "?eventType=newReservation&status=failed&take=1").await;
    assert_eq!(both["totalEventsCount"], 2);
    assert_eq!(both["events"].as_array().unwrap().len(), 1);
    assert_eq!(both["events"][0]["id"], ids[2].as_str());
    assert_eq!(
        events(gw, id, "?status=bogus").await["code"],
        "invalid_request"
    );
    assert_eq!(
        get(gw.admin, &format!("{}/events", listener_path("nope")))
            .await
            .status,
        404
    );
}

/// One failed event: its JSON payload, its delivery and every attempt.
async fn assert_one_event_shows_every_attempt(gw: &Gateway, event_id: &str, receiver_url: &str) {
    let e = get(gw.admin, &event_path(event_id)).await.json();
    assert_eq!(
        e["payload"],
        json!({"action": "newReservation", "data": {"id": 1}})
    );
    let d = &e["deliveries"][0];
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attemptCount"], 1);
    assert_eq!(d["lastStatusCode"], 500);
    assert_eq!(d["nextAttemptAt"], Value::Null);
    assert_eq!(d["receiverUrl"], receiver_url);
    let attempt = &d["attempts"][0];
    assert_eq!(attempt["attempt"], 1);
    assert_eq!(attempt["statusCode"], 500);
    assert_eq!(attempt["response"], r#"{"ok":true}"#);
    assert!(attempt["durationMs"].is_i64());
    humantime::parse_rfc3339(attempt["startedAt"].as_str().unwrap()).unwrap();
    assert_eq!(get(gw.admin, "/api/v1/events/nope").await.status, 404);
}

/// Delete a succeeded event: gone, with its deliveries; a second delete is a 404.
async fn assert_deleted_event_is_gone(gw: &Gateway, id: &str, event_id: &str) {
    let a = call(gw.admin, "DELETE", &event_path(event_id), ALL, "").await;
    assert_eq!(a.status, 200);
    assert_eq!(get(gw.admin, &event_path(event_id)).await.status, 404);
    assert_eq!(events(gw, id, "").await["totalEventsCount"], 7);
    assert_eq!(
        events(gw, id, "?status=succeeded").await["totalEventsCount"],
        4
    );
    assert_eq!(
        call(gw.admin, "DELETE", &event_path(event_id), ALL, "")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_failed_delivery_retried_after_the_receiver_recovers_succeeds() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/cfg")));
    create(&gw, &api_listener("acc-retry", &receiver.url("/api"))).await;
    receiver.fail_next(1, 503);
    let event_id = smoobu_event(&gw, "acc-retry", "newReservation")
        .await
        .event_id();
    let path = event_path(&event_id);
    let e = poll(gw.admin, &path, |j| first_status(j) == "failed").await;
    assert_eq!(first_status(&e), "failed");
    // The receiver is fine now; retry.
    let a = call(gw.admin, "POST", &format!("{path}/retry"), ALL, "").await;
    assert_eq!(a.status, 202);
    assert_eq!(a.json()["queued"], 1);
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 2).await);
    let got = &receiver.received()[1];
    assert_eq!(
        got.header("webhook-id"),
        event_id,
        "the same event id on the retry"
    );
    let e = poll(gw.admin, &path, |j| first_status(j) == "succeeded").await;
    let d = &e["deliveries"][0];
    assert_eq!(d["status"], "succeeded");
    let codes: Vec<&Value> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["statusCode"])
        .collect();
    assert_eq!(codes, vec![&json!(503), &json!(200)]);
    // Without failures there is nothing to retry; all=true sends it again anyway.
    let a = call(gw.admin, "POST", &format!("{path}/retry"), ALL, "").await;
    assert_eq!(a.json()["queued"], 0);
    let a = call(gw.admin, "POST", &format!("{path}/retry?all=true"), ALL, "").await;
    assert_eq!(a.status, 202);
    assert_eq!(a.json()["queued"], 1);
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 3).await);
    assert_eq!(
        call(gw.admin, "POST", "/api/v1/events/nope/retry", ALL, "")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn event_types_are_listed_per_provider() {
    let gw = Gateway::start(&config("http://127.0.0.1:9/r"));
    let all = get(gw.admin, "/api/v1/event_types").await.json();
    let types = all["eventTypes"].as_array().unwrap();
    assert!(types
        .iter()
        .any(|t| t["provider"] == "hostaway" && t["name"] == "reservation.created"));
    assert!(types
        .iter()
        .all(|t| t["description"].as_str().is_some_and(|d| !d.is_empty())));
    let stripe = get(gw.admin, "/api/v1/event_types?provider=stripe")
        .await
        .json();
    let stripe = stripe["eventTypes"].as_array().unwrap();
    assert!(!stripe.is_empty());
    assert!(stripe.iter().all(|t| t["provider"] == "stripe"));
}

#[tokio::test]
async fn a_paused_receiver_shows_and_resumes_through_the_api() {
    let receiver = Receiver::start().await;
    let text = config(&receiver.url("/cfg")).replace(
        "max_retry_count = 0",
        "max_retry_count = 50\npause_after = \"300ms\"",
    );
    let gw = Gateway::start(&text);
    let made = create(&gw, &api_listener("acc-pause", &receiver.url("/api"))).await;
    let id = listener_id(&made);
    assert_eq!(made["receivers"][0]["paused"], false);
    receiver.fail_next(1_000, 500);
    let event_id = smoobu_event(&gw, "acc-pause", "newReservation")
        .await
        .event_id();
    let l = poll(gw.admin, &listener_path(&id), |j| {
        j["receivers"][0]["paused"] == true
    })
    .await;
    assert_eq!(l["receivers"][0]["paused"], true, "never paused");
    let tried = receiver.count();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        receiver.count(),
        tried,
        "a paused receiver gets no attempts"
    );
    // Fixed: resume it, and what it missed goes out at once.
    receiver.fail_next(0, 500);
    let a = call(
        gw.admin,
        "POST",
        &format!("{}/resume", listener_path(&id)),
        ALL,
        "",
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["resumed"], json!([receiver.url("/api")]));
    let e = poll(gw.admin, &event_path(&event_id), |j| {
        first_status(j) == "succeeded"
    })
    .await;
    assert_eq!(first_status(&e), "succeeded");
    let l = get(gw.admin, &listener_path(&id)).await.json();
    assert_eq!(l["receivers"][0]["paused"], false);
    // Nothing to resume now; a file listener can be resumed too (nothing paused there).
    let a = call(
        gw.admin,
        "POST",
        &format!("{}/resume", listener_path(&id)),
        ALL,
        "",
    )
    .await;
    assert_eq!(a.json()["resumed"], json!([]));
    let a = call(
        gw.admin,
        "POST",
        &format!("{}/resume", listener_path("cfg-smoobu")),
        ALL,
        "",
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        call(
            gw.admin,
            "POST",
            &format!("{}/resume", listener_path("nope")),
            ALL,
            ""
        )
        .await
        .status,
        404
    );
}
