//! OAuth client credentials on the way out: one token for many deliveries, a refresh on 401,
//! credentials in the header or the body, and a failing token endpoint.

use crate::common::admin::TOKENS;
use crate::common::events::{attempts, delivery_statuses};
use crate::common::{post, wait_for, wait_until, Gateway, Receiver};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct TokenServer {
    addr: SocketAddr,
    issued: Arc<AtomicU64>,
    requests: Arc<Mutex<Vec<(String, String)>>>,
    failing: Arc<std::sync::atomic::AtomicBool>,
}

async fn token_server() -> TokenServer {
    let listener = crate::common::ports::listen().await;
    let addr = listener.local_addr().unwrap();
    let issued = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (i, r, f) = (issued.clone(), requests.clone(), failing.clone());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (i, r, f) = (i.clone(), r.clone(), f.clone());
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let (i, r, f) = (i.clone(), r.clone(), f.clone());
                    async move {
                        let auth = req
                            .headers()
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_string())
                            .unwrap_or_default();
                        let body = String::from_utf8(
                            req.into_body().collect().await.unwrap().to_bytes().to_vec(),
                        )
                        .unwrap();
                        r.lock().unwrap().push((auth, body));
                        if f.load(Ordering::SeqCst) {
                            let mut resp = Response::new(Full::new(Bytes::from_static(
                                b"{\"error\":\"server_error\"}",
                            )));
                            *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                            return Ok::<_, std::convert::Infallible>(resp);
                        }
                        let n = i.fetch_add(1, Ordering::SeqCst) + 1;
                        let json = format!(
                            r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":3600}}"#
                        );
                        Ok(Response::new(Full::new(Bytes::from(json))))
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    TokenServer {
        addr,
        issued,
        requests,
        failing,
    }
}

fn oauth_config(receiver: &str, token: SocketAddr, location: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]
max_retry_count = 5
{TOKENS}

[[listener]]
id = "l"
provider = "smoobu"
account_id = "a"

[[listener.receiver]]
url = "{receiver}"
oauth = {{ token_url = "http://{token}/oauth/token", client_id = "my id", client_secret = "s3cr:et", credentials_location = "{location}", scope = "read write" }}
"#
    )
}

#[tokio::test]
async fn oauth_fetches_one_token_for_many_deliveries() {
    let tokens = token_server().await;
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&oauth_config(&receiver.url("/r"), tokens.addr, "header"));
    for i in 0..10 {
        post(
            gw.public,
            &gw.url("smoobu/a"),
            &[],
            format!(r#"{{"action":"x","n":{i}}}"#),
        )
        .await;
    }
    assert!(wait_until(Duration::from_secs(10), || receiver.count() == 10).await);
    assert_eq!(
        tokens.issued.load(Ordering::SeqCst),
        1,
        "one token for all deliveries"
    );
    assert!(receiver
        .received()
        .iter()
        .all(|r| r.header("authorization") == "Bearer tok-1"));
    let (auth, body) = tokens.requests.lock().unwrap()[0].clone();
    // Basic base64("my+id:s3cr%3Aet"): both parts form-encoded first (RFC 6749 §2.3.1).
    assert_eq!(auth, "Basic bXkraWQ6czNjciUzQWV0");
    assert_eq!(body, "grant_type=client_credentials&scope=read+write");
    assert!(!gw.log_text().contains("s3cr:et"));
}

#[tokio::test]
async fn oauth_refreshes_once_when_the_receiver_answers_401_and_body_credentials_work() {
    let tokens = token_server().await;
    let receiver = Receiver::start().await;
    receiver.fail_next(1, 401);
    let gw = Gateway::start(&oauth_config(&receiver.url("/r"), tokens.addr, "body"));
    let a = post(gw.public, &gw.url("smoobu/a"), &[], r#"{"action":"x"}"#).await;
    let event_id = a.event_id();
    assert!(wait_until(Duration::from_secs(10), || receiver.count() == 2).await);
    let got = receiver.received();
    assert_eq!(got[0].header("authorization"), "Bearer tok-1");
    assert_eq!(
        got[1].header("authorization"),
        "Bearer tok-2",
        "a fresh token after the 401"
    );
    assert_eq!(
        got[1].header("x-hookgate-attempt"),
        "1",
        "the refresh is part of the same attempt"
    );
    let (auth, body) = tokens.requests.lock().unwrap()[0].clone();
    assert_eq!(auth, "");
    assert!(
        body.contains("client_id=my+id") && body.contains("client_secret=s3cr%3Aet"),
        "{body}"
    );
    assert!(
        wait_for(Duration::from_secs(5), || async {
            delivery_statuses(gw.admin, &event_id).await == ["succeeded"]
        })
        .await
    );
}

#[tokio::test]
async fn a_failing_token_endpoint_fails_the_attempt_and_it_is_retried() {
    let tokens = token_server().await;
    tokens.failing.store(true, Ordering::SeqCst);
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&oauth_config(&receiver.url("/r"), tokens.addr, "header"));
    let a = post(gw.public, &gw.url("smoobu/a"), &[], r#"{"action":"x"}"#).await;
    let event_id = a.event_id();
    assert!(
        wait_for(Duration::from_secs(5), || async {
            attempts(gw.admin, &event_id).await.len() >= 2
        })
        .await
    );
    let attempts = attempts(gw.admin, &event_id).await;
    assert!(
        attempts[0]
            .2
            .as_deref()
            .unwrap()
            .contains("token endpoint answered 500"),
        "{attempts:?}"
    );
    assert_eq!(receiver.count(), 0);
    tokens.failing.store(false, Ordering::SeqCst);
    assert!(
        wait_until(Duration::from_secs(5), || receiver.count() == 1).await,
        "delivered once the token endpoint recovers"
    );
}
