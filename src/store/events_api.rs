//! The event log as the management API shows it: paging with filters, one event with every
//! attempt, queueing deliveries again, deleting an event.

use super::{Store, StoreError};
use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, Row, Statement, ToSql};

/// Which events of a listener to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub take: u32,
    pub skip: u64,
    /// Events with at least one delivery in this status (`pending`, `succeeded`, `failed`).
    pub status: Option<String>,
    pub event_type: Option<String>,
}

/// An event with its deliveries; `body` and the attempts are filled in for a single event only.
#[derive(Debug, Clone)]
pub struct EventView {
    pub seq: i64,
    pub id: String,
    pub listener_id: String,
    pub provider: String,
    pub event_type: Option<String>,
    /// Unix milliseconds.
    pub received_at: i64,
    pub source_ip: Option<String>,
    pub body: Option<Bytes>,
    pub deliveries: Vec<DeliveryView>,
}

/// One delivery of an event to one receiver.
#[derive(Debug, Clone)]
pub struct DeliveryView {
    pub id: i64,
    pub receiver_url: String,
    pub status: String,
    pub attempt_count: u32,
    pub next_attempt_at: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub attempts: Vec<AttemptView>,
}

/// One recorded attempt.
#[derive(Debug, Clone)]
pub struct AttemptView {
    pub attempt: u32,
    pub started_at: i64,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    /// The first 1 KiB of the receiver's answer.
    pub response: Option<String>,
}

/// What `retry_event` queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requeued {
    /// Deliveries now due.
    pub queued: usize,
    /// Of those, how many were not pending before (for the pending gauge).
    pub newly_pending: usize,
}

const EVENT_COLUMNS: &str =
    "e.seq, e.id, e.listener_id, e.provider, e.event_type, e.received_at, e.source_ip";

fn event_row(r: &Row<'_>) -> rusqlite::Result<EventView> {
    Ok(EventView {
        seq: r.get(0)?,
        id: r.get(1)?,
        listener_id: r.get(2)?,
        provider: r.get(3)?,
        event_type: r.get(4)?,
        received_at: r.get(5)?,
        source_ip: r.get(6)?,
        body: None,
        deliveries: Vec::new(),
    })
}

impl Store {
    /// One page of a listener's events, newest first, and how many match the filter in all.
    pub async fn list_events(
        &self,
        listener_id: &str,
        filter: EventFilter,
    ) -> Result<(Vec<EventView>, u64), StoreError> {
        let listener_id = listener_id.to_string();
        self.read(move |conn| list(conn, &listener_id, &filter))
            .await
    }

    /// One event with its body, deliveries and every attempt.
    pub async fn event_detail(&self, event_id: &str) -> Result<Option<EventView>, StoreError> {
        let event_id = event_id.to_string();
        self.read(move |conn| detail(conn, &event_id)).await
    }

    /// Makes the event's failed deliveries (with `all`, every delivery) due at `now`.
    /// `None` when there is no such event.
    pub async fn retry_event(
        &self,
        event_id: &str,
        all: bool,
        now: i64,
    ) -> Result<Option<Requeued>, StoreError> {
        let event_id = event_id.to_string();
        self.write(move |conn| {
            let Some(seq) = seq_of(conn, &event_id)? else {
                return Ok(None);
            };
            let moved = if all {
                conn.prepare_cached(
                    "UPDATE deliveries SET status = 'pending', next_attempt_at = ?2 WHERE event_seq = ?1 AND status <> 'pending'",
                )?
                .execute(params![seq, now])?
            } else {
                conn.prepare_cached(
                    "UPDATE deliveries SET status = 'pending', next_attempt_at = ?2 WHERE event_seq = ?1 AND status = 'failed'",
                )?
                .execute(params![seq, now])?
            };
            let hurried = if all {
                conn.prepare_cached(
                    "UPDATE deliveries SET next_attempt_at = ?2 WHERE event_seq = ?1 AND status = 'pending' AND next_attempt_at > ?2",
                )?
                .execute(params![seq, now])?
            } else {
                0
            };
            Ok(Some(Requeued {
                queued: moved + hurried,
                newly_pending: moved,
            }))
        })
        .await
    }

