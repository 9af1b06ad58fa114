//! A fast receiver for the benchmark: answers 200 to every delivery at once and counts them,
//! so that what is measured is hookgate, not the receiver.
//!
//! `cargo run --release --example bench_receiver -- --listen 127.0.0.1:0 [--listen ...]`
//! prints `listening on ADDR[,ADDR...]` on stdout. `GET /stats` on any of its addresses answers
//! `{"deliveries":N,"unique":U,"first_ms":F,"last_ms":L,"per_listener":[..]}`, times in
//! milliseconds since the receiver started, so a caller can tell a drain rate without
//! trusting its own polling interval.

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use std::collections::HashSet;
use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Parser)]
struct Args {
    /// Addresses to listen on (repeat for several receivers); port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: Vec<SocketAddr>,
}

/// What every connection shares.
struct Counts {
    started: Instant,
    total: AtomicU64,
    per_listener: Vec<AtomicU64>,
    /// Hashes of `webhook-id` + the path: one receiver gets one copy of each event, so a second
    /// copy (at-least-once after a crash) shows up as deliveries > unique.
    seen: Mutex<HashSet<u64>>,
    /// Microseconds since `started` of the first and latest delivery (0 = none yet).
    first_us: AtomicU64,
    last_us: AtomicU64,
}

impl Counts {
    fn stats(&self) -> String {
        let per: Vec<u64> = self
            .per_listener
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        serde_json::json!({
            "deliveries": self.total.load(Ordering::Relaxed),
            "unique": self.seen.lock().expect("seen").len(),
            "first_ms": self.first_us.load(Ordering::Relaxed) as f64 / 1000.0,
            "last_ms": self.last_us.load(Ordering::Relaxed) as f64 / 1000.0,
            "now_ms": self.started.elapsed().as_secs_f64() * 1000.0,
            "per_listener": per,
        })
        .to_string()
    }
}

async fn handle(
    counts: Arc<Counts>,
    index: usize,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() == Method::GET && req.uri().path() == "/stats" {
        return Ok(Response::new(Full::new(Bytes::from(counts.stats()))));
    }
    let id = req
        .headers()
        .get("webhook-id")
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    let path = req.uri().path().to_string();
    let _ = req.into_body().collect().await;
    // Microseconds, and never 0, so 0 can mean "nothing yet".
    let now = (counts.started.elapsed().as_micros() as u64).max(1);
    let _ = counts
        .first_us
        .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
    counts.last_us.fetch_max(now, Ordering::Relaxed);
    counts.total.fetch_add(1, Ordering::Relaxed);
    counts.per_listener[index].fetch_add(1, Ordering::Relaxed);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    path.hash(&mut h);
    counts.seen.lock().expect("seen").insert(h.finish());
    Ok(Response::new(Full::new(Bytes::new())))
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let counts = Arc::new(Counts {
            started: Instant::now(),
            total: AtomicU64::new(0),
            per_listener: args.listen.iter().map(|_| AtomicU64::new(0)).collect(),
            seen: Mutex::new(HashSet::new()),
            first_us: AtomicU64::new(0),
            last_us: AtomicU64::new(0),
        });
        let mut addrs = Vec::new();
        let mut tasks = Vec::new();
        for (index, addr) in args.listen.iter().enumerate() {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            addrs.push(listener.local_addr()?.to_string());
            let counts = counts.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let counts = counts.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            handle(counts.clone(), index, req)
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }));
        }
        println!("listening on {}", addrs.join(","));
        std::io::stdout().flush()?;
        for t in tasks {
            let _ = t.await;
        }
        Ok(())
    })
}
