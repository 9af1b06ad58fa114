//! `hookgate sink`: fails on purpose, checks signatures, prints what it gets, stops cleanly.

use super::{now, BIN, SECRET};
use crate::common::ports::free_port;
use hookgate::signature;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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
    let listen = free_port().to_string();
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
