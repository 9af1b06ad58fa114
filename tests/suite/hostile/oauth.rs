//! The OAuth token endpoint is an outbound target like any receiver: the private-address guard
//! covers it, and its answer is read only up to 64 KiB.

use crate::common::admin::TOKENS;
use crate::common::events::attempts;
use crate::common::{post, wait_for, Gateway};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A token endpoint that counts connections and answers every request with `answer`.
async fn token_endpoint(answer: Vec<u8>) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = crate::common::ports::listen().await;
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            counted.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(&answer).await;
            });
        }
    });
    (addr, connections)
}

fn config(token_url: &str, allow: &str, receiver_port: u16) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
{allow}
retry_schedule = ["100ms"]
max_retry_count = 1
{TOKENS}

[[listener]]
id = "l"
provider = "smoobu"
account_id = "a"

[[listener.receiver]]
url = "http://localhost:{receiver_port}/r"
oauth = {{ token_url = "{token_url}", client_id = "id", client_secret = "very-secret" }}
"#
    )
}

/// Waits for the event's attempts to be recorded and returns their errors.
async fn attempt_errors(gw: &Gateway, event_id: &str) -> Vec<String> {
    assert!(
        wait_for(Duration::from_secs(10), || async {
            !attempts(gw.admin, event_id).await.is_empty()
        })
        .await,
        "no attempt recorded"
    );
    attempts(gw.admin, event_id)
        .await
        .into_iter()
        .map(|a| a.2.unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_loopback_token_url_is_blocked_and_never_contacted() {
    let answer = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 31\r\nconnection: close\r\n\r\n{\"error\":\"internal-only-answer\"}".to_vec();
    let (token, connections) = token_endpoint(answer).await;
    let receiver = crate::common::Receiver::start().await;
    // A name, not a literal: a literal loopback address is already refused when the file loads,
    // so what is tested here is the guard at connect time, after the name resolves.
    let url = format!("http://localhost:{}/oauth/token", token.port());
    let gw = Gateway::start(&config(&url, "", receiver.addr.port()));
    let a = post(gw.public, &gw.url("smoobu/a"), &[], r#"{"action":"x"}"#).await;
    let errors = attempt_errors(&gw, &a.event_id()).await;
    assert!(
        errors[0].contains("oauth token") && errors[0].contains("blocked_target"),
        "{errors:?}"
    );
    assert!(!errors[0].contains("internal-only-answer"), "{errors:?}");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the client credentials went to a loopback address"
    );
    assert_eq!(receiver.count(), 0);
}

#[tokio::test]
async fn a_token_answer_over_64_kib_fails_the_attempt() {
    let mut body = String::from(r#"{"access_token":"tok","token_type":"Bearer","pad":""#);
    body.push_str(&"a".repeat(1024 * 1024));
    body.push_str("\"}");
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body.as_bytes());
    let (token, connections) = token_endpoint(answer).await;
    let receiver = crate::common::Receiver::start().await;
    let url = format!("http://{token}/oauth/token");
    let allow = r#"allow_targets = ["127.0.0.0/8"]"#;
    let gw = Gateway::start(&config(&url, allow, receiver.addr.port()));
    let a = post(gw.public, &gw.url("smoobu/a"), &[], r#"{"action":"x"}"#).await;
    let errors = attempt_errors(&gw, &a.event_id()).await;
    assert!(errors[0].contains("token_response_too_large"), "{errors:?}");
    assert!(connections.load(Ordering::SeqCst) >= 1);
    assert_eq!(receiver.count(), 0, "no delivery with an oversized token");
}
