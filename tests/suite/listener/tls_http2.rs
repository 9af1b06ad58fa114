//! The public listener speaks TLS (rustls, HTTP/2 and HTTP/1.1 by ALPN) and cleartext HTTP/2.

use crate::common::{wait_until, Gateway, Receiver};
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Arc;
use std::time::Duration;

fn config(receiver: &str, tls: &str) -> String {
    format!(
        "[server]\n{tls}\n[store]\nurl = \"{{STORE}}\"\n[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n[[listener]]\nid = \"l\"\nprovider = \"smoobu\"\naccount_id = \"a\"\n[[listener.receiver]]\nurl = \"{receiver}\"\n"
    )
}

async fn send<S>(io: S, http2: bool) -> (u16, serde_json::Value)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let req = Request::post("/api/v1/listener/smoobu/a")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(
            br#"{"action":"newReservation"}"#,
        )))
        .unwrap();
    let resp = if http2 {
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
                .await
                .unwrap();
        tokio::spawn(conn);
        sender.send_request(req).await.unwrap()
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .unwrap();
        tokio::spawn(conn);
        sender.send_request(req).await.unwrap()
    };
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn tls_with_alpn_http2_and_http1() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), cert.key_pair.serialize_pem()).unwrap();
    let tls = format!(
        "tls = {{ cert = \"{}\", key = \"{}\" }}",
        dir.path().join("cert.pem").display(),
        dir.path().join("key.pem").display()
    );
    let gw = Gateway::start(&config(&receiver.url("/r"), &tls));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    for (alpn, http2) in [(b"h2".to_vec(), true), (b"http/1.1".to_vec(), false)] {
        let mut client = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
        client.alpn_protocols = vec![alpn.clone()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let tcp = tokio::net::TcpStream::connect(gw.public).await.unwrap();
        let stream = connector
            .connect("localhost".try_into().unwrap(), tcp)
            .await
            .unwrap();
        assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&alpn[..]));
        let (status, json) = send(stream, http2).await;
        assert_eq!(status, 200);
        assert_eq!(json["status"], "accepted");
    }
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 2).await);
    // A plain-text request to the TLS port gets nowhere.
    let tcp = tokio::net::TcpStream::connect(gw.public).await.unwrap();
    let plain = tokio::time::timeout(Duration::from_secs(5), async {
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(tcp))
                .await
                .ok()?;
        tokio::spawn(conn);
        sender
            .send_request(Request::post("/").body(Full::new(Bytes::new())).unwrap())
            .await
            .ok()
    })
    .await;
    assert!(
        matches!(plain, Ok(None)),
        "cleartext must not be answered on the TLS port"
    );
}

#[tokio::test]
async fn cleartext_http2_prior_knowledge() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/r"), ""));
    let tcp = tokio::net::TcpStream::connect(gw.public).await.unwrap();
    let (status, json) = send(tcp, true).await;
    assert_eq!(status, 200);
    assert_eq!(json["status"], "accepted");
}
