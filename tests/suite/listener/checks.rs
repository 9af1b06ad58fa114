//! SPEC section 3: every check of the listener endpoint, in order, with its status and JSON body.

use crate::common::{post, post_from, Gateway, Receiver};
use bytes::Bytes;
use std::time::Duration;

pub(super) fn config(receiver: &str) -> String {
    format!(
        r#"
[server]
max_body_bytes = 1000
header_timeout = "500ms"

[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]

[[listener]]
id = "open"
provider = "hostaway"
account_id = "acc-open"
basic_auth = {{ username = "hostaway", password = "pw" }}
allowed_ips = ["127.0.0.1/32"]
required_headers = {{ "X-Api-Key" = "k3y" }}
event_subscription = {{ "reservation.created" = true, "reservation.updated" = true, "reservation.deleted" = false }}

[[listener.receiver]]
url = "{receiver}"

[[listener]]
id = "limited"
provider = "smoobu"
account_id = "acc-limited"
rate_limit = {{ per_second = 1, burst = 2 }}

[[listener]]
id = "off"
provider = "smoobu"
account_id = "acc-off"
enabled = false

[[listener]]
id = "gh"
provider = "github"
account_id = "org"
verify_secret = "s3cret"

[[listener.receiver]]
url = "{receiver}"
"#
    )
}

const AUTH: [(&str, &str); 2] = [
    ("authorization", "Basic aG9zdGF3YXk6cHc="),
    ("x-api-key", "k3y"),
];

fn assert_error(a: &crate::common::Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "{:?}", a.body);
    let json = a.json();
    assert_eq!(json["code"], code, "{json}");
    assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(
        json["errorId"].as_str().unwrap().len(),
        36,
        "errorId is a UUID"
    );
    assert!(
        json["timestamp"].as_str().unwrap().ends_with('Z'),
        "RFC 3339 timestamp"
    );
}

#[tokio::test]
async fn every_status_code_of_the_spec_table() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/in")));
    let url = gw.url("hostaway/acc-open");
    assert_unknown_listeners_are_404(&gw).await;
    assert_method_and_source_are_checked(&gw, &url).await;
    assert_size_credentials_and_body_are_checked(&gw, &url).await;
    assert_filtered_then_accepted(&gw, &url).await;
    assert_rate_limited_with_retry_after(&gw).await;
    // Logs never carry the secrets.
    let logs = gw.log_text();
    assert!(
        !logs.contains("k3y") && !logs.contains("s3cret"),
        "a secret leaked into the logs"
    );
}

/// The body of an event the "acc-open" listener is subscribed to.
const CREATED: &str = r#"{"event":"reservation.created","data":{"id":1}}"#;

async fn assert_unknown_listeners_are_404(gw: &Gateway) {
    // 1. Unknown and disabled listeners.
    assert_error(
        &post(gw.public, &gw.url("hostaway/nope"), &AUTH, CREATED).await,
        404,
        "listener_not_found",
    );
    assert_error(
        &post(gw.public, &gw.url("smoobu/acc-off"), &[], "{}").await,
        404,
        "listener_not_found",
    );
}

async fn assert_method_and_source_are_checked(gw: &Gateway, url: &str) {
    // 2. Wrong method.
    let a = post_from(
        "127.0.0.1".parse().unwrap(),
        gw.public,
        "GET",
        url,
        &[],
        Bytes::new(),
    )
    .await;
    assert_error(&a, 405, "method_not_allowed");
    assert_eq!(a.headers["allow"], "POST");
    // 3. Source address outside allowed_ips.
    let a = post_from(
        "127.0.0.2".parse().unwrap(),
        gw.public,
        "POST",
        url,
        &AUTH,
        Bytes::from(CREATED),
    )
    .await;
    assert_error(&a, 403, "ip_not_allowed");
}

async fn assert_size_credentials_and_body_are_checked(gw: &Gateway, url: &str) {
    // 5. Too large by Content-Length.
    assert_error(
        &post(gw.public, url, &AUTH, vec![b' '; 1001]).await,
        413,
        "payload_too_large",
    );
    // 6. Missing or wrong credentials: the same answer whichever check failed.
    assert_error(
        &post(gw.public, url, &[], CREATED).await,
        401,
        "unauthorized",
    );
    assert_error(
        &post(gw.public, url, &[AUTH[0]], CREATED).await,
        401,
        "unauthorized",
    );
    let wrong_pw = [
        ("authorization", "Basic aG9zdGF3YXk6cHg="),
        ("x-api-key", "k3y"),
    ];
    assert_error(
        &post(gw.public, url, &wrong_pw, CREATED).await,
        401,
        "unauthorized",
    );
    // 7. Body that cannot be parsed.
    assert_error(
        &post(gw.public, url, &AUTH, "{not json").await,
        400,
        "invalid_payload",
    );
}

