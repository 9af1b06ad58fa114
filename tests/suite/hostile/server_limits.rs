//! `[server] max_header_bytes` and `idle_timeout`: oversized heads are refused, idle
//! connections close, and idle clients never lock out a new one at `max_connections`.

use crate::common::{get_open, post, Gateway};
use bytes::Bytes;
use http::Request;
use http_body_util::Empty;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn config(server: &str) -> String {
    format!(
        r#"
[server]
{server}

[store]
url = "{{STORE}}"

[[listener]]
id = "l"
provider = "smoobu"
account_id = "a"
"#
    )
}

#[tokio::test]
async fn a_request_head_over_max_header_bytes_gets_431() {
    let gw = Gateway::start(&config(""));
    let big = "x".repeat(20 * 1024);
    let a = post(gw.public, &gw.url("smoobu/a"), &[("x-big", &big)], "{}").await;
    assert_eq!(a.status, 431, "{:?}", a.body);
    assert_eq!(a.code(), "headers_too_large");
    let fits = "x".repeat(8 * 1024);
    let a = post(
        gw.public,
        &gw.url("smoobu/a"),
        &[("x-big", &fits)],
        r#"{"a":1}"#,
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
}

#[tokio::test]
async fn idle_http2_clients_at_max_connections_do_not_lock_out_a_new_one() {
    let gw = Gateway::start(&config("max_connections = 20"));
    let mut idle = Vec::new();
    for _ in 0..20 {
        let stream = tokio::net::TcpStream::connect(gw.public).await.unwrap();
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(conn);
        let req = Request::get("/healthz")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        idle.push(sender);
    }
    let answer = tokio::time::timeout(Duration::from_secs(10), get_open(gw.public, "/healthz"))
        .await
        .expect("a new client was locked out by idle ones");
    assert_eq!(answer.status, 200);
    drop(idle);
}

#[tokio::test]
async fn an_idle_http1_connection_is_closed_after_idle_timeout() {
    let gw = Gateway::start(&config("idle_timeout = \"1s\""));
    let mut stream = tokio::net::TcpStream::connect(gw.public).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: gw\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    let started = std::time::Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the idle connection stayed open");
    assert!(started.elapsed() >= Duration::from_millis(800));
}
