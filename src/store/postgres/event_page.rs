//! One page of a listener's event log in PostgreSQL with its filters, and how many events
//! match in all.
//!
//! A page's keys are found on an index alone and only its own rows are read from the table:
//! an OFFSET over table rows would read every row it skips, where an index-only scan reads a
//! few index pages per thousand. Index-only scans rely on the visibility map, which VACUUM
//! (autovacuum, on a live store) keeps current. Every filter has a covering index:
//! `events(listener_id, seq)`, `events(listener_id, event_type, seq)` and
//! `deliveries(listener_id, status, event_seq)`.

use super::events_api::{event_row, with_deliveries, EVENT_COLUMNS};
use crate::store::{EventFilter, EventView};
use deadpool_postgres::Object;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Error, GenericClient, IsolationLevel};

/// How many events match, and which events, without their order and page: the total's
/// parameters are the listener, then the filters' values (`$2`, `$3`); the keys' are the
/// listener, take and skip, then the filters' values (`$4`, `$5`), and the key column to order
/// on comes last.
///
/// Status filters count each event once however many of its deliveries have that status. An
/// event and its deliveries have the same listener: saying so lets the planner read both from
/// their indexes alone (`deliveries(listener_id, status, event_seq)`).
fn statements(f: &EventFilter) -> (&'static str, &'static str, &'static str) {
    match (&f.status, &f.event_type) {
        // Totals without a status come from the trigger-kept `event_counts`.
        (None, None) => (
            "SELECT coalesce(sum(n), 0)::bigint FROM event_counts WHERE listener_id = $1",
            "SELECT seq FROM events WHERE listener_id = $1",
            "seq",
        ),
        (None, Some(_)) => (
            "SELECT coalesce(sum(n), 0)::bigint FROM event_counts
             WHERE listener_id = $1 AND event_type = $2",
            "SELECT seq FROM events WHERE listener_id = $1 AND event_type = $4",
            "seq",
        ),
        (Some(_), None) => (
            "SELECT count(*) FROM (
                 SELECT DISTINCT event_seq FROM deliveries WHERE listener_id = $1 AND status = $2
             ) d",
            "SELECT DISTINCT event_seq FROM deliveries WHERE listener_id = $1 AND status = $4",
            "event_seq",
        ),
        (Some(_), Some(_)) => (
            "SELECT count(*) FROM events e WHERE e.listener_id = $1 AND e.event_type = $3
             AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq
                         AND d.listener_id = e.listener_id AND d.status = $2)",
            "SELECT DISTINCT d.event_seq FROM deliveries d
             JOIN events e ON e.seq = d.event_seq AND e.listener_id = d.listener_id
             WHERE d.listener_id = $1 AND d.status = $4 AND e.event_type = $5",
            "d.event_seq",
        ),
    }
}

/// Pages that skip at most this many events are read from the newest end, without waiting
/// for the total.
const NEAR_NEWEST: u64 = 10_000;

/// One page of a listener's events, newest first, with their deliveries, and the total.
///
/// Statements go with their parameters' types (one round trip each, planned for the values
/// at hand: a plan cached for one status would be wrong for another). Near the newest end the
/// total and the page go together, as the connection pipelines them. Further in, the page is
/// counted from whichever end is nearer, which skips fewer index entries; the total and the
/// page then come from one snapshot, so the page is the one counting from the newest end
/// would give.
pub(super) async fn list(
    client: &mut Object,
    listener_id: &str,
    f: &EventFilter,
) -> Result<(Vec<EventView>, u64), Error> {
    let take = u64::from(f.take);
    if f.skip <= NEAR_NEWEST {
        let c: &tokio_postgres::Client = client;
        let (total, events) = tokio::try_join!(
            total(c, listener_id, f),
            page(c, listener_id, f, Window::Newest { skip: f.skip, take }),
        )?;
        return Ok((with_deliveries(c, events).await?, total));
    }
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let t: &tokio_postgres::Transaction = &tx;
    let total = total(t, listener_id, f).await?;
    let after = total.saturating_sub(f.skip);
    let window = if after < f.skip {
        let take = take.min(after);
        Window::Oldest {
            skip: after - take,
            take,
        }
    } else {
        Window::Newest { skip: f.skip, take }
    };
    let events = page(t, listener_id, f, window).await?;
    let events = with_deliveries(t, events).await?;
    tx.commit().await?;
    Ok((events, total))
}

/// Which events of the filtered log a page holds, counted from one end.
enum Window {
    Newest { skip: u64, take: u64 },
    Oldest { skip: u64, take: u64 },
}

async fn total(c: &impl GenericClient, listener_id: &str, f: &EventFilter) -> Result<u64, Error> {
    let (sql, _, _) = statements(f);
    let mut params: Vec<(&(dyn ToSql + Sync), Type)> = vec![(&listener_id, Type::TEXT)];
    for value in [&f.status, &f.event_type].into_iter().flatten() {
        params.push((value, Type::TEXT));
    }
    let n: i64 = c.query_typed_one(sql, &params).await?.get(0);
    Ok(n.max(0) as u64)
}

/// The page's events, newest first: its keys from an index, then only those rows.
async fn page(
    c: &impl GenericClient,
    listener_id: &str,
    f: &EventFilter,
    window: Window,
) -> Result<Vec<EventView>, Error> {
    let (_, keys, key) = statements(f);
    let (order, skip, take) = match window {
        Window::Newest { skip, take } => ("DESC", skip, take),
        Window::Oldest { skip, take } => ("ASC", skip, take),
    };
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e
         WHERE e.seq IN ({keys} ORDER BY {key} {order} LIMIT $2 OFFSET $3)
         ORDER BY e.seq DESC"
    );
    let take = i64::try_from(take).unwrap_or(i64::MAX);
    let skip = i64::try_from(skip).unwrap_or(i64::MAX);
    let mut params: Vec<(&(dyn ToSql + Sync), Type)> = vec![
        (&listener_id, Type::TEXT),
        (&take, Type::INT8),
        (&skip, Type::INT8),
    ];
    for value in [&f.status, &f.event_type].into_iter().flatten() {
        params.push((value, Type::TEXT));
    }
    Ok(c.query_typed(&sql, &params)
        .await?
        .iter()
        .map(event_row)
        .collect())
}
