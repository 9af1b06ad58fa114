//! SPEC section 4: what receivers get — exact bytes, headers, signatures, retries.

use crate::common::{post, wait_until, Gateway, Receiver};
use std::time::Duration;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn config(receivers: &[String], extra_receiver: &str) -> String {
    let mut text = String::from(
        r#"
[store]
url = "{STORE}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms", "200ms"]
max_retry_count = 3

[[listener]]
id = "l1"
provider = "hostaway"
account_id = "acc"
workspace_id = "ws-1"
event_subscription = { "reservation.created" = true, "reservation.updated" = true }
"#,
    );
    for url in receivers {
        text.push_str(&format!(
            "\n[[listener.receiver]]\nurl = \"{url}\"\nsigning_secret = \"{SECRET}\"\nheaders = {{ \"X-Env\" = \"test\" }}\n{extra_receiver}\n"
        ));
    }
    text
}

#[tokio::test]
async fn receiver_gets_the_exact_bytes_and_the_spec_headers() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&[receiver.url("/hook")], ""));
    // Odd whitespace and key order must survive untouched.
    let body = "{ \"event\" :\"reservation.created\",\n\t\"data\": {\"z\":1, \"a\" : [ 1,2 ]} }  ";
    let a = post(
        gw.public,
        &gw.url("hostaway/acc"),
        &[("content-type", "application/json; charset=utf-8")],
        body,
    )
    .await;
    assert_eq!(a.json()["status"], "accepted");
    let event_id = a.event_id();
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    let got = &receiver.received()[0];
    assert_eq!(got.body, body.as_bytes(), "the body changed on the way");
    assert_eq!(got.path, "/hook");
    assert_eq!(
        got.header("content-type"),
        "application/json; charset=utf-8"
    );
    assert_eq!(got.header("webhook-id"), event_id);
    assert_eq!(got.header("x-hookgate-event-type"), "reservation.created");
    assert_eq!(got.header("x-hookgate-provider"), "hostaway");
    assert_eq!(got.header("x-hookgate-account-id"), "acc");
    assert_eq!(got.header("x-hookgate-attempt"), "1");
    assert_eq!(got.header("x-env"), "test");
    assert!(got.header("user-agent").starts_with("hookgate/"));
    // The signature verifies with the independent Standard Webhooks implementation.
    let wh = standardwebhooks::Webhook::new(SECRET).unwrap();
    wh.verify(&got.body, &got.headers)
        .expect("signature verifies");
    // ...and a tampered body does not.
    let mut tampered = got.body.to_vec();
    tampered[0] = b'[';
    assert!(wh.verify(&tampered, &got.headers).is_err());
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_event_on_attempt_three() {
    let receiver = Receiver::start_on("127.0.0.1:0".parse().unwrap(), 2).await;
    let gw = Gateway::start(&config(&[receiver.url("/flaky")], ""));
    let a = post(
        gw.public,
        &gw.url("hostaway/acc"),
        &[],
        r#"{"event":"reservation.updated"}"#,
    )
    .await;
    let event_id = a.event_id();
    assert!(
        wait_until(Duration::from_secs(10), || receiver.count() >= 3).await,
        "got {}",
        receiver.count()
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let got = receiver.received();
    assert_eq!(got.len(), 3, "no more attempts after a success");
    for (i, r) in got.iter().enumerate() {
        assert_eq!(
            r.header("webhook-id"),
            event_id,
            "same webhook-id on every attempt"
        );
        assert_eq!(r.header("x-hookgate-attempt"), (i + 1).to_string());
    }
}

#[tokio::test]
async fn retries_stop_at_max_retry_count() {
    let receiver = Receiver::start_on("127.0.0.1:0".parse().unwrap(), 100).await;
    let gw = Gateway::start(&config(&[receiver.url("/down")], "max_retry_count = 1"));
    post(
        gw.public,
        &gw.url("hostaway/acc"),
        &[],
        r#"{"event":"reservation.updated"}"#,
    )
    .await;
    assert!(wait_until(Duration::from_secs(5), || receiver.count() >= 2).await);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.count(), 2, "one attempt plus one retry");
}

#[tokio::test]
async fn a_filtered_event_reaches_no_receiver_and_fan_out_reaches_all() {
    let r1 = Receiver::start().await;
    let r2 = Receiver::start().await;
    let gw = Gateway::start(&config(&[r1.url("/a"), r2.url("/b")], ""));
    let a = post(
        gw.public,
        &gw.url("hostaway/acc"),
        &[],
        r#"{"event":"message.received"}"#,
    )
    .await;
    assert_eq!(a.json()["status"], "filtered");
    let a = post(
        gw.public,
        &gw.url("hostaway/acc"),
        &[],
        r#"{"event":"reservation.created"}"#,
    )
    .await;
    assert_eq!(a.json()["deliveries"], 2);
    assert!(
        wait_until(Duration::from_secs(5), || r1.count() == 1
            && r2.count() == 1)
        .await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!((r1.count(), r2.count()), (1, 1));
    assert_eq!(
        r1.received()[0].header("webhook-id"),
        r2.received()[0].header("webhook-id")
    );
}

#[tokio::test]
async fn envelope_format_wraps_the_payload() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&[receiver.url("/env")], "format = \"envelope\""));
    let a = post(
        gw.public,
        &gw.url("hostaway/acc"),
        &[],
        r#"{"event":"reservation.created","data":{"id":5}}"#,
    )
    .await;
    let event_id = a.event_id();
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    let got: serde_json::Value = serde_json::from_slice(&receiver.received()[0].body).unwrap();
    assert_eq!(got["data"]["data"]["id"], 5);
    assert_eq!(got["hook"]["id"], event_id);
    assert_eq!(got["hook"]["eventType"], "reservation.created");
    assert_eq!(got["hook"]["source"], "hostaway");
    assert_eq!(got["hook"]["integrationAccountId"], "acc");
    assert_eq!(got["hook"]["workspaceId"], "ws-1");
    assert_eq!(got["hook"]["listenerId"], "l1");
}
