//! Black-box tests of `hookgate sink` and `hookgate replay`: they run the real binary on
//! loopback ports and talk to it over HTTP, as a user would.

use hookgate::signature::{self, Scheme};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_hookgate");
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
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

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn now() -> i64 {
    UNIX_EPOCH.elapsed().unwrap().as_secs() as i64
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// Kills the child when dropped, so a failed assertion leaves no sink running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `hookgate sink` with `args`; its stdout lines arrive on the channel.
fn start_sink(args: &[&str]) -> (Running, mpsc::Receiver<String>) {
    let mut child = Command::new(BIN)
        .arg("sink")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start hookgate sink");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    // A thread keeps draining the pipe, so the sink never blocks on a full one.
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    (Running(child), rx)
}

/// The lines read until one satisfies `done`; panics after 10 s.
fn read_until(lines: &mpsc::Receiver<String>, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no match in:\n{seen}"));
        seen.push_str(&line);
        seen.push('\n');
        if done(&line) {
            return seen;
        }
    }
}

/// POSTs `body` with `headers` and returns the status.
async fn post(url: &str, headers: &[(&str, String)], body: &'static [u8]) -> u16 {
    let client = Client::builder(TokioExecutor::new()).build_http();
    let mut req = Request::post(url);
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let req = req.body(Full::new(Bytes::from_static(body))).unwrap();
    let resp = client.request(req).await.expect("sink answers");
    resp.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_fails_first_on_purpose_and_checks_signatures() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let args = ["--listen", &listen, "--fail-first", "1", "--secret", SECRET];
    let (mut sink, lines) = start_sink(&args);
    read_until(&lines, |l| l.contains("sink listening on"));

    let url = format!("http://{listen}/hooks/test");
    let body: &[u8] = br#"{"type":"user.created","data":{"id":1}}"#;
    let (id, ts) = ("msg_sink_test_1", now());
    let signed = |secret: &str| {
        let sig = signature::sign_standard_webhooks(secret, id, ts, body).unwrap();
        let content_type = "application/json".to_string();
        [
            ("content-type", content_type),
            ("webhook-id", id.to_string()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", sig),
        ]
    };
    assert_eq!(
        post(&url, &signed(SECRET), body).await,
        503,
        "failed on purpose"
    );
    assert_eq!(
        post(&url, &signed(SECRET), body).await,
        200,
        "then the default status"
    );
    let wrong = signed("whsec_b3RoZXIga2V5");
    assert_eq!(post(&url, &wrong, body).await, 401, "a wrong signature");

    let out = read_until(&lines, |l| l.contains("INVALID"));
    assert!(out.contains(id), "the webhook-id is printed:\n{out}");
    assert!(out.contains("signature: ok"), "{out}");
    assert!(
        out.contains("\"user.created\""),
        "the body is printed:\n{out}"
    );

    // SIGTERM is a clean stop.
    let pid = sink.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = sink.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the sink did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
}

/// One request as the recorder saw it.
struct Recorded {
    uri: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Recorded>>>;

/// A stand-in gateway on an ephemeral port: records every request and answers `status` with
/// `answer`. Returns its base URL.
async fn recorder(status: u16, answer: &'static str) -> (String, Log) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
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
