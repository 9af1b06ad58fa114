//! How fast the event log pages with a million events in the store. Seeds the store directly
//! (the real ingest path, no HTTP), then times pages through the management API.
//!
//! Runs on the suite's store (SQLite, or PostgreSQL with `HOOKGATE_TEST_STORE`).
//!
//! Ignored by default (it takes a while and a few hundred MB of disk); run it with
//! `cargo test --release --test suite -- --ignored --nocapture paging`.

use crate::common::admin::{get, TOKENS};
use crate::common::events::event_path;
use crate::common::store::{count, execute, store_url};
use crate::common::Gateway;
use hookgate::store::{NewEvent, Store, StoredEvent};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events seeded: a million, or `HOOKGATE_PAGING_EVENTS`.
fn events() -> usize {
    std::env::var("HOOKGATE_PAGING_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}
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
async fn seed(url: &str) -> usize {
    let store = match url.strip_prefix("sqlite://") {
        Some(path) => Store::open(std::path::Path::new(path), 8192).unwrap(),
        None => Store::connect(url, 8192).await.unwrap(),
    };
    let started = Instant::now();
    let mut next = 0;
    let total = events();
    while next < total {
        let batch: Vec<_> = (next..(next + 4096).min(total))
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
    let sqlite = url.starts_with("sqlite://");
    let leases = if sqlite {
        ""
    } else {
        ", leased_by = NULL, leased_until = NULL"
    };
    execute(
        url,
        &format!(
            "UPDATE deliveries SET status = CASE WHEN event_seq % {FAILED_EVERY} = 0 THEN 'failed' ELSE 'succeeded' END,
                attempt_count = 1, next_attempt_at = NULL{leases},
                last_status_code = CASE WHEN event_seq % {FAILED_EVERY} = 0 THEN 500 ELSE 200 END"
        ),
    );
    if !sqlite {
        // As autovacuum would have it after a day of ingest: statistics and visibility map.
        execute(url, "VACUUM ANALYZE");
    }
    eprintln!(
        "seeded {total} events with one delivery each in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let succeeded_new = "SELECT COUNT(*) FROM events e JOIN deliveries d ON d.event_seq = e.seq
         WHERE e.event_type = 'newReservation' AND d.status = 'succeeded'";
    let succeeded_new: i64 = match url.strip_prefix("sqlite://") {
        Some(path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row(succeeded_new, [], |r| r.get(0))
            .unwrap(),
        None => count(url, succeeded_new),
    };
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

/// A fresh directory whose `listeners.toml` has the test tokens and one smoobu listener over
/// the suite's store: (directory, store URL, config path).
pub(super) fn one_smoobu_listener(
    id: &str,
    account: &str,
) -> (Arc<tempfile::TempDir>, String, std::path::PathBuf) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let url = store_url(dir.path());
    let config = dir.path().join("listeners.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\nurl = \"{url}\"\n{TOKENS}\n[[listener]]\nid = \"{id}\"\nprovider = \"smoobu\"\naccount_id = \"{account}\"\n",
        ),
    )
    .unwrap();
    (dir, url, config)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "seeds a million events; run with --release -- --ignored --nocapture"]
async fn paging_a_million_events() {
    let (dir, url, config) = one_smoobu_listener("big", "acc-big");
    let succeeded_new = seed(&url).await;
    let gw = Gateway::launch(dir.clone(), config, &[]);
    let base = "/api/v1/integration_account_webhook/big/events";
    let total = events();
    let failed = total / FAILED_EVERY;
    let cases: [(String, usize); 8] = [
        ("?take=50".into(), total),
        (format!("?take=50&skip={}", total / 100), total),
        (format!("?take=50&skip={}", total / 10 * 9), total),
        ("?take=50&eventType=cancelReservation".into(), total / 4),
        ("?take=50&status=failed".into(), failed),
        (
            // Near the end, a full page still left.
            format!(
                "?take=50&status=failed&skip={}",
                (failed / 10 * 9).min(failed.saturating_sub(50))
            ),
            failed,
        ),
        ("?take=50&status=succeeded".into(), total - failed),
        (
            "?take=50&status=succeeded&eventType=newReservation".into(),
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
        eprintln!("kept {url}");
        std::mem::forget(dir);
    }
}

async fn page_one(gw: &Gateway) -> String {
    let path = format!(
        "/api/v1/integration_account_webhook/big/events?take=1&skip={}",
        events() / 2
    );
    let page = get(gw.admin, &path).await;
    page.json()["events"][0]["id"].as_str().unwrap().to_string()
}
