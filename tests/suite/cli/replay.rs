//! `hookgate replay`: signs and authenticates fixtures like the provider, walks folders, sends
//! raw bodies, and exits 1 when the gateway refuses.

use super::{now, BIN};
use hookgate::signature::{self, Scheme};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

/// base64("hostaway:pw-123"), the Basic credentials in CONFIG.
const HOSTAWAY_BASIC: &str = "Basic aG9zdGF3YXk6cHctMTIz";
const ACCEPTED: &str = r#"{"status":"accepted","eventId":"x","deliveries":1}"#;
const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:1"

[delivery]
allow_targets = ["127.0.0.0/8"]

[[listener]]
id = "gh"
provider = "github"
account_id = "octo-org"
verify_secret = "s3cret"

[[listener.receiver]]
url = "http://127.0.0.1:9/hooks/github"

[[listener]]
id = "ha"
provider = "hostaway"
account_id = "6eabebf8-d74c-4175-ae60-df798e62aeec"
basic_auth = { username = "hostaway", password = "pw-123" }

[[listener.receiver]]
url = "http://127.0.0.1:9/hooks/hostaway"

[[listener]]
id = "sm"
provider = "smoobu"
account_id = "shop#1"
required_headers = { "X-Api-Key" = "key-456" }
"#;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// One request as the recorder saw it.
struct Recorded {
    uri: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Recorded>>>;

/// A stand-in gateway on a loopback port: records every request and answers `status` with
/// `answer`. Returns its base URL.
async fn recorder(status: u16, answer: &'static str) -> (String, Log) {
    let listener = crate::common::ports::listen().await;
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let shared = log.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let log = shared.clone();
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let log = log.clone();
                async move {
                    let (uri, headers) = (req.uri().to_string(), req.headers().clone());
                    let body = req.into_body().collect().await.unwrap().to_bytes().to_vec();
                    log.lock().unwrap().push(Recorded { uri, headers, body });
                    let mut resp = Response::new(Full::new(Bytes::from_static(answer.as_bytes())));
                    *resp.status_mut() = StatusCode::from_u16(status).unwrap();
                    Ok::<_, Infallible>(resp)
                }
            });
            tokio::spawn(async move {
                let conn = hyper::server::conn::http1::Builder::new();
                let _ = conn.serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    (base, log)
}

/// Runs `hookgate replay --config <CONFIG> --url <base> <paths>`.
async fn replay(dir: &Path, base: &str, paths: &[PathBuf]) -> Output {
    let config = dir.join("listeners.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let output = tokio::process::Command::new(BIN)
        .arg("replay")
        .arg("--config")
        .arg(&config)
        .args(["--url", base])
        .args(paths)
        .output()
        .await
        .expect("run hookgate replay");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for secret in ["s3cret", "pw-123", "key-456"] {
        assert!(
            !stdout.contains(secret),
            "replay printed a secret:\n{stdout}"
        );
    }
    output
}

fn text(output: &Output) -> String {
    let (out, err) = (&output.stdout, &output.stderr);
    let (out, err) = (String::from_utf8_lossy(out), String::from_utf8_lossy(err));
    format!("stdout:\n{out}\nstderr:\n{err}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_signs_and_authenticates_like_the_provider() {
    let (base, log) = recorder(200, ACCEPTED).await;
    let dir = tempfile::tempdir().unwrap();
    let files = [
        fixture("github/push.json"),
        fixture("hostaway/reservation.created.json"),
    ];
    let output = replay(dir.path(), &base, &files).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("200 accepted  github/push.json  eventId=x"));
    assert!(stdout.contains("2 fixtures: 2 accepted, 0 filtered, 0 duplicate, 0 failed"));

    let log = log.lock().unwrap();
    assert_eq!(log.len(), 2);
    let github = log.iter().find(|r| r.uri.contains("/github/")).unwrap();
    assert_eq!(github.uri, "/api/v1/listener/github/octo-org");
    let verified = signature::verify(
        &Scheme::Github,
        "s3cret",
        &github.headers,
        &github.body,
        now(),
    );
    assert_eq!(verified, Ok(()), "X-Hub-Signature-256 verifies");
    assert_eq!(
        github.headers["x-github-event"], "push",
        "fixture headers go out"
    );
    let source: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    let compact = serde_json::to_vec(&source["body"]).unwrap();
    assert_eq!(
        github.body, compact,
        "the body is the fixture's, compact, keys in order"
    );

    let hostaway = log.iter().find(|r| r.uri.contains("/hostaway/")).unwrap();
    assert_eq!(
        hostaway.uri,
        "/api/v1/listener/hostaway/6eabebf8-d74c-4175-ae60-df798e62aeec"
    );
    assert_eq!(hostaway.headers["authorization"], HOSTAWAY_BASIC);
    assert_eq!(hostaway.headers["content-type"], "application/json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_exits_1_when_the_gateway_refuses() {
    let answer = r#"{"code":"unauthorized","message":"authentication failed","errorId":"e"}"#;
    let (base, log) = recorder(401, answer).await;
    let dir = tempfile::tempdir().unwrap();
    let output = replay(dir.path(), &base, &[fixture("github/push.json")]).await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = "401 unauthorized  github/push.json  authentication failed";
    assert!(stdout.contains(line), "{}", text(&output));
    assert!(stdout.contains("1 fixtures: 0 accepted, 0 filtered, 0 duplicate, 1 failed"));
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_walks_folders_sends_raw_bodies_and_reports_unknown_listeners() {
    let (base, log) = recorder(200, ACCEPTED).await;
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("fx");
    for sub in ["smoobu", "stripe"] {
        std::fs::create_dir_all(fixtures.join(sub)).unwrap();
    }
    let raw = r#"{"provider": "smoobu", "account_id": "shop#1", "query": "status=new",
        "headers": {"Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": "stale"},
        "rawBody": "action=newReservation&id=1 "}"#;
    std::fs::write(fixtures.join("smoobu/raw.json"), raw).unwrap();
    let unknown = r#"{"provider": "stripe", "account_id": "acct_none", "body": {}}"#;
    std::fs::write(fixtures.join("stripe/unknown.json"), unknown).unwrap();
    std::fs::write(fixtures.join("README.md"), "not a fixture").unwrap();

    let output = replay(dir.path(), &base, &[fixtures]).await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", text(&output));
    assert!(
        lines[0].starts_with("200 accepted  smoobu/raw.json"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("ERR  stripe/unknown.json  no listener"),
        "{stdout}"
    );
    assert_eq!(
        lines[2],
        "2 fixtures: 1 accepted, 0 filtered, 0 duplicate, 1 failed"
    );

    let log = log.lock().unwrap();
    assert_eq!(
        log.len(),
        1,
        "nothing is sent for a fixture without a listener"
    );
    let sent = &log[0];
    assert_eq!(sent.uri, "/api/v1/listener/smoobu/shop%231?status=new");
    assert_eq!(
        sent.body, b"action=newReservation&id=1 ",
        "rawBody is sent byte-exact"
    );
    assert_eq!(
        sent.headers["x-api-key"], "key-456",
        "the config's value replaces the fixture's"
    );
    let form = "application/x-www-form-urlencoded";
    assert_eq!(sent.headers["content-type"], form);
}
