//! A plain HTTP/1.1 client that can pick its source address (127.0.0.2, …).

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, SocketAddr};
use tokio::net::TcpSocket;

/// The gateway's answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {:?}", self.body))
    }

    /// The `eventId` of an accepted request.
    pub fn event_id(&self) -> String {
        self.json()["eventId"].as_str().unwrap().to_string()
    }

    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or("").to_string()
    }
}

/// POSTs from 127.0.0.1.
pub async fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Answer {
    post_from(
        "127.0.0.1".parse().unwrap(),
        addr,
        "POST",
        path,
        headers,
        body.into(),
    )
    .await
}

/// GETs `path` from 127.0.0.1 without credentials (health, readiness, metrics).
pub async fn get_open(addr: SocketAddr, path: &str) -> Answer {
    post_from(
        "127.0.0.1".parse().unwrap(),
        addr,
        "GET",
        path,
        &[],
        Bytes::new(),
    )
    .await
}

/// Sends one request from a chosen local address.
pub async fn post_from(
    source: IpAddr,
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Answer {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(source, 0)).unwrap();
    let stream = socket.connect(addr).await.expect("connect to gateway");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    let mut has_type = false;
    for (k, v) in headers {
        has_type |= k.eq_ignore_ascii_case("content-type");
        req = req.header(*k, *v);
    }
    if !has_type {
        req = req.header("content-type", "application/json");
    }
    let resp = sender
        .send_request(req.body(Full::new(body)).unwrap())
        .await
        .expect("answer");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}
