//! A real HTTP receiver on 127.0.0.1 that records every request and can fail on purpose.

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::net::TcpListener;

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}

#[derive(Default)]
struct State {
    got: Mutex<Vec<Received>>,
    fail_first: AtomicU64,
    seen: AtomicU64,
    fail_status: AtomicU64,
    delay_ms: AtomicU64,
    /// Requests whose body contains the text are answered 500, this many more times.
    fail_matching: Mutex<Vec<(String, u64)>>,
}

/// A recording receiver; dropping it stops it.
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts on a free port.
    pub async fn start() -> Receiver {
        Self::start_on("127.0.0.1:0".parse().unwrap(), 0).await
    }

    /// Starts on `addr` (port 0: any free port), answering 500 to the first `fail_first` requests.
    pub async fn start_on(addr: SocketAddr, fail_first: u64) -> Receiver {
        // Port 0 means any port: one of the suite's own range (see `ports`).
        let listener = if addr.port() == 0 {
            super::ports::listen().await
        } else {
            TcpListener::bind(addr).await.expect("bind receiver")
        };
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            fail_first: AtomicU64::new(fail_first),
            fail_status: AtomicU64::new(500),
            ..State::default()
        });
        let s = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let s = s.clone();
                        async move { Ok::<_, std::convert::Infallible>(answer(&s, req).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Receiver { addr, state, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Answer `status` to the next `n` requests.
    pub fn fail_next(&self, n: u64, status: u16) {
        self.state
            .fail_status
            .store(status as u64, Ordering::SeqCst);
        self.state
            .fail_first
            .store(self.state.seen.load(Ordering::SeqCst) + n, Ordering::SeqCst);
    }

    /// Answer 500 to the next `n` requests whose body contains `needle` (others are unaffected).
    pub fn fail_matching(&self, needle: &str, n: u64) {
        self.state
            .fail_matching
            .lock()
            .unwrap()
            .push((needle.to_string(), n));
    }

    /// Wait this long before answering each request (a slow receiver).
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.got.lock().unwrap().clone()
    }

    /// The distinct `webhook-id`s received (one per event, however often it was sent).
    pub fn webhook_ids(&self) -> std::collections::HashSet<String> {
        self.received()
            .iter()
            .map(|r| r.header("webhook-id"))
            .collect()
    }

    pub fn count(&self) -> usize {
        self.state.got.lock().unwrap().len()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// True (and one fewer left) when the body matches a `fail_matching` rule with failures left.
fn matching_failure(state: &State, body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    let mut rules = state.fail_matching.lock().unwrap();
    for (needle, left) in rules.iter_mut() {
        if *left > 0 && text.contains(needle.as_str()) {
            *left -= 1;
            return true;
        }
    }
    false
}

async fn answer(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let n = state.seen.fetch_add(1, Ordering::SeqCst);
    let matched = matching_failure(state, &body);
    state.got.lock().unwrap().push(Received {
        path: parts.uri.path().to_string(),
        headers: parts.headers,
        body,
        at: Instant::now(),
    });
    let delay = state.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let status = if matched || n < state.fail_first.load(Ordering::SeqCst) {
        StatusCode::from_u16(state.fail_status.load(Ordering::SeqCst) as u16).unwrap()
    } else {
        StatusCode::OK
    };
    let mut resp = Response::new(Full::new(Bytes::from_static(b"{\"ok\":true}")));
    *resp.status_mut() = status;
    resp
}
