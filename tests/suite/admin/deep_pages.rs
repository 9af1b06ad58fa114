//! Pages more than ten thousand events deep: the events the log holds there, newest first, with
//! the same total as the first page (PostgreSQL counts such pages from the nearer end).

use crate::common::admin::get;
use crate::common::store::{execute, on_postgres};
use crate::common::Gateway;
use hookgate::store::{NewEvent, Store, StoredEvent};

const EVENTS: usize = 10_600;
/// One event in this many has a failed delivery; the rest succeeded.
const FAILED_EVERY: usize = 50;

fn event(i: usize) -> NewEvent {
    let kind = ["newReservation", "updateReservation"][i % 2];
    NewEvent {
        event: StoredEvent {
            seq: 0,
            id: uuid::Uuid::now_v7().to_string(),
            listener_id: "deep".into(),
            provider: "smoobu".into(),
            account_id: "acc-deep".into(),
            event_type: Some(kind.into()),
            provider_event_id: None,
            received_at: hookgate::store::now_ms(),
            source_ip: None,
            content_type: Some("application/json".into()),
            headers: Vec::new(),
            body: format!(r#"{{"action":"{kind}","data":{{"id":{i}}}}}"#).into(),
        },
        receiver_urls: vec!["http://127.0.0.1:9/deep".into()],
        order_keys: Default::default(),
    }
}

/// Ingests the events concurrently (so their order is the store's), then settles every
/// delivery so that the gateway sends none.
async fn seed(url: &str) {
    let store = match url.strip_prefix("sqlite://") {
        Some(path) => Store::open(std::path::Path::new(path), 8192).unwrap(),
        None => Store::connect(url, 8192).await.unwrap(),
    };
    let ingests: Vec<_> = (0..EVENTS)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.ingest_internal(event(i)).await.unwrap() })
        })
        .collect();
    for ingest in ingests {
        ingest.await.unwrap();
    }
    tokio::task::spawn_blocking(move || store.close())
        .await
        .unwrap();
    let leases = if url.starts_with("sqlite://") {
        ""
    } else {
        ", leased_by = NULL, leased_until = NULL"
    };
    execute(
        url,
        &format!(
            "UPDATE deliveries SET attempt_count = 1, next_attempt_at = NULL{leases},
                status = CASE WHEN event_seq % {FAILED_EVERY} = 0 THEN 'failed' ELSE 'succeeded' END"
        ),
    );
}

/// The ids of the events matching `condition` (on `events e`), newest first, from the store.
fn ids_newest_first(url: &str, condition: &str) -> Vec<String> {
    let sql = format!("SELECT e.id FROM events e WHERE {condition} ORDER BY e.seq DESC");
    match url.strip_prefix("sqlite://") {
        Some(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            let mut stmt = conn.prepare(&sql).unwrap();
            let ids = stmt.query_map([], |r| r.get(0)).unwrap();
            ids.map(Result::unwrap).collect()
        }
        None => on_postgres(url, move |client| async move {
            let rows = client.query(&sql, &[]).await?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
        .unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deep_pages_hold_the_events_the_log_holds_there() {
    let (dir, url, config) = super::paging::one_smoobu_listener("deep", "acc-deep");
    seed(&url).await;
    let gw = Gateway::launch(dir.clone(), config, &[]);
    let succeeded =
        "EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status = 'succeeded')";
    for (filter, condition) in [("", "TRUE"), ("&status=succeeded", succeeded)] {
        let all = ids_newest_first(&url, condition);
        assert!(all.len() > 10_300, "{filter}: {} events", all.len());
        for skip in [5_000, 10_001, 10_250, all.len() - 20, all.len() + 5] {
            let path = format!(
                "/api/v1/integration_account_webhook/deep/events?take=50&skip={skip}{filter}"
            );
            let page = get(gw.admin, &path).await;
            assert_eq!(page.status, 200, "{path}");
            let page = page.json();
            assert_eq!(page["totalEventsCount"], all.len(), "{path}");
            let shown: Vec<&str> = page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap())
                .collect();
            let expected: Vec<&str> = all.iter().skip(skip).take(50).map(String::as_str).collect();
            assert_eq!(shown, expected, "{path}");
        }
    }
}
