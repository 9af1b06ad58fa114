//! How fast the event log pages with a million events in the store. Seeds the store directly
//! (the real ingest path, no HTTP), then times pages through the management API.
//!
//! SQLite-only: it seeds a SQLite file in-process.
//!
//! Ignored by default (it takes a while and a few hundred MB of disk); run it with
//! `cargo test --release --test suite -- --ignored --nocapture paging`.

use crate::common::admin::{get, TOKENS};
use crate::common::events::event_path;
use crate::common::Gateway;
use hookgate::store::{NewEvent, Store, StoredEvent};
use std::sync::Arc;
use std::time::{Duration, Instant};

const EVENTS: usize = 1_000_000;
const TYPES: [&str; 4] = [
    "newReservation",
    "updateReservation",
    "cancelReservation",
    "deleteReservation",
];
/// One event in this many has a failed delivery; the rest succeeded.
const FAILED_EVERY: usize = 100;

fn event(i: usize) -> NewEvent {
    let body = format!(r#"{{"action":"{}","data":{{"id":{i}}}}}"#, TYPES[i % 4]);
    NewEvent {
        event: StoredEvent {
            seq: 0,
            id: uuid::Uuid::now_v7().to_string(),
            listener_id: "big".into(),
            provider: "smoobu".into(),
            account_id: "acc-big".into(),
            event_type: Some(TYPES[i % 4].into()),
            provider_event_id: None,
            received_at: hookgate::store::now_ms(),
            source_ip: Some("203.0.113.9".into()),
            content_type: Some("application/json".into()),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        },
        receiver_urls: vec!["http://127.0.0.1:9/big".into()],
        order_keys: Default::default(),
    }
}

/// Seeds the store; returns how many `newReservation` events have a succeeded delivery (the
/// order of concurrent ingests decides which events get the failed ones).
async fn seed(db: &std::path::Path) -> usize {
    let store = Store::open(db, 8192).unwrap();
    let started = Instant::now();
    let mut next = 0;
    while next < EVENTS {
        let batch: Vec<_> = (next..(next + 4096).min(EVENTS))
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.ingest_internal(event(i)).await.unwrap() })
            })
            .collect();
        next += batch.len();
        for t in batch {
            t.await.unwrap();
        }
    }
    tokio::task::spawn_blocking(move || store.close())
        .await
        .unwrap();
    // Settle every delivery so the gateway does not start sending a million of them.
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute(
        "UPDATE deliveries SET status = CASE WHEN event_seq % ?1 = 0 THEN 'failed' ELSE 'succeeded' END,
                attempt_count = 1, next_attempt_at = NULL, last_status_code = CASE WHEN event_seq % ?1 = 0 THEN 500 ELSE 200 END",
        [FAILED_EVERY as i64],
    )
    .unwrap();
    eprintln!(
        "seeded {EVENTS} events with one delivery each in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let succeeded_new: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events e JOIN deliveries d ON d.event_seq = e.seq
             WHERE e.event_type = 'newReservation' AND d.status = 'succeeded'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    succeeded_new as usize
}

/// The median of `runs` timings of one GET, with its answer.
async fn time(
    admin: std::net::SocketAddr,
    path: &str,
    runs: usize,
) -> (Duration, serde_json::Value) {
    let mut took = Vec::new();
    let mut last = serde_json::Value::Null;
    for _ in 0..runs {
        let t = Instant::now();
        let a = get(admin, path).await;
        took.push(t.elapsed());
        assert_eq!(a.status, 200, "{path}");
        last = a.json();
    }
    took.sort();
    (took[runs / 2], last)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "seeds a million events; run with --release -- --ignored --nocapture"]
async fn paging_a_million_events() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let db = dir.path().join("big.db");
    let config = dir.path().join("listeners.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\nurl = \"sqlite://{}\"\n{TOKENS}\n[[listener]]\nid = \"big\"\nprovider = \"smoobu\"\naccount_id = \"acc-big\"\n",
            db.display()
        ),
    )
    .unwrap();
    let succeeded_new = seed(&db).await;
    let gw = Gateway::launch(dir.clone(), config, &[]);
    let base = "/api/v1/integration_account_webhook/big/events";
    let failed = EVENTS / FAILED_EVERY;
    let cases: [(&str, usize); 8] = [
        ("?take=50", EVENTS),
        ("?take=50&skip=10000", EVENTS),
        ("?take=50&skip=900000", EVENTS),
        ("?take=50&eventType=cancelReservation", EVENTS / 4),
        ("?take=50&status=failed", failed),
        ("?take=50&status=failed&skip=9000", failed),
        ("?take=50&status=succeeded", EVENTS - failed),
        (
            "?take=50&status=succeeded&eventType=newReservation",
            succeeded_new,
        ),
    ];
    // Warm the page cache once, as a running gateway would have it.
    let _ = time(gw.admin, &format!("{base}?take=50"), 1).await;
    for (query, total) in cases {
        let (median, page) = time(gw.admin, &format!("{base}{query}"), 5).await;
        assert_eq!(page["totalEventsCount"], total, "{query}");
        let events = page["events"].as_array().unwrap();
        assert_eq!(events.len(), 50.min(total), "{query}");
        eprintln!(
            "GET …/events{query:<52} total {total:>7}  median {:>7.1} ms",
            median.as_secs_f64() * 1000.0
        );
    }
    let one = page_one(&gw).await;
    let (median, _) = time(gw.admin, &event_path(&one), 5).await;
    eprintln!(
        "GET /api/v1/events/{{id}}  median {:.1} ms",
        median.as_secs_f64() * 1000.0
    );
    if std::env::var_os("HOOKGATE_PAGING_KEEP").is_some() {
        // For looking at query plans afterwards.
        eprintln!("kept {}", db.display());
        std::mem::forget(dir);
    }
}

async fn page_one(gw: &Gateway) -> String {
    let page = get(
        gw.admin,
        "/api/v1/integration_account_webhook/big/events?take=1&skip=500000",
    )
    .await;
    page.json()["events"][0]["id"].as_str().unwrap().to_string()
}
