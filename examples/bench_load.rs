//! A fixed-rate (open-loop) load generator with latency recording, and optionally the receivers
//! that the gateway delivers to, so that ack time and arrival time come from one clock.
//!
//! wrk measures throughput with closed-loop connections; latency targets need a fixed offered
//! rate instead. A pacer thread releases event number `i` at `t0 + i / rate`; whichever
//! keep-alive connection is free sends it. Ack latency is measured from that intended time (so a
//! stalled server cannot hide its stall by slowing the generator down, the "coordinated
//! omission" trap), and also from the moment the request was actually written.
//!
//! Each body is 1 KiB of JSON carrying `"seq":"0000000042"`. With `--receivers N` the program
//! first starts N receivers on loopback, prints `receivers ADDR,...` and waits for a line
//! `go URL` on stdin (the caller starts the gateway in between). Every receiver records when
//! each `seq` arrives, so end-to-end latency is arrival minus the time the 200 came back, and
//! every acknowledged event is accounted for at every receiver.
//!
//! The result is one line on stdout: `RESULT {json}`.

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, Uri};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::convert::Infallible;
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Mutex};

#[derive(Parser)]
struct Args {
    /// Where to POST, e.g. http://127.0.0.1:8080/api/v1/listener/bench/acct-0; without it the
    /// URL comes from a `go URL` line on stdin.
    #[arg(long)]
    url: Option<String>,
    /// Events per second offered.
    #[arg(long)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long)]
    duration: f64,
    /// Keep-alive connections opened before the clock starts.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Size of each JSON body in bytes.
    #[arg(long, default_value_t = 1024)]
    body_bytes: usize,
    /// The event type written into each body (`"type"`).
    #[arg(long, default_value = "bench.event")]
    event_type: String,
    /// Receivers to start on loopback (end-to-end mode).
    #[arg(long, default_value_t = 0)]
    receivers: usize,
    /// Threads for the sending side; more than one only for rates one core cannot generate.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// After the last ack, how long to wait for every event to reach every receiver.
    #[arg(long, default_value_t = 30.0)]
    drain_timeout: f64,
}

