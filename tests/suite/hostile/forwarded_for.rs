//! X-Forwarded-For from a trusted proxy: every header is one list walked from the right, and a
//! hop that is not an address makes the source unknown — never the proxy's own address.

use crate::common::admin::TOKENS;
use crate::common::events::event;
use crate::common::Gateway;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

const CONFIG: &str = r#"
[server]
trusted_proxies = ["127.0.0.3/32"]

[store]
url = "{STORE}"

[[listener]]
id = "guarded"
provider = "smoobu"
account_id = "guarded"
allowed_ips = ["127.0.0.0/8", "6.6.6.6/32"]

[[listener]]
id = "open"
provider = "smoobu"
account_id = "open"
"#;

/// Sends a request with raw header lines (bytes, so non-ASCII can go out) from the trusted
/// proxy 127.0.0.3; returns the status and the JSON body.
async fn via_proxy(gw: SocketAddr, path: &str, xff: &[&[u8]]) -> (u16, serde_json::Value) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.3:0".parse().unwrap()).unwrap();
    let mut stream = socket.connect(gw).await.unwrap();
    let body = br#"{"action":"x"}"#;
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    )
    .into_bytes();
    for value in xff {
        head.extend_from_slice(b"x-forwarded-for: ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head.extend_from_slice(body);
    stream.write_all(&head).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    let status = text[9..12].parse().unwrap();
    let json = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(json).unwrap_or_default())
}

async fn source_of(gw: &Gateway, xff: &[&[u8]]) -> serde_json::Value {
    let (status, json) = via_proxy(gw.public, &gw.url("smoobu/open"), xff).await;
    assert_eq!(status, 200, "{json}");
    let id = json["eventId"].as_str().unwrap();
    let shown = event(gw.admin, id).await;
    assert_eq!(shown["id"], id, "{shown}");
    shown["sourceIp"].clone()
}

#[tokio::test]
async fn a_garbled_chain_is_an_unknown_source_that_no_allow_list_admits() {
    let gw = Gateway::start(&format!("{CONFIG}{TOKENS}"));
    let guarded = gw.url("smoobu/guarded");
    let chains: [&[&[u8]]; 4] = [
        &[b"6.6.6.6, garbage"],
        &[b"garbage"],
        &[b"6.6.6.6, 8.8.8.\xe98"],
        &[b"6.6.6.6", b"127.0.0.3, not-an-ip, 127.0.0.3"],
    ];
    for chain in chains {
        let (status, json) = via_proxy(gw.public, &guarded, chain).await;
        assert_eq!(
            (status, json["code"].as_str()),
            (403, Some("ip_not_allowed")),
            "{chain:?} fell back to the proxy's own address"
        );
        assert!(source_of(&gw, chain).await.is_null(), "{chain:?}");
    }
}

#[tokio::test]
async fn the_chain_is_read_from_the_right_across_headers() {
    let gw = Gateway::start(&format!("{CONFIG}{TOKENS}"));
    // Left of the first untrusted hop nothing is read, garbage included.
    assert_eq!(source_of(&gw, &[b"garbage, 6.6.6.6"]).await, "6.6.6.6");
    let (status, _) = via_proxy(gw.public, &gw.url("smoobu/guarded"), &[b"garbage, 6.6.6.6"]).await;
    assert_eq!(status, 200);
    // Two headers are one list, in order.
    let two: &[&[u8]] = &[b"1.2.3.4", b"6.6.6.6, 127.0.0.3"];
    assert_eq!(source_of(&gw, two).await, "6.6.6.6");
    let two: &[&[u8]] = &[b"1.2.3.4", b"127.0.0.3"];
    assert_eq!(source_of(&gw, two).await, "1.2.3.4");
    let (status, _) = via_proxy(gw.public, &gw.url("smoobu/guarded"), two).await;
    assert_eq!(status, 403);
}
