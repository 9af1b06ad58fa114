//! The event log as the management API shows it, in SQLite: paging with filters, one event
//! with every attempt, queueing deliveries again, deleting an event.

use super::SqliteStore;
use crate::store::{AttemptView, DeliveryView, EventFilter, EventView, Requeued, StoreError};
use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, Row, Statement, ToSql};

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

impl SqliteStore {
    /// One page of a listener's events, newest first, and how many match the filter in all.
    pub(super) async fn list_events(
        &self,
        listener_id: &str,
        filter: EventFilter,
    ) -> Result<(Vec<EventView>, u64), StoreError> {
        let listener_id = listener_id.to_string();
        self.read(move |conn| list(conn, &listener_id, &filter))
            .await
    }

    /// One event with its body, deliveries and every attempt.
    pub(super) async fn event_detail(
        &self,
        event_id: &str,
    ) -> Result<Option<EventView>, StoreError> {
        let event_id = event_id.to_string();
        self.read(move |conn| detail(conn, &event_id)).await
    }

    /// Makes the event's failed deliveries (with `all`, every delivery) due at `now`.
    /// `None` when there is no such event.
    pub(super) async fn retry_event(
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
    pub(super) async fn delete_event(&self, event_id: &str) -> Result<Option<usize>, StoreError> {
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
/// however rare they are. Totals without a status come from `event_counts`.
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
