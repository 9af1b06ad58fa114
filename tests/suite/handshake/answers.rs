//! A listener's custom answer replaces the JSON one for accepted, filtered and duplicate
//! events (the event id in `X-Hookgate-Event-Id`), never for refusals; its config is checked
//! at load, and the management API carries it with the handshake fields.

use crate::common::admin::{self, TOKENS};
use crate::common::{post, Gateway, Receiver};

fn config(receiver: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
{TOKENS}
[provider.acme]
event_type = "body:/type"
event_id = "body:/id"

[[listener]]
id = "custom"
provider = "acme"
account_id = "a"
event_subscription = {{ "thing.done" = true }}
handshake = "meta"
handshake_secret = "meta-verify-token"
response = {{ status = 202, content_type = "text/plain", body = "OK", headers = {{ "X-Served-By" = "hookgate" }} }}
[[listener.receiver]]
url = "{receiver}"
"#
    )
}

#[tokio::test]
async fn the_custom_answer_replaces_accepted_filtered_and_duplicate() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/h")));
    let url = gw.url("acme/a");
    let body = r#"{"type":"thing.done","id":"evt-1"}"#;
    let first = post(gw.public, &url, &[], body).await;
    assert_eq!(first.status, 202);
    assert_eq!(first.body, "OK");
    assert_eq!(first.headers["content-type"], "text/plain");
    assert_eq!(first.headers["x-served-by"], "hookgate");
    let event_id = first.headers["x-hookgate-event-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(event_id.len(), 36, "an event id: {event_id}");
    // The id names a stored event.
    let stored = admin::get(gw.admin, &format!("/api/v1/events/{event_id}")).await;
    assert_eq!(stored.status, 200);

    let again = post(gw.public, &url, &[], body).await;
    assert_eq!((again.status.as_u16(), &again.body[..]), (202, &b"OK"[..]));
    assert_eq!(
        again.headers["x-hookgate-event-id"],
        event_id.as_str(),
        "the first copy's id"
    );

    let filtered = post(gw.public, &url, &[], r#"{"type":"other","id":"evt-2"}"#).await;
    assert_eq!(
        (filtered.status.as_u16(), &filtered.body[..]),
        (202, &b"OK"[..])
    );
    assert!(filtered.headers.get("x-hookgate-event-id").is_none());

    // Refusals keep their JSON errors.
    let bad = post(gw.public, &url, &[], "not json").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.code(), "invalid_payload");
}

#[tokio::test]
async fn the_api_carries_handshake_masked_secret_and_response() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/h")));
    let path = "/api/v1/integration_account_webhook/custom";
    let got = admin::get(gw.admin, path).await.json();
    assert_eq!(got["handshake"], "meta");
    assert_eq!(got["handshakeSecret"], "***");
    assert_eq!(
        got["response"],
        serde_json::json!({"status": 202, "contentType": "text/plain", "body": "OK",
            "headers": {"x-served-by": "hookgate"}})
    );
    assert!(!got.to_string().contains("meta-verify-token"));

    // An API listener with its own handshake and answer works at once.
    let new = serde_json::json!({
        "provider": "acme", "integrationAccountId": "api-1",
        "handshake": "dropbox",
        "response": {"status": 200, "contentType": "application/xml", "body": "<ok/>"},
        "receivers": [{"url": receiver.url("/api")}]
    });
    let made = admin::send(
        gw.admin,
        "POST",
        "/api/v1/integration_account_webhook",
        &new,
    )
    .await;
    assert!(made.status.is_success(), "{:?}", made.body);
    assert_eq!(made.json()["handshake"], "dropbox");
    assert!(made.json()["handshakeSecret"].is_null());
    let a = crate::common::client::post_from(
        "127.0.0.1".parse().unwrap(),
        gw.public,
        "GET",
        &gw.url("acme/api-1?challenge=xyz"),
        &[],
        Default::default(),
    )
    .await;
    assert_eq!((a.status.as_u16(), &a.body[..]), (200, &b"xyz"[..]));
    let a = post(gw.public, &gw.url("acme/api-1"), &[], r#"{"type":"t"}"#).await;
    assert_eq!((a.status.as_u16(), &a.body[..]), (200, &b"<ok/>"[..]));

    // A 3xx answer and an unknown handshake are refused with their fields named.
    let bad = serde_json::json!({
        "provider": "acme", "integrationAccountId": "api-2",
        "handshake": "telepathy", "response": {"status": 302}
    });
    let refused = admin::send(
        gw.admin,
        "POST",
        "/api/v1/integration_account_webhook",
        &bad,
    )
    .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    let refused = refused.json();
    let fields = admin::error_fields(&refused);
    assert!(fields.contains(&"handshake"), "{fields:?}");
    assert!(fields.contains(&"response.status"), "{fields:?}");
}
