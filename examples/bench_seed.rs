//! Seeds a hookgate store with a backlog of pending deliveries, fast: it opens the database
//! through hookgate's own `Store` (the same schema and group-committing writer the gateway uses)
//! and keeps thousands of ingests in flight, so each transaction carries a full batch.
//!
//! `cargo run --release --example bench_seed -- --db PATH --events 1000000 --listener-id ID --receiver URL`
//! prints `RESULT {"events":N,"deliveries":D,"seconds":S,"per_second":R}`.

use bytes::Bytes;
use clap::Parser;
use hookgate::store::{now_ms, IngestOutcome, NewEvent, Store, StoreError, StoredEvent};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    db: PathBuf,
    /// Events to store; each gets one pending delivery per `--receiver`.
    #[arg(long)]
    events: u64,
    /// The listener the events belong to (must exist in the config the gateway runs with).
    #[arg(long)]
    listener_id: String,
    #[arg(long, default_value = "bench")]
    provider: String,
    #[arg(long, default_value = "acct-0")]
    account_id: String,
    #[arg(long, required = true)]
    receiver: Vec<String>,
    #[arg(long, default_value_t = 1024)]
    body_bytes: usize,
    /// Give each delivery one of this many order keys (`seq % N`), as an ordered receiver's
    /// would have; 0: none (unordered).
    #[arg(long, default_value_t = 0)]
    order_keys: u64,
    /// Ingests in flight at once; the writer commits up to 2048 per transaction.
    #[arg(long, default_value_t = 4096)]
    in_flight: usize,
}

fn body(seq: u64, size: usize) -> Bytes {
    let head = format!(r#"{{"type":"bench.event","seq":"{seq:010}","data":{{"pad":""#);
    let tail = r#""}}"#;
    let pad = size.saturating_sub(head.len() + tail.len());
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(head.as_bytes());
    b.extend(std::iter::repeat_n(b'x', pad));
    b.extend_from_slice(tail.as_bytes());
    Bytes::from(b)
}

fn main() -> Result<(), String> {
    let args = Arc::new(Args::parse());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        // Room for every task in flight, so `ingest` (which refuses when the queue is full) never does.
        let store = Store::open(&args.db, args.in_flight + 16)
            .map_err(|e| format!("{}: {e}", args.db.display()))?;
        let started = Instant::now();
        let next = Arc::new(AtomicU64::new(0));
        let deliveries = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..args.in_flight.max(1) {
            let (store, args, next, deliveries) = (
                store.clone(),
                args.clone(),
                next.clone(),
                deliveries.clone(),
            );
            tasks.push(tokio::spawn(async move {
                loop {
                    let seq = next.fetch_add(1, Ordering::Relaxed);
                    if seq >= args.events {
                        return Ok::<(), String>(());
                    }
                    let event = StoredEvent {
                        seq: 0,
                        id: uuid::Uuid::now_v7().to_string(),
                        listener_id: args.listener_id.clone(),
                        provider: args.provider.clone(),
                        account_id: args.account_id.clone(),
                        event_type: Some("bench.event".into()),
                        provider_event_id: None,
                        received_at: now_ms(),
                        source_ip: Some("127.0.0.1".into()),
                        content_type: Some("application/json".into()),
                        headers: vec![("content-type".into(), "application/json".into())],
                        body: body(seq, args.body_bytes),
                    };
                    let new = NewEvent {
                        event,
                        receiver_urls: args.receiver.clone(),
                        order_keys: match args.order_keys {
                            0 => Default::default(),
                            keys => (args.receiver.iter())
                                .map(|url| (url.clone(), (seq % keys).to_string()))
                                .collect(),
                        },
                    };
                    // Bounded retries: a full queue is momentary, anything else is fatal.
                    let mut tries = 0;
                    loop {
                        match store.ingest(new.clone()).await {
                            Ok(IngestOutcome::Accepted { deliveries: d, .. }) => {
                                deliveries.fetch_add(d.len() as u64, Ordering::Relaxed);
                                break;
                            }
                            Ok(IngestOutcome::Duplicate { .. }) => break,
                            Err(StoreError::Full) if tries < 1000 => {
                                tries += 1;
                                tokio::time::sleep(Duration::from_millis(1)).await;
                            }
                            Err(e) => return Err(format!("ingest failed: {e}")),
                        }
                    }
                    if seq > 0 && seq % 200_000 == 0 {
                        eprintln!(
                            "bench_seed: {seq} events in {:.1} s",
                            started.elapsed().as_secs_f64()
                        );
                    }
                }
            }));
        }
        for t in tasks {
            t.await.map_err(|e| e.to_string())??;
        }
        let secs = started.elapsed().as_secs_f64();
        let d = deliveries.load(Ordering::Relaxed);
        // Closing checkpoints the WAL into the main file, so the gateway starts from one file.
        tokio::task::spawn_blocking(move || store.close())
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "RESULT {}",
            serde_json::json!({
                "events": args.events,
                "deliveries": d,
                "seconds": (secs * 1000.0).round() / 1000.0,
                "per_second": (d as f64 / secs).round(),
            })
        );
        Ok(())
    })
}
