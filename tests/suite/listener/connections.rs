//! Clients at the connection level: an endless body, slow or silent clients, a stalled HTTP/2
//! preface, and a request line split across packets.

use super::checks::config;
use crate::common::{Gateway, Receiver};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