    /// Deletes an event with its deliveries and attempts. Returns how many of its deliveries
    /// were still pending, or `None` when there is no such event.
    pub async fn delete_event(&self, event_id: &str) -> Result<Option<usize>, StoreError> {
        let event_id = event_id.to_string();
        self.write(move |conn| {
            let Some(seq) = seq_of(conn, &event_id)? else {
                return Ok(None);
            };
            let pending: i64 = conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM deliveries WHERE event_seq = ?1 AND status = 'pending'",
                )?
                .query_row([seq], |r| r.get(0))?;
            conn.prepare_cached(
                "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_seq = ?1)",
            )?
            .execute([seq])?;
            conn.prepare_cached("DELETE FROM deliveries WHERE event_seq = ?1")?
                .execute([seq])?;
            conn.prepare_cached("DELETE FROM events WHERE seq = ?1")?
                .execute([seq])?;
            Ok(Some(pending as usize))
        })
        .await
    }
}

fn seq_of(conn: &Connection, event_id: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT seq FROM events WHERE id = ?1")?
        .query_row([event_id], |r| r.get(0))
        .optional()
}

/// Each filter combination has its own statement so SQLite can pick the matching index:
/// `events(listener_id, seq)`, `events(listener_id, event_type, seq)`, or, for a status,
/// `deliveries(listener_id, status, event_seq)`, which walks only the matching deliveries
/// however rare they are. Totals without a status come from the trigger-kept `event_counts`.
fn list(
    conn: &Connection,
    listener_id: &str,
    f: &EventFilter,
) -> rusqlite::Result<(Vec<EventView>, u64)> {
    let (count_sql, page_sql) = match (&f.status, &f.event_type) {
        (None, None) => (
            "SELECT coalesce(sum(n), 0) FROM event_counts WHERE listener_id = ?1".to_string(),
            format!(
                "SELECT {EVENT_COLUMNS} FROM events e WHERE e.listener_id = ?1
                 ORDER BY e.seq DESC LIMIT ?2 OFFSET ?3"
            ),
        ),
        (None, Some(_)) => (
            "SELECT coalesce(sum(n), 0) FROM event_counts WHERE listener_id = ?1 AND event_type = ?5"
                .to_string(),
            format!(
                "SELECT {EVENT_COLUMNS} FROM events e WHERE e.listener_id = ?1 AND e.event_type = ?5
                 ORDER BY e.seq DESC LIMIT ?2 OFFSET ?3"
            ),
        ),
        (Some(_), None) => (
            "SELECT COUNT(DISTINCT d.event_seq) FROM deliveries d
             WHERE d.listener_id = ?1 AND d.status = ?4"
                .to_string(),
            format!(
                "SELECT {EVENT_COLUMNS} FROM events e WHERE e.seq IN (
                     SELECT DISTINCT d.event_seq FROM deliveries d
                     WHERE d.listener_id = ?1 AND d.status = ?4
                     ORDER BY d.event_seq DESC LIMIT ?2 OFFSET ?3)
                 ORDER BY e.seq DESC"
            ),
        ),
        (Some(_), Some(_)) => (
            "SELECT COUNT(DISTINCT d.event_seq) FROM deliveries d JOIN events e ON e.seq = d.event_seq
             WHERE d.listener_id = ?1 AND d.status = ?4 AND e.event_type = ?5"
                .to_string(),
            format!(
                "SELECT {EVENT_COLUMNS} FROM events e WHERE e.seq IN (
                     SELECT DISTINCT d.event_seq FROM deliveries d JOIN events e2 ON e2.seq = d.event_seq
                     WHERE d.listener_id = ?1 AND d.status = ?4 AND e2.event_type = ?5
                     ORDER BY d.event_seq DESC LIMIT ?2 OFFSET ?3)
                 ORDER BY e.seq DESC"
            ),
        ),
    };
    let take = i64::from(f.take);
    let skip = i64::try_from(f.skip).unwrap_or(i64::MAX);
    let values: [&dyn ToSql; 5] = [&listener_id, &take, &skip, &f.status, &f.event_type];
    let total: i64 = {
        let mut stmt = conn.prepare_cached(&count_sql)?;
        bind_numbered(&mut stmt, &values)?;
        let mut rows = stmt.raw_query();
        match rows.next()? {
            Some(r) => r.get(0)?,
            None => 0,
        }
    };
    let mut events = Vec::new();
    {
        let mut stmt = conn.prepare_cached(&page_sql)?;
        bind_numbered(&mut stmt, &values)?;
        let mut rows = stmt.raw_query();
        while let Some(r) = rows.next()? {
            events.push(event_row(r)?);
        }
    }
    for e in &mut events {
        e.deliveries = deliveries(conn, e.seq, false)?;
    }
    Ok((events, total.max(0) as u64))
}

/// Binds `?1..?N` of a statement from `values`; each statement uses only some of the numbered
/// parameters, and rusqlite wants exactly as many values as the highest number used.
fn bind_numbered(stmt: &mut Statement<'_>, values: &[&dyn ToSql]) -> rusqlite::Result<()> {
    for i in 1..=stmt.parameter_count() {
        stmt.raw_bind_parameter(i, values[i - 1])?;
    }
    Ok(())
}

