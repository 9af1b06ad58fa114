//! SPEC section 10 on one instance and two: de-duplication under concurrent sends (also across
//! instances sharing one database), and a database that cannot be reached (503 `unavailable`
//! with `Retry-After`, a failing `/readyz`, and service that resumes by itself).
//!
//! The tests of two instances and of a lost database need PostgreSQL: on SQLite they say so
//! and return.

use crate::common::ports::listen;
use crate::common::store::{is_sqlite, store_url};
use crate::common::{get_open, post, wait_for, Answer, Gateway};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinSet;

const CONFIG: &str = r#"
[store]
url = "{STORE}"

[delivery]
allow_targets = ["127.0.0.0/8"]

[[listener]]
id = "gh"
provider = "github"
account_id = "org"
verify_secret = "s3cret"
"#;

/// POSTs one GitHub delivery with id `delivery`, correctly signed.
pub(crate) async fn send(gw_public: SocketAddr, delivery: &str) -> Answer {
    let body = format!(r#"{{"action":"opened","delivery":"{delivery}"}}"#);
    let now = hookgate::store::now_ms() / 1000;
    let signed = hookgate::signature::sign(
        &hookgate::signature::Scheme::Github,
        "s3cret",
        body.as_bytes(),
        now,
        delivery,
    )
    .unwrap();
    let headers = [
        ("x-github-event", "pull_request"),
        ("x-github-delivery", delivery),
        (signed[0].0.as_str(), signed[0].1.as_str()),
    ];
    post(
        gw_public,
        "/api/v1/listener/github/org",
        &headers,
        body.into_bytes(),
    )
    .await
}

/// Sends each delivery id to every address at once; returns (accepted, duplicate) per id.
pub(crate) async fn send_at_once(
    addrs: &[SocketAddr],
    ids: &[String],
    copies: usize,
) -> Vec<(usize, usize)> {
    let mut counts = Vec::new();
    for id in ids {
        let mut sends = JoinSet::new();
        for i in 0..copies {
            let (addr, id) = (addrs[i % addrs.len()], id.clone());
            sends.spawn(async move { send(addr, &id).await });
        }
        let (mut accepted, mut duplicate) = (0, 0);
        while let Some(answer) = sends.join_next().await {
            let answer = answer.unwrap();
            assert_eq!(answer.status, 200, "{:?}", answer.body);
            match answer.json()["status"].as_str() {
                Some("accepted") => accepted += 1,
                Some("duplicate") => duplicate += 1,
                other => panic!("unexpected status {other:?}"),
            }
        }
        counts.push((accepted, duplicate));
    }
    counts
}

#[tokio::test]
async fn the_same_event_id_sent_many_times_at_once_is_accepted_once() {
    let gw = Gateway::start(CONFIG);
    let ids: Vec<String> = (0..5).map(|i| format!("burst-{i}")).collect();
    for (accepted, duplicate) in send_at_once(&[gw.public], &ids, 16).await {
        assert_eq!((accepted, duplicate), (1, 15));
    }
}

#[tokio::test]
async fn two_instances_on_one_database_accept_one_copy_of_an_event_sent_to_both() {
    if is_sqlite() {
        eprintln!("SKIPPED: instances share a PostgreSQL database; the suite runs on SQLite");
        return;
    }
    let first = Gateway::start(CONFIG);
    // The second instance: its own directory and listen addresses, the first one's database.
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let config = dir.path().join("listeners.toml");
    std::fs::write(&config, CONFIG.replace("{STORE}", &first.store)).unwrap();
    let second = Gateway::launch(dir, config, &[]);
    let ids: Vec<String> = (0..10).map(|i| format!("shared-{i}")).collect();
    for (accepted, duplicate) in send_at_once(&[first.public, second.public], &ids, 4).await {
        assert_eq!((accepted, duplicate), (1, 3));
    }
}

/// A TCP relay to the PostgreSQL server that the test can cut and bring back on the same port.
pub(crate) struct Relay {
    pub(crate) addr: SocketAddr,
    target: SocketAddr,
    tasks: Mutex<JoinSet<()>>,
}

impl Relay {
    pub(crate) async fn start(target: SocketAddr) -> Arc<Relay> {
        let listener = listen().await;
        let relay = Arc::new(Relay {
            addr: listener.local_addr().unwrap(),
            target,
            tasks: Mutex::new(JoinSet::new()),
        });
        relay.serve(listener);
        relay
    }

    fn serve(self: &Arc<Self>, listener: tokio::net::TcpListener) {
        let relay = self.clone();
        let target = self.target;
        self.tasks.lock().unwrap().spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                relay.tasks.lock().unwrap().spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
    }

    /// Closes the port and every relayed connection: the database is gone.
    pub(crate) fn cut(&self) {
        self.tasks.lock().unwrap().abort_all();
    }

    /// Listens on the same port again.
    pub(crate) async fn restore(self: &Arc<Self>) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }
}

// Several threads: the relay keeps serving while the test waits for the gateway to start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_answers_503_and_service_resumes_when_it_is_back() {
    if is_sqlite() {
        eprintln!("SKIPPED: a lost database server needs PostgreSQL; the suite runs on SQLite");
        return;
    }
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let real = url::Url::parse(&store_url(dir.path())).unwrap();
    let target = SocketAddr::new(
        real.host_str().unwrap().parse().unwrap(),
        real.port().unwrap_or(5432),
    );
    let relay = Relay::start(target).await;
    let mut relayed = real.clone();
    relayed.set_port(Some(relay.addr.port())).unwrap();
    let config = dir.path().join("listeners.toml");
    std::fs::write(&config, CONFIG.replace("{STORE}", relayed.as_str())).unwrap();
    let gw = Gateway::launch(dir, config, &[]);
    assert_eq!(send(gw.public, "before").await.json()["status"], "accepted");

    relay.cut();
    let lost = send(gw.public, "while-lost").await;
    assert_eq!(lost.status, 503, "{:?}", lost.body);
    assert_eq!(lost.code(), "unavailable");
    assert!(lost.headers.contains_key("retry-after"));
    assert_eq!(get_open(gw.admin, "/readyz").await.status, 503);

    relay.restore().await;
    assert!(
        wait_for(Duration::from_secs(10), || async {
            send(gw.public, "after").await.status == 200
        })
        .await,
        "ingest did not resume: {}",
        gw.log_text()
    );
    assert_eq!(get_open(gw.admin, "/readyz").await.status, 200);
    relay.cut();
}

/// A receiver that answers 200 with a body holding a NUL byte, over raw TCP.
async fn nul_answering_receiver() -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = listen().await;
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut seen = Vec::new();
                // Read the head and the body (Content-Length) before answering.
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&seen).to_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if seen.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nok\0ok",
                    )
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn nul_characters_from_outside_neither_fail_an_ingest_nor_an_attempt_record() {
    let receiver = nul_answering_receiver().await;
    let gw = Gateway::start(&format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]

{}

[[listener]]
id = "sm"
provider = "smoobu"
account_id = "acc"

[[listener.receiver]]
url = "http://{receiver}/in"
"#,
        crate::common::admin::TOKENS
    ));
    let a = post(
        gw.public,
        &gw.url("smoobu/acc"),
        &[],
        r#"{"action":"new\u0000Reservation"}"#,
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.json()["status"], "accepted");
    let id = a.event_id();
    assert!(
        wait_for(Duration::from_secs(10), || async {
            crate::common::events::delivery_statuses(gw.admin, &id).await == ["succeeded"]
        })
        .await,
        "the attempt was not recorded: {}",
        crate::common::events::event(gw.admin, &id).await
    );
}