/// Nanoseconds since the program's common clock base.
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn ns(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

/// What the sending side records, indexed by `seq`.
struct Sent {
    /// When the 200 arrived (0 = not acknowledged).
    ack_ns: Vec<AtomicU64>,
    /// When the request was written.
    send_ns: Vec<AtomicU64>,
}

/// What one receiver records, indexed by `seq`.
struct Arrivals {
    at_ns: Vec<AtomicU64>,
    duplicates: AtomicU64,
    unknown: AtomicU64,
}

/// Latency summary in milliseconds.
fn summary(mut ns: Vec<u64>) -> serde_json::Value {
    if ns.is_empty() {
        return json!(null);
    }
    ns.sort_unstable();
    let pick = |p: f64| {
        let i = ((p * ns.len() as f64).ceil() as usize).clamp(1, ns.len()) - 1;
        ns[i] as f64 / 1e6
    };
    let mean = ns.iter().sum::<u64>() as f64 / ns.len() as f64 / 1e6;
    json!({
        "count": ns.len(),
        "mean": round3(mean),
        "p50": round3(pick(0.50)),
        "p90": round3(pick(0.90)),
        "p99": round3(pick(0.99)),
        "p999": round3(pick(0.999)),
        "max": round3(ns[ns.len() - 1] as f64 / 1e6),
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A 1 KiB-ish JSON body whose `seq` field sits at a fixed offset, so only 10 bytes change.
struct BodyTemplate {
    bytes: Vec<u8>,
    seq_at: usize,
}

impl BodyTemplate {
    fn new(event_type: &str, size: usize) -> BodyTemplate {
        let head = format!(r#"{{"type":"{event_type}","seq":""#);
        let mid = r#"","data":{"object":"reservation","pad":""#;
        let tail = r#""}}"#;
        let fixed = head.len() + 10 + mid.len() + tail.len();
        let pad = size.saturating_sub(fixed);
        let mut bytes = Vec::with_capacity(fixed + pad);
        bytes.extend_from_slice(head.as_bytes());
        let seq_at = bytes.len();
        bytes.extend_from_slice(b"0000000000");
        bytes.extend_from_slice(mid.as_bytes());
        bytes.extend(std::iter::repeat_n(b'x', pad));
        bytes.extend_from_slice(tail.as_bytes());
        BodyTemplate { bytes, seq_at }
    }

    fn with_seq(&self, seq: u64) -> Bytes {
        let mut b = self.bytes.clone();
        b[self.seq_at..self.seq_at + 10].copy_from_slice(format!("{seq:010}").as_bytes());
        Bytes::from(b)
    }
}

/// Finds `"seq":"NNNNNNNNNN"` in a delivered body.
fn seq_of(body: &[u8]) -> Option<u64> {
    let key = br#""seq":""#;
    let at = body.windows(key.len()).position(|w| w == key)? + key.len();
    std::str::from_utf8(body.get(at..at + 10)?)
        .ok()?
        .parse()
        .ok()
}

async fn receive(
    clock: Clock,
    arrivals: Arc<Arrivals>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let now = clock.ns().max(1);
    match seq_of(&body).and_then(|s| arrivals.at_ns.get(s as usize)) {
        Some(slot) => {
            if slot
                .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
            {
                arrivals.duplicates.fetch_add(1, Ordering::Relaxed);
            }
        }
        None => {
            arrivals.unknown.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(Response::new(Full::new(Bytes::new())))
}

/// Starts the receivers on their own thread and runtime, so that recording an arrival never
/// waits behind the generator's work.
fn start_receivers(
    count: usize,
    clock: Clock,
    total: usize,
) -> std::io::Result<(Vec<String>, Vec<Arc<Arrivals>>)> {
    let mut addrs = Vec::new();
    let mut sockets = Vec::new();
    let mut all = Vec::new();
    for _ in 0..count {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.set_nonblocking(true)?;
        addrs.push(l.local_addr()?.to_string());
        sockets.push(l);
        all.push(Arc::new(Arrivals {
            at_ns: (0..total).map(|_| AtomicU64::new(0)).collect(),
            duplicates: AtomicU64::new(0),
            unknown: AtomicU64::new(0),
        }));
    }
    let arrivals = all.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let mut tasks = Vec::new();
            for (socket, arrivals) in sockets.into_iter().zip(arrivals) {
                let listener = tokio::net::TcpListener::from_std(socket).expect("listener");
                tasks.push(tokio::spawn(async move {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        let _ = stream.set_nodelay(true);
                        let arrivals = arrivals.clone();
                        tokio::spawn(async move {
                            let service = hyper::service::service_fn(move |req| {
                                receive(clock, arrivals.clone(), req)
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                }));
            }
            for t in tasks {
                let _ = t.await;
            }
        });
    });
    Ok((addrs, all))
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(authority: &str) -> std::io::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(authority).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(conn);
    Ok(sender)
}

/// Counters shared by the connection tasks.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    non_2xx: AtomicU64,
    errors: AtomicU64,
    statuses: std::sync::Mutex<std::collections::BTreeMap<u16, u64>>,
    from_intended_ns: std::sync::Mutex<Vec<u64>>,
    from_send_ns: std::sync::Mutex<Vec<u64>>,
    /// Requests written more than 1 ms after their intended time (all connections were busy,
    /// or the generator fell behind).
    late_sends: AtomicU64,
}

#[allow(clippy::too_many_arguments)]
async fn connection_task(
    mut sender: Sender,
    authority: String,
    path: String,
    queue: Arc<Mutex<mpsc::UnboundedReceiver<u64>>>,
    template: Arc<BodyTemplate>,
    clock: Clock,
    t0_ns: u64,
    rate: f64,
    sent: Arc<Sent>,
    tally: Arc<Tally>,
) {
    let mut intended = Vec::new();
    let mut service = Vec::new();
    loop {
        let next = { queue.lock().await.recv().await };
        let Some(seq) = next else { break };
        let intended_ns = t0_ns + (seq as f64 * 1e9 / rate) as u64;
        let req = Request::builder()
            .method(Method::POST)
            .uri(path.as_str())
            .header(hyper::header::HOST, authority.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            // The shared secret the benchmark's listener requires (examples/bench_config.rs).
            .header("x-bench-key", "bench-key-0")
            .body(Full::new(template.with_seq(seq)))
            .expect("request");
        if sender.ready().await.is_err() {
            // The server closed the connection: open another and carry on.
            tally.errors.fetch_add(1, Ordering::Relaxed);
            match connect(&authority).await {
                Ok(s) => sender = s,
                Err(_) => continue,
            }
        }
        let send_ns = clock.ns();
        sent.send_ns[seq as usize].store(send_ns.max(1), Ordering::Relaxed);
        if send_ns > intended_ns + 1_000_000 {
            tally.late_sends.fetch_add(1, Ordering::Relaxed);
        }
        let result = async {
            let resp = sender.send_request(req).await?;
            let status = resp.status().as_u16();
            resp.into_body().collect().await?;
            Ok::<u16, hyper::Error>(status)
        }
        .await;
        let done_ns = clock.ns();
        match result {
            Ok(status) => {
                *tally
                    .statuses
                    .lock()
                    .expect("statuses")
                    .entry(status)
                    .or_default() += 1;
                if (200..300).contains(&status) {
                    tally.ok.fetch_add(1, Ordering::Relaxed);
                    sent.ack_ns[seq as usize].store(done_ns.max(1), Ordering::Relaxed);
                    intended.push(done_ns.saturating_sub(intended_ns));
                    service.push(done_ns - send_ns);
                } else {
                    tally.non_2xx.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(_) => {
                tally.errors.fetch_add(1, Ordering::Relaxed);
                if let Ok(s) = connect(&authority).await {
                    sender = s;
                }
            }
        }
    }
    tally.from_intended_ns.lock().expect("lat").extend(intended);
    tally.from_send_ns.lock().expect("lat").extend(service);
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    if !(args.rate > 0.0 && args.duration > 0.0 && args.connections > 0) {
        return Err("--rate, --duration and --connections must be positive".into());
    }
    let clock = Clock(Instant::now());
    let total = (args.rate * args.duration).ceil() as usize;

    let (receiver_addrs, arrivals) =
        start_receivers(args.receivers, clock, total).map_err(|e| e.to_string())?;
    let url = match &args.url {
        Some(u) => u.clone(),
        None => {
            if args.receivers > 0 {
                println!("receivers {}", receiver_addrs.join(","));
            }
            println!("ready");
            std::io::stdout().flush().map_err(|e| e.to_string())?;
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            line.trim()
                .strip_prefix("go ")
                .ok_or_else(|| format!("expected `go URL` on stdin, got {line:?}"))?
                .to_string()
        }
    };
    let uri: Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    let authority = uri
        .authority()
        .ok_or_else(|| format!("{url}: no host"))?
        .to_string();
    let path = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into());

    let sent = Arc::new(Sent {
        ack_ns: (0..total).map(|_| AtomicU64::new(0)).collect(),
        send_ns: (0..total).map(|_| AtomicU64::new(0)).collect(),
    });
    let tally = Arc::new(Tally::default());
    let template = Arc::new(BodyTemplate::new(&args.event_type, args.body_bytes));
    let runtime = if args.threads > 1 {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .map_err(|e| e.to_string())?;
    let rate = args.rate;
    let (t0_ns, sending_end_ns) = runtime.block_on(async {
        let mut senders = Vec::new();
        for _ in 0..args.connections {
            senders.push(
                connect(&authority)
                    .await
                    .map_err(|e| format!("cannot connect to {authority}: {e}"))?,
            );
        }
        let (tx, rx) = mpsc::unbounded_channel::<u64>();
        let queue = Arc::new(Mutex::new(rx));
        // Start the clock a little ahead so every connection task is parked on the queue.
        let t0_ns = clock.ns() + 20_000_000;
        let mut tasks = Vec::new();
        for sender in senders {
            tasks.push(tokio::spawn(connection_task(
                sender,
                authority.clone(),
                path.clone(),
                queue.clone(),
                template.clone(),
                clock,
                t0_ns,
                rate,
                sent.clone(),
                tally.clone(),
            )));
        }
        // The pacer: a plain thread, whose sleeps are finer than the runtime's 1 ms timer wheel.
        let pacer = std::thread::spawn(move || {
            let mut next: u64 = 0;
            let total = total as u64;
            while next < total {
                let now = clock.ns();
                if now >= t0_ns {
                    let due = ((((now - t0_ns) as f64) * rate / 1e9) as u64 + 1).min(total);
                    while next < due {
                        if tx.send(next).is_err() {
                            return;
                        }
                        next += 1;
                    }
                }
                if next >= total {
                    break;
                }
                let next_at = t0_ns + (next as f64 * 1e9 / rate) as u64;
                let now = clock.ns();
                if next_at > now {
                    std::thread::sleep(Duration::from_nanos(next_at - now));
                }
            }
        });
        // Bounded: a server that stops answering ends the run instead of hanging it.
        let limit = Duration::from_secs_f64(args.duration + 60.0);
        let all = async {
            for t in tasks {
                let _ = t.await;
            }
        };
        if tokio::time::timeout(limit, all).await.is_err() {
            eprintln!(
                "bench_load: requests still open {limit:?} after the start; giving up on them"
            );
        }
        let _ = pacer.join();
        Ok::<_, String>((t0_ns, clock.ns()))
    })?;

    // End to end: wait until every acknowledged event has reached every receiver (bounded).
    let acked: Vec<(usize, u64)> = sent
        .ack_ns
        .iter()
        .enumerate()
        .filter_map(|(i, a)| Some((i, a.load(Ordering::Relaxed))).filter(|(_, a)| *a > 0))
        .collect();
    let mut e2e = serde_json::Value::Null;
    if !arrivals.is_empty() {
        let deadline = Instant::now() + Duration::from_secs_f64(args.drain_timeout);
        let missing = || {
            arrivals
                .iter()
                .map(|r| {
                    acked
                        .iter()
                        .filter(|(i, _)| r.at_ns[*i].load(Ordering::Relaxed) == 0)
                        .count()
                })
                .sum::<usize>()
        };
        while missing() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Let late duplicates (if any) land before counting.
        std::thread::sleep(Duration::from_millis(200));
        let mut lat = Vec::new();
        let mut from_send = Vec::new();
        let mut before_ack = 0u64;
        let mut arrived = 0u64;
        for r in &arrivals {
            for (i, ack) in &acked {
                let at = r.at_ns[*i].load(Ordering::Relaxed);
                if at == 0 {
                    continue;
                }
                arrived += 1;
                if at < *ack {
                    // The dispatcher got the delivery before the 200 reached the client.
                    before_ack += 1;
                }
                lat.push(at.saturating_sub(*ack));
                from_send.push(at.saturating_sub(sent.send_ns[*i].load(Ordering::Relaxed)));
            }
        }
        let expected = (acked.len() * arrivals.len()) as u64;
        e2e = json!({
            "receivers": arrivals.len(),
            "expected": expected,
            "arrived": arrived,
            "missing": expected - arrived,
            "duplicates": arrivals.iter().map(|r| r.duplicates.load(Ordering::Relaxed)).sum::<u64>(),
            "unknown": arrivals.iter().map(|r| r.unknown.load(Ordering::Relaxed)).sum::<u64>(),
            "arrived_before_ack": before_ack,
            "latency_ms": summary(lat),
            "from_send_ms": summary(from_send),
        });
    }
    let last_ack = acked.iter().map(|(_, a)| *a).max().unwrap_or(t0_ns);
    let statuses: serde_json::Map<String, serde_json::Value> = tally
        .statuses
        .lock()
        .expect("statuses")
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let result = json!({
        "url": url,
        "rate": args.rate,
        "duration_s": args.duration,
        "connections": args.connections,
        "body_bytes": template.bytes.len(),
        "offered": total,
        "ok": tally.ok.load(Ordering::Relaxed),
        "non_2xx": tally.non_2xx.load(Ordering::Relaxed),
        "errors": tally.errors.load(Ordering::Relaxed),
        "statuses": statuses,
        "late_sends": tally.late_sends.load(Ordering::Relaxed),
        "achieved_rate": round3(acked.len() as f64 / ((last_ack.saturating_sub(t0_ns)).max(1) as f64 / 1e9)),
        "sending_s": round3((sending_end_ns - t0_ns) as f64 / 1e9),
        "ack_ms": summary(std::mem::take(&mut *tally.from_intended_ns.lock().expect("lat"))),
        "service_ms": summary(std::mem::take(&mut *tally.from_send_ns.lock().expect("lat"))),
        "e2e": e2e,
    });
    println!("RESULT {result}");
    Ok(())
}
