//! `transform` builds the body sent at each attempt from the stored body: sent as JSON and
//! signed as sent; a failing or slow program fails the delivery for good (`transform_failed`).

use super::filter::fixture_body;
use crate::common::admin::TOKENS;
use crate::common::{events, post, wait_for, wait_until, Gateway, Receiver};
use std::time::Duration;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn config(receiver: &str, transform: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]
max_retry_count = 3
{TOKENS}
[[listener]]
id = "l1"
provider = "hostaway"
account_id = "acc"

[[listener.receiver]]
url = "{receiver}"
signing_secret = "{SECRET}"
transform = '''{transform}'''
"#
    )
}

#[tokio::test]
async fn the_transformed_body_is_sent_as_json_and_signed_as_sent() {
    let receiver = Receiver::start().await;
    let program = "{id: .data.id, guest: .data.guestName, nights: .data.nights, type: $event_type, from: $provider, env: $headers[\"x-env\"]}";
    let gw = Gateway::start(&config(&receiver.url("/t"), program));
    let body = fixture_body("reservation.created.json");
    let a = post(
        gw.public,
        &gw.url("hostaway/acc"),
        &[("content-type", "text/plain"), ("X-Env", "staging")],
        body.clone(),
    )
    .await;
    assert_eq!(a.json()["status"], "accepted");
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    let got = &receiver.received()[0];
    assert_eq!(got.header("content-type"), "application/json");
    let sent: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"id": 49264388, "guest": "Marta Kowalczyk", "nights": 4,
            "type": "reservation.created", "from": "hostaway", "env": "staging"})
    );
    standardwebhooks::Webhook::new(SECRET)
        .unwrap()
        .verify(&got.body, &got.headers)
        .expect("the signature covers the bytes sent");
    // The event log keeps the body as received.
    let recorded = events::event(gw.admin, &a.event_id()).await;
    assert!(recorded.to_string().contains("Kowalczyk"));
    assert!(recorded.to_string().contains("airbnbOfficial"));
}

async fn failed_for_good(gw: &Gateway, event_id: &str) -> Vec<events::AttemptRow> {
    let done = wait_for(Duration::from_secs(5), || async {
        events::delivery_statuses(gw.admin, event_id).await == ["failed"]
    })
    .await;
    let rows = events::attempts(gw.admin, event_id).await;
    assert!(done, "the delivery did not fail: {rows:?}");
    rows
}

#[tokio::test]
async fn a_failing_transform_fails_the_delivery_without_retries() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/t"), ".data.id | error(\"no way\")"));
    let a = post(
        gw.public,
        &gw.url("hostaway/acc"),
        &[],
        r#"{"event":"e","data":{"id":1}}"#,
    )
    .await;
    let rows = failed_for_good(&gw, &a.event_id()).await;
    assert_eq!(rows.len(), 1, "a retry cannot help: {rows:?}");
    let error = rows[0].2.as_deref().unwrap();
    assert_eq!(error, "transform_failed");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.count(), 0);
    assert_eq!(events::attempts(gw.admin, &a.event_id()).await.len(), 1);
}

#[tokio::test]
async fn a_transform_running_over_100_ms_fails_the_delivery() {
    let receiver = Receiver::start().await;
    // Far more than 100 ms of counting, in constant memory.
    let program = "reduce range(10000000) as $i (0; . + 1)";
    let gw = Gateway::start(&config(&receiver.url("/t"), program));
    let a = post(gw.public, &gw.url("hostaway/acc"), &[], r#"{"event":"e"}"#).await;
    let rows = failed_for_good(&gw, &a.event_id()).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let error = rows[0].2.as_deref().unwrap();
    assert_eq!(error, "transform_failed");
    // The attempt shows the SPEC's code; the log says why.
    let log = gw.log_text();
    assert!(
        log.contains("transform failed") && log.contains("100 ms"),
        "{log}"
    );
    assert_eq!(receiver.count(), 0);
}

#[tokio::test]
async fn a_body_that_is_not_json_fails_the_transform() {
    let receiver = Receiver::start().await;
    // GitHub's event type is in a header: a form-encoded body is accepted, then cannot be
    // transformed.
    let text = config(&receiver.url("/t"), "{x: 1}").replace("\"hostaway\"", "\"github\"");
    let gw = Gateway::start(&text);
    let headers = [
        ("X-GitHub-Event", "push"),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let a = post(gw.public, &gw.url("github/acc"), &headers, "payload=%7B%7D").await;
    assert_eq!(a.json()["status"], "accepted");
    let rows = failed_for_good(&gw, &a.event_id()).await;
    let error = rows[0].2.as_deref().unwrap();
    assert_eq!(error, "transform_failed");
    // The attempt shows the SPEC's code; the log says why.
    let log = gw.log_text();
    assert!(
        log.contains("transform failed") && log.contains("not JSON"),
        "{log}"
    );
}
