//! Outbound trust: OAuth client credentials, the private-address guard, per-receiver limits,
//! forwarded headers, and de-duplication across a restart.

mod common;

use bytes::Bytes;
use common::{db, post, wait_until, Gateway, Receiver};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A real OAuth token endpoint: hands out tok-1, tok-2, … and records each token request's body.
struct TokenServer {
    addr: SocketAddr,
    issued: Arc<AtomicU64>,
    requests: Arc<Mutex<Vec<(String, String)>>>,
    failing: Arc<std::sync::atomic::AtomicBool>,
}

async fn token_server() -> TokenServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
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
url = "sqlite://{{DB}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]
max_retry_count = 5

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
    let event_id = a.json()["eventId"].as_str().unwrap().to_string();
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
        wait_until(Duration::from_secs(5), || db::delivery_statuses(
            &gw.db(),
            &event_id
        ) == ["succeeded"])
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
    let event_id = a.json()["eventId"].as_str().unwrap().to_string();
    assert!(
        wait_until(Duration::from_secs(5), || db::attempts(&gw.db(), &event_id)
            .len()
            >= 2)
        .await
    );
    let attempts = db::attempts(&gw.db(), &event_id);
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

#[test]
fn private_literal_receivers_are_refused_at_load_unless_allowed() {
    for url in [
        "http://127.0.0.1:9/x",
        "http://[::ffff:127.0.0.1]:9/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://10.0.0.8/x",
    ] {
        let base = format!("[[listener]]\nid = \"l\"\nprovider = \"smoobu\"\naccount_id = \"a\"\n[[listener.receiver]]\nurl = \"{url}\"\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.toml");
        std::fs::write(&path, &base).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookgate"))
            .args(["check", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{url} must be refused");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("allow_targets"),
            "{url}"
        );
        let allowed = format!("[delivery]\nallow_targets = [\"127.0.0.0/8\", \"169.254.0.0/16\", \"::1/128\", \"10.0.0.0/8\"]\n{base}");
        std::fs::write(&path, allowed).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookgate"))
            .args(["check", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{url} must be allowed by allow_targets: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_blocked_at_connect_time() {
    let receiver = Receiver::start().await;
    let cfg = format!(
        "[store]\nurl = \"sqlite://{{DB}}\"\n[delivery]\nretry_schedule = [\"100ms\"]\nmax_retry_count = 1\n[[listener]]\nid = \"l\"\nprovider = \"smoobu\"\naccount_id = \"a\"\n[[listener.receiver]]\nurl = \"http://localhost:{}/x\"\n",
        receiver.addr.port()
    );
    let gw = Gateway::start(&cfg);
    let a = post(gw.public, &gw.url("smoobu/a"), &[], r#"{"action":"x"}"#).await;
    let event_id = a.json()["eventId"].as_str().unwrap().to_string();
    assert!(
        wait_until(Duration::from_secs(5), || db::delivery_statuses(
            &gw.db(),
            &event_id
        ) == ["failed"])
        .await
    );
    let attempts = db::attempts(&gw.db(), &event_id);
    assert!(
        attempts
            .iter()
            .all(|a| a.2.as_deref().unwrap_or("").contains("blocked_target")),
        "{attempts:?}"
    );
    assert_eq!(receiver.count(), 0, "nothing reached the loopback receiver");
}

fn two_receivers(limited: &str, free: &str, limited_extra: &str) -> String {
    format!(
        r#"
[store]
url = "sqlite://{{DB}}"

[delivery]
allow_targets = ["127.0.0.0/8"]

[[listener]]
id = "l"
provider = "smoobu"
account_id = "a"

[[listener.receiver]]
url = "{limited}"
{limited_extra}

[[listener.receiver]]
url = "{free}"
"#
    )
}

async fn send(gw: &Gateway, n: usize) {
    for i in 0..n {
        let a = post(
            gw.public,
            &gw.url("smoobu/a"),
            &[],
            format!(r#"{{"action":"x","n":{i}}}"#),
        )
        .await;
        assert_eq!(a.json()["deliveries"], 2);
    }
}

fn last_arrival(r: &Receiver) -> Instant {
    r.received().iter().map(|x| x.at).max().unwrap()
}

#[tokio::test]
async fn a_rate_limited_receiver_is_held_back_while_the_other_gets_its_events_at_once() {
    let limited = Receiver::start().await;
    let free = Receiver::start().await;
    let gw = Gateway::start(&two_receivers(
        &limited.url("/slow"),
        &free.url("/fast"),
        "rate_limit = { per_second = 5 }",
    ));
    let started = Instant::now();
    send(&gw, 20).await;
    assert!(
        wait_until(Duration::from_secs(20), || limited.count() == 20
            && free.count() == 20)
        .await
    );
    let limited_took = last_arrival(&limited) - started;
    // A burst of 5, then 15 more at 5/s: at least ~3 s; none dropped.
    assert!(
        limited_took >= Duration::from_millis(2700),
        "20 deliveries at 5/s took only {limited_took:?}"
    );
    assert!(
        last_arrival(&free) + Duration::from_secs(1) < last_arrival(&limited),
        "the free receiver was held back too"
    );
}

#[tokio::test]
async fn a_slow_receiver_does_not_slow_the_others() {
    let slow = Receiver::start().await;
    slow.set_delay(Duration::from_millis(1500));
    let fast = Receiver::start().await;
    let gw = Gateway::start(
        &two_receivers(&slow.url("/slow"), &fast.url("/fast"), "").replace(
            "[delivery]",
            "[delivery]\nreceiver_concurrency = 4\nconcurrency = 8",
        ),
    );
    send(&gw, 30).await;
    assert!(
        wait_until(Duration::from_secs(10), || fast.count() == 30).await,
        "fast got {}",
        fast.count()
    );
    assert!(
        slow.count() < 30,
        "the slow receiver should still be working"
    );
    assert!(
        wait_until(Duration::from_secs(30), || slow.count() == 30).await,
        "slow got {}",
        slow.count()
    );
}

#[tokio::test]
async fn retries_of_a_fast_receiver_are_not_stuck_behind_a_slow_receivers_backlog() {
    let slow = Receiver::start().await;
    slow.set_delay(Duration::from_millis(1000));
    let flaky = Receiver::start().await;
    flaky.fail_next(20, 500);
    let cfg = two_receivers(&slow.url("/slow"), &flaky.url("/flaky"), "").replace(
        "[delivery]",
        "[delivery]\nreceiver_concurrency = 2\nconcurrency = 8\nretry_schedule = [\"100ms\"]",
    );
    let gw = Gateway::start(&cfg);
    // 300 events: the slow receiver's backlog (~2/s) is far longer than one look at the store.
    send(&gw, 300).await;
    // The flaky receiver's 20 retries come from the store, behind the slow receiver's rows.
    assert!(
        wait_until(Duration::from_secs(20), || flaky.count() >= 320).await,
        "the fast receiver got {} of 320 requests",
        flaky.count()
    );
    assert!(
        slow.count() < 100,
        "the slow receiver should still have a backlog"
    );
}

#[tokio::test]
async fn forwarded_headers_are_copied_but_never_hop_by_hop_or_host() {
    let receiver = Receiver::start().await;
    let cfg = format!(
        "[store]\nurl = \"sqlite://{{DB}}\"\n[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n[[listener]]\nid = \"l\"\nprovider = \"smoobu\"\naccount_id = \"a\"\n[[listener.receiver]]\nurl = \"{}\"\nforward_headers = [\"X-Trace\", \"Host\", \"Connection\", \"Upgrade\"]\n",
        receiver.url("/f")
    );
    let gw = Gateway::start(&cfg);
    post(
        gw.public,
        &gw.url("smoobu/a"),
        &[("x-trace", "abc"), ("upgrade", "websocket")],
        r#"{"action":"x"}"#,
    )
    .await;
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    let got = &receiver.received()[0];
    assert_eq!(got.header("x-trace"), "abc");
    assert_eq!(got.header("upgrade"), "");
    assert_eq!(
        got.header("host"),
        receiver.addr.to_string(),
        "Host is the receiver's own"
    );
}

#[tokio::test]
async fn duplicate_github_deliveries_are_delivered_once_also_across_a_restart() {
    let receiver = Receiver::start().await;
    let cfg = format!(
        "[store]\nurl = \"sqlite://{{DB}}\"\n[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n[[listener]]\nid = \"l\"\nprovider = \"github\"\naccount_id = \"org\"\n[[listener.receiver]]\nurl = \"{}\"\n",
        receiver.url("/gh")
    );
    let mut gw = Gateway::start(&cfg);
    let headers = [("x-github-event", "push"), ("x-github-delivery", "d-1")];
    let first = post(gw.public, &gw.url("github/org"), &headers, "{}")
        .await
        .json();
    assert_eq!(first["status"], "accepted");
    gw.kill9();
    let gw2 = gw.restart();
    let again = post(gw2.public, &gw2.url("github/org"), &headers, "{}")
        .await
        .json();
    assert_eq!(again["status"], "duplicate");
    assert_eq!(again["eventId"], first["eventId"]);
    assert!(wait_until(Duration::from_secs(5), || receiver.count() >= 1).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The SIGKILL may fall between sending the first copy and recording it: then it is sent
    // once more after the restart (at least once, same webhook-id). The duplicate request
    // itself must never become a second event.
    let ids: std::collections::HashSet<String> = receiver
        .received()
        .iter()
        .map(|r| r.header("webhook-id"))
        .collect();
    assert_eq!(ids.len(), 1, "the duplicate became a delivery of its own");
    assert!(ids.contains(first["eventId"].as_str().unwrap()));
}