async fn assert_filtered_then_accepted(gw: &Gateway, url: &str) {
    // 8. Not subscribed, and the ping without an event type.
    let a = post(gw.public, url, &AUTH, r#"{"event":"reservation.deleted"}"#).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.json(),
        serde_json::json!({"status":"filtered","eventType":"reservation.deleted"})
    );
    let a = post(gw.public, url, &AUTH, r#"{"data":"test"}"#).await;
    assert_eq!(
        a.json(),
        serde_json::json!({"status":"filtered","eventType":null})
    );
    // 10. Accepted.
    let a = post(gw.public, url, &AUTH, CREATED).await;
    assert_eq!(a.status, 200);
    let json = a.json();
    assert_eq!(json["status"], "accepted");
    assert_eq!(json["deliveries"], 1);
    assert_eq!(json["eventId"].as_str().unwrap().len(), 36);
}

async fn assert_rate_limited_with_retry_after(gw: &Gateway) {
    // 4. Rate limit: burst of 2, then 429 with Retry-After.
    let limited = gw.url("smoobu/acc-limited");
    let body = r#"{"action":"newReservation"}"#;
    assert_eq!(post(gw.public, &limited, &[], body).await.status, 200);
    assert_eq!(post(gw.public, &limited, &[], body).await.status, 200);
    let a = post(gw.public, &limited, &[], body).await;
    assert_error(&a, 429, "rate_limited");
    assert!(
        a.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
}

#[tokio::test]
async fn github_signature_and_duplicate_delivery() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/gh")));
    let url = gw.url("github/org");
    let body = br#"{"action":"opened","number":1}"#;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let signed = hookgate::signature::sign(
        &hookgate::signature::Scheme::Github,
        "s3cret",
        body,
        now,
        "x",
    )
    .unwrap();
    let (sig_name, sig) = (&signed[0].0, &signed[0].1);
    let headers = [
        ("x-github-event", "pull_request"),
        ("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        (sig_name.as_str(), sig.as_str()),
    ];
    let first = post(gw.public, &url, &headers, &body[..]).await;
    assert_eq!(first.json()["status"], "accepted", "{:?}", first.body);
    let again = post(gw.public, &url, &headers, &body[..]).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["status"], "duplicate");
    assert_eq!(again.json()["eventId"], first.json()["eventId"]);
    // A wrong signature is refused.
    let bad = [
        headers[0],
        ("x-github-delivery", "other"),
        (sig_name.as_str(), "sha256=00"),
    ];
    assert_eq!(post(gw.public, &url, &bad, &body[..]).await.status, 401);
    assert!(crate::common::wait_until(Duration::from_secs(5), || receiver.count() >= 1).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.count(), 1, "a duplicate was delivered again");
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let receiver = Receiver::start().await;
    let cfg = config(&receiver.url("/in"))
        .replace("[server]", "[server]\ntrusted_proxies = [\"127.0.0.3/32\"]");
    let gw = Gateway::start(&cfg);
    let url = gw.url("hostaway/acc-open");
    let body = Bytes::from_static(br#"{"event":"reservation.created"}"#);
    let forged = [AUTH[0], AUTH[1], ("x-forwarded-for", "127.0.0.1")];
    // An untrusted peer cannot claim to be 127.0.0.1.
    let a = post_from(
        "127.0.0.2".parse().unwrap(),
        gw.public,
        "POST",
        &url,
        &forged,
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 403);
    // A trusted proxy forwarding for 127.0.0.1 is believed...
    let a = post_from(
        "127.0.0.3".parse().unwrap(),
        gw.public,
        "POST",
        &url,
        &forged,
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    // ...and one forwarding for someone else is not let in.
    let other = [AUTH[0], AUTH[1], ("x-forwarded-for", "127.0.0.9")];
    let a = post_from(
        "127.0.0.3".parse().unwrap(),
        gw.public,
        "POST",
        &url,
        &other,
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 403);
    // An allowed peer stays allowed whatever it forges.
    let a = post_from(
        "127.0.0.1".parse().unwrap(),
        gw.public,
        "POST",
        &url,
        &[AUTH[0], AUTH[1], ("x-forwarded-for", "8.8.8.8")],
        body,
    )
    .await;
    assert_eq!(a.status, 200);
}