fn detail(conn: &Connection, event_id: &str) -> rusqlite::Result<Option<EventView>> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS}, e.body FROM events e WHERE e.id = ?1"
        ))?
        .query_row([event_id], |r| {
            let mut e = event_row(r)?;
            let body: Vec<u8> = r.get(7)?;
            e.body = Some(Bytes::from(body));
            Ok(e)
        })
        .optional()?;
    let Some(mut event) = found else {
        return Ok(None);
    };
    event.deliveries = deliveries(conn, event.seq, true)?;
    Ok(Some(event))
}

fn deliveries(
    conn: &Connection,
    event_seq: i64,
    with_attempts: bool,
) -> rusqlite::Result<Vec<DeliveryView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, receiver_url, status, attempt_count, next_attempt_at, last_status_code, last_error
         FROM deliveries WHERE event_seq = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([event_seq], |r| {
        Ok(DeliveryView {
            id: r.get(0)?,
            receiver_url: r.get(1)?,
            status: r.get(2)?,
            attempt_count: r.get(3)?,
            next_attempt_at: r.get(4)?,
            last_status_code: r.get(5)?,
            last_error: r.get(6)?,
            attempts: Vec::new(),
        })
    })?;
    let mut list = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    if with_attempts {
        for d in &mut list {
            d.attempts = attempts(conn, d.id)?;
        }
    }
    Ok(list)
}

fn attempts(conn: &Connection, delivery_id: i64) -> rusqlite::Result<Vec<AttemptView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT attempt, started_at, duration_ms, status_code, error, response
         FROM attempts WHERE delivery_id = ?1 ORDER BY attempt",
    )?;
    let rows = stmt.query_map([delivery_id], |r| {
        Ok(AttemptView {
            attempt: r.get(0)?,
            started_at: r.get(1)?,
            duration_ms: r.get(2)?,
            status_code: r.get(3)?,
            error: r.get(4)?,
            response: r.get(5)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewEvent, StoredEvent};

    fn event(listener: &str, event_type: Option<&str>) -> NewEvent {
        NewEvent {
            event: StoredEvent {
                seq: 0,
                id: uuid::Uuid::now_v7().to_string(),
                listener_id: listener.into(),
                provider: "smoobu".into(),
                account_id: "a".into(),
                event_type: event_type.map(str::to_string),
                provider_event_id: None,
                received_at: 1,
                source_ip: None,
                content_type: None,
                headers: Vec::new(),
                body: Bytes::from_static(b"{}"),
            },
            receiver_urls: vec!["http://r/".into()],
        }
    }

    async fn total(store: &Store, listener: &str, event_type: Option<&str>) -> u64 {
        let filter = EventFilter {
            take: 10,
            event_type: event_type.map(str::to_string),
            ..EventFilter::default()
        };
        store.list_events(listener, filter).await.unwrap().1
    }

    async fn ingest(store: &Store, listener: &str, event_type: Option<&str>) -> String {
        match store.ingest(event(listener, event_type)).await.unwrap() {
            crate::store::IngestOutcome::Accepted { event, .. } => event.id.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn totals_follow_inserts_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), 64).unwrap();
        let first = ingest(&store, "l", Some("a")).await;
        ingest(&store, "l", Some("a")).await;
        ingest(&store, "l", Some("b")).await;
        ingest(&store, "l", None).await;
        ingest(&store, "other", Some("a")).await;
        assert_eq!(total(&store, "l", None).await, 4);
        assert_eq!(total(&store, "l", Some("a")).await, 2);
        assert_eq!(total(&store, "l", Some("zzz")).await, 0);
        assert_eq!(store.delete_event(&first).await.unwrap(), Some(1));
        assert_eq!(total(&store, "l", None).await, 3);
        assert_eq!(total(&store, "l", Some("a")).await, 1);
        assert_eq!(store.delete_event(&first).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_database_without_counters_gets_them_filled_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let store = Store::open(&path, 64).unwrap();
            ingest(&store, "l", Some("a")).await;
            ingest(&store, "l", Some("b")).await;
            store
                .write(|c| {
                    c.execute_batch(
                        "DROP TRIGGER event_counts_insert; DROP TRIGGER event_counts_delete; DROP TABLE event_counts;",
                    )
                })
                .await
                .unwrap();
            store.close();
        }
        let store = Store::open(&path, 64).unwrap();
        assert_eq!(total(&store, "l", None).await, 2);
        ingest(&store, "l", Some("a")).await;
        assert_eq!(total(&store, "l", Some("a")).await, 2);
    }
}
