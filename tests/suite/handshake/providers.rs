//! Each provider handshake answered as the provider expects, never stored nor delivered, with
//! the source and rate-limit checks still in force. Values are the providers' documented
//! examples where they publish them (Slack's url_verification body and signing secret, Zoom's
//! plainToken); expected digests were computed independently (Python's hmac module).

use crate::common::events::listed_ids;
use crate::common::{admin, post, post_from, Gateway, Receiver};
use hookgate::signature::{self, Scheme};

/// Slack's documented example signing secret.
const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn config(receiver: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]

[[admin.token]]
name = "t"
secret = "admin-token"
scopes = ["WEBHOOKS:VIEW"]

[[listener]]
id = "slack"
provider = "slack"
account_id = "T1"
verify_secret = "{SLACK_SECRET}"
[[listener.receiver]]
url = "{receiver}"

[[listener]]
id = "meta"
provider = "smoobu"
account_id = "meta"
handshake = "meta"
handshake_secret = "meta-verify-token"
[[listener.receiver]]
url = "{receiver}"

[[listener]]
id = "zoom"
provider = "smoobu"
account_id = "zoom"
handshake = "zoom"
handshake_secret = "zoom-secret-token"
[[listener.receiver]]
url = "{receiver}"

[[listener]]
id = "graph"
provider = "smoobu"
account_id = "graph"
handshake = "microsoft-graph"
[[listener.receiver]]
url = "{receiver}"

[[listener]]
id = "twitter"
provider = "smoobu"
account_id = "twitter"
handshake = "twitter"
handshake_secret = "twitter-consumer-secret"
allowed_ips = ["127.0.0.1/32"]
[[listener.receiver]]
url = "{receiver}"

[[listener]]
id = "dropbox"
provider = "smoobu"
account_id = "dropbox"
handshake = "dropbox"
rate_limit = {{ per_second = 1, burst = 1 }}
[[listener.receiver]]
url = "{receiver}"

[[listener]]
id = "plain"
provider = "smoobu"
account_id = "plain"
"#
    )
}

async fn get(gw: &Gateway, tail: &str) -> crate::common::Answer {
    let addr = "127.0.0.1".parse().unwrap();
    post_from(
        addr,
        gw.public,
        "GET",
        &gw.url(tail),
        &[],
        Default::default(),
    )
    .await
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Nothing was stored for listener `id`.
async fn nothing_stored(gw: &Gateway, id: &str) {
    let path = format!("/api/v1/integration_account_webhook/{id}/events");
    let answer = admin::call(gw.admin, "GET", &path, "admin-token", "").await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert!(
        listed_ids(&answer.json()).is_empty(),
        "{id}: a handshake was stored"
    );
}

#[tokio::test]
async fn slack_url_verification_is_answered_when_signed() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/h")));
    // Slack's documented url_verification body.
    let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let signed =
        signature::sign(&Scheme::Slack, SLACK_SECRET, body.as_bytes(), now(), "m").unwrap();
    let headers: Vec<(&str, &str)> = signed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let a = post(gw.public, &gw.url("slack/T1"), &headers, body).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.json(),
        serde_json::json!({"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})
    );
    // Unsigned, it is refused like any unsigned Slack request.
    let a = post(gw.public, &gw.url("slack/T1"), &[], body).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.code(), "unauthorized");
    nothing_stored(&gw, "slack").await;
    assert_eq!(receiver.count(), 0);
}

#[tokio::test]
async fn meta_echoes_the_challenge_only_for_its_verify_token() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/h")));
    let ok = "smoobu/meta?hub.mode=subscribe&hub.verify_token=meta-verify-token&hub.challenge=1158201444";
    let a = get(&gw, ok).await;
    assert_eq!(a.status, 200);
    assert!(a.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(a.body, "1158201444");
    let wrong = "smoobu/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444";
    let a = get(&gw, wrong).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.code(), "handshake_refused");
    assert!(!String::from_utf8_lossy(&a.body).contains("1158201444"));
    nothing_stored(&gw, "meta").await;
}

#[tokio::test]
async fn zoom_url_validation_gets_the_encrypted_token() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/h")));
    // Zoom's documented example request.
    let body = r#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#;
    let a = post(gw.public, &gw.url("smoobu/zoom"), &[], body).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.json(),
        serde_json::json!({
            "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
            "encryptedToken": "d9e0d764a78494688ba3f2d5c0ed4ca311394b4834d959759213424d2df961e3"
        })
    );
    nothing_stored(&gw, "zoom").await;
    // A real event on the same listener is accepted as usual.
    let a = post(
        gw.public,
        &gw.url("smoobu/zoom"),
        &[],
        r#"{"action":"newReservation"}"#,
    )
    .await;
    assert_eq!(a.json()["status"], "accepted");
}

#[tokio::test]
async fn microsoft_graph_echoes_the_validation_token_by_get_and_post() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/h")));
    let a = get(
        &gw,
        "smoobu/graph?validationToken=Validation%3A%20Testing%20client",
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, "Validation: Testing client");
    let tail = gw.url("smoobu/graph?validationToken=abc123");
    let a = post(gw.public, &tail, &[("content-type", "text/plain")], "").await;
    assert_eq!(a.status, 200);
    assert!(a.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(a.body, "abc123");
    nothing_stored(&gw, "graph").await;
}

#[tokio::test]
async fn twitter_crc_gets_the_response_token_from_allowed_sources_only() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/h")));
    let a = get(
        &gw,
        "smoobu/twitter?crc_token=9b4507b3-9040-4669-9ba4-ba8a8cd4fbd5",
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.json(),
        serde_json::json!({"response_token": "sha256=aztbfQi5J7WnrSQfEmiSZRO3ba7DCeJ8Yibgx4xBrnA="})
    );
    // Check 3 still applies.
    let other = "127.0.0.2".parse().unwrap();
    let tail = gw.url("smoobu/twitter?crc_token=x");
    let a = post_from(other, gw.public, "GET", &tail, &[], Default::default()).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.code(), "ip_not_allowed");
    nothing_stored(&gw, "twitter").await;
}

#[tokio::test]
async fn dropbox_echoes_the_challenge_with_nosniff_within_the_rate_limit() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/h")));
    let a = get(&gw, "smoobu/dropbox?challenge=CHALLENGE-42").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, "CHALLENGE-42");
    assert_eq!(a.headers["x-content-type-options"], "nosniff");
    // Check 4 still applies: the burst of one is spent.
    let a = get(&gw, "smoobu/dropbox?challenge=again").await;
    assert_eq!(a.status, 429);
    assert_eq!(a.code(), "rate_limited");
    nothing_stored(&gw, "dropbox").await;
}

#[tokio::test]
async fn get_stays_refused_where_no_handshake_uses_it() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/h")));
    for tail in [
        "smoobu/plain?challenge=x",
        "slack/T1?challenge=x",
        "smoobu/zoom?x=1",
    ] {
        let a = get(&gw, tail).await;
        assert_eq!(a.status, 405, "{tail}");
        assert_eq!(a.code(), "method_not_allowed");
    }
    // A GET handshake listener answers 405 to a GET that is not its handshake.
    let a = get(&gw, "smoobu/dropbox").await;
    assert_eq!(a.status, 405);
    let a = get(&gw, "smoobu/nobody?challenge=x").await;
    assert_eq!(a.code(), "listener_not_found");
}
