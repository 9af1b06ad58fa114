//! SPEC section 3: every check of the listener endpoint, in order, with its status and JSON body.

mod common;

use bytes::Bytes;
use common::{post, post_from, Gateway, Receiver};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn config(receiver: &str) -> String {
    format!(
        r#"
[server]
max_body_bytes = 1000
header_timeout = "500ms"

[store]
url = "sqlite://{{DB}}"

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

fn assert_error(a: &common::Answer, status: u16, code: &str) {
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
    let created = r#"{"event":"reservation.created","data":{"id":1}}"#;

    // 1. Unknown and disabled listeners.
    assert_error(
        &post(gw.public, &gw.url("hostaway/nope"), &AUTH, created).await,
        404,
        "listener_not_found",
    );
    assert_error(
        &post(gw.public, &gw.url("smoobu/acc-off"), &[], "{}").await,
        404,
        "listener_not_found",
    );
    // 2. Wrong method.
    let a = post_from(
        "127.0.0.1".parse().unwrap(),
        gw.public,
        "GET",
        &url,
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
        &url,
        &AUTH,
        Bytes::from(created),
    )
    .await;
    assert_error(&a, 403, "ip_not_allowed");
    // 5. Too large by Content-Length.
    assert_error(
        &post(gw.public, &url, &AUTH, vec![b' '; 1001]).await,
        413,
        "payload_too_large",
    );
    // 6. Missing or wrong credentials: the same answer whichever check failed.
    assert_error(
        &post(gw.public, &url, &[], created).await,
        401,
        "unauthorized",
    );
    assert_error(
        &post(gw.public, &url, &[AUTH[0]], created).await,
        401,
        "unauthorized",
    );
    let wrong_pw = [
        ("authorization", "Basic aG9zdGF3YXk6cHg="),
        ("x-api-key", "k3y"),
    ];
    assert_error(
        &post(gw.public, &url, &wrong_pw, created).await,
        401,
        "unauthorized",
    );
    // 7. Body that cannot be parsed.
    assert_error(
        &post(gw.public, &url, &AUTH, "{not json").await,
        400,
        "invalid_payload",
    );
    // 8. Not subscribed, and the ping without an event type.
    let a = post(gw.public, &url, &AUTH, r#"{"event":"reservation.deleted"}"#).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.json(),
        serde_json::json!({"status":"filtered","eventType":"reservation.deleted"})
    );
    let a = post(gw.public, &url, &AUTH, r#"{"data":"test"}"#).await;
    assert_eq!(
        a.json(),
        serde_json::json!({"status":"filtered","eventType":null})
    );
    // 10. Accepted.
    let a = post(gw.public, &url, &AUTH, created).await;
    assert_eq!(a.status, 200);
    let json = a.json();
    assert_eq!(json["status"], "accepted");
    assert_eq!(json["deliveries"], 1);
    assert_eq!(json["eventId"].as_str().unwrap().len(), 36);
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
    // Logs never carry the secrets.
    let logs = gw.log_text();
    assert!(
        !logs.contains("k3y") && !logs.contains("s3cret"),
        "a secret leaked into the logs"
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
    assert!(common::wait_until(Duration::from_secs(5), || receiver.count() >= 1).await);
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

#[tokio::test]
async fn oversized_stream_is_refused_without_buffering_it() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/in")));
    let mut stream = tokio::net::TcpStream::connect(gw.public).await.unwrap();
    let head = "POST /api/v1/listener/hostaway/acc-open HTTP/1.1\r\nhost: x\r\nauthorization: Basic aG9zdGF3YXk6cHc=\r\nx-api-key: k3y\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    // Stream 64 KiB in chunks (64 x the limit) and stop as soon as the gateway answers.
    let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
    let mut sent = 0;
    for _ in 0..64 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
        sent += 1024;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("payload_too_large"), "{text}");
    assert!(sent > 0);
}

#[tokio::test]
async fn slow_client_that_never_finishes_its_headers_is_cut_off() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/in")));
    let mut stream = tokio::net::TcpStream::connect(gw.public).await.unwrap();
    stream
        .write_all(b"POST /api/v1/listener/hostaway/acc-open HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 512];
    // header_timeout is 500ms: the gateway must close the connection long before 10 s.
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the connection was still open after 10 s");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// Connects, sends `first` (maybe nothing), then expects the gateway to close the connection
/// without answering: header_timeout is 500ms, so well within 10 s.
async fn assert_cut_off_after_sending(first: &[u8]) {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/in")));
    let mut stream = tokio::net::TcpStream::connect(gw.public).await.unwrap();
    stream.write_all(first).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the connection that sent {first:?} was not closed: {read:?}"
    );
}

#[tokio::test]
async fn a_client_that_connects_and_sends_nothing_is_cut_off() {
    assert_cut_off_after_sending(b"").await;
}

#[tokio::test]
async fn a_client_that_stalls_inside_the_http2_preface_is_cut_off() {
    // "PRI" could still be the HTTP/2 preface, so the gateway waits for more: but not forever.
    assert_cut_off_after_sending(b"PRI * HT").await;
}

#[tokio::test]
async fn a_request_line_split_across_packets_is_still_served() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/in")));
    let mut stream = tokio::net::TcpStream::connect(gw.public).await.unwrap();
    stream.set_nodelay(true).unwrap();
    // "P" alone could begin POST, PUT or the HTTP/2 preface; the rest follows a moment later.
    stream.write_all(b"P").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream
        .write_all(b"UT /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered within 10 s")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
}
