//! The write-ahead log under sustained load: it must start over instead of growing without end.
//!
//! SQLite-only: it opens the SQLite store in-process and reads the WAL file itself.

use bytes::Bytes;
use hookgate::store::{NewEvent, Store, StoredEvent};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

fn event(n: usize) -> NewEvent {
    NewEvent {
        event: StoredEvent {
            seq: 0,
            id: uuid::Uuid::now_v7().to_string(),
            listener_id: "l".into(),
            provider: "smoobu".into(),
            account_id: "a".into(),
            event_type: Some("reservation.created".into()),
            provider_event_id: None,
            received_at: n as i64,
            source_ip: None,
            content_type: None,
            headers: Vec::new(),
            body: Bytes::from(vec![b'x'; 2048]),
        },
        receiver_urls: vec!["http://127.0.0.1:9/".into()],
        order_keys: Default::default(),
    }
}

/// The WAL header's first salt, which SQLite changes every time the log starts over.
fn wal_salt(db: &Path) -> Option<[u8; 4]> {
    let header = std::fs::read(db.with_file_name("hookgate.db-wal")).ok()?;
    header.get(16..20)?.try_into().ok()
}

fn wal_len(db: &Path) -> u64 {
    std::fs::metadata(db.with_file_name("hookgate.db-wal")).map_or(0, |m| m.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_starts_over_while_writes_never_pause() {
    if !crate::common::store::is_sqlite() {
        eprintln!("SKIPPED: the write-ahead log is SQLite's; the suite runs on another store");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hookgate.db");
    let store = Store::open(&db, 4096).unwrap();
    // 32 writers that never pause: the writer always has a batch waiting, so a checkpoint in
    // the background alone never catches up and the log would never start over by itself.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (store, stop, written) = (store.clone(), stop.clone(), written.clone());
        tasks.spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                store.ingest(event(n)).await.unwrap();
                n += 1;
                written.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    // The log may start over once while the writers ramp up (the writer idles meanwhile);
    // from here on it never idles.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let first_salt = wal_salt(&db).expect("a WAL after the first commits");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut largest = 0u64;
    let mut restarted = false;
    while !restarted && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        largest = largest.max(wal_len(&db));
        restarted = wal_salt(&db) != Some(first_salt);
    }
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    let written = written.load(Ordering::Relaxed);
    assert!(
        restarted,
        "the WAL never started over in 90 s ({written} events, {largest} bytes)"
    );
    // It starts over at about 32 MiB of log; allow for what is written before the writer acts.
    assert!(
        largest <= 128 * 1024 * 1024,
        "the WAL grew to {largest} bytes"
    );
}
