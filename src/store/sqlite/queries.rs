//! Delivery bookkeeping: what is due, recording attempts, counts.

use super::SqliteStore;
use crate::store::{
    AttemptRecord, DeliveryJob, DueBatch, DuePlan, NextStep, StoreError, StoredEvent,
};
use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::HashMap;
use std::sync::Arc;

impl SqliteStore {
    /// Pending deliveries due now that the dispatcher can start, oldest first (see `DuePlan`),
    /// and the receivers whose due rows were found only by asking them one by one.
    pub(super) async fn due_deliveries(&self, plan: DuePlan) -> Result<DueBatch, StoreError> {
        self.read(move |conn| due(conn, plan)).await
    }

    /// The earliest `next_attempt_at` after `after_ms` among pending deliveries.
    pub(super) async fn next_due_after(&self, after_ms: i64) -> Result<Option<i64>, StoreError> {
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND next_attempt_at > ?1",
            )?
            .query_row([after_ms], |r| r.get(0))
        })
        .await
    }

    /// How many deliveries are waiting to be sent.
    pub(super) async fn pending_count(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'",
                [],
                |r| r.get(0),
            )
        })
        .await
    }

    /// Delivery statuses by receiver URL for one event (used by tests and the API).
    pub(super) async fn delivery_statuses(
        &self,
        event_id: &str,
    ) -> Result<Vec<(String, String, u32)>, StoreError> {
        let event_id = event_id.to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT d.receiver_url, d.status, d.attempt_count FROM deliveries d JOIN events e ON e.seq = d.event_seq
                 WHERE e.id = ?1 ORDER BY d.id",
            )?;
            let rows = stmt.query_map([event_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })
        .await
    }
}

/// Receivers looked at by one deep pass at most.
const DEEP_RECEIVERS: usize = 2000;

/// True for a delivery row `d` whose turn it is: unordered, or no earlier delivery with its
/// receiver and order key is still pending (running, waiting for a retry or held).
pub(super) const IN_TURN: &str = "(d.order_key IS NULL OR NOT EXISTS (
    SELECT 1 FROM deliveries p WHERE p.status = 'pending' AND p.order_key IS NOT NULL
      AND p.listener_id = d.listener_id AND p.receiver_url = d.receiver_url
      AND p.order_key = d.order_key AND p.id < d.id))";

fn due(conn: &Connection, mut plan: DuePlan) -> rusqlite::Result<DueBatch> {
    // The partial index on next_attempt_at keeps this cheap however large the backlog. The
    // window covers the running rows plus some slack for receivers without room.
    let fetch = plan.limit + plan.running.len() + 64;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT d.id, d.listener_id, d.receiver_url, d.attempt_count, d.event_seq
         FROM deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 AND {IN_TURN}
         ORDER BY d.next_attempt_at LIMIT ?2"
    ))?;
    let rows: Vec<DueRow> = stmt
        .query_map(params![plan.now_ms, fetch as i64], due_row)?
        .collect::<Result<_, _>>()?;
    let window_full = rows.len() == fetch;
    let mut jobs = Vec::new();
    let mut events: HashMap<i64, Arc<StoredEvent>> = HashMap::new();
    collect_jobs(conn, rows, &mut plan, &mut events, &mut jobs)?;
    let mut hidden = Vec::new();
    let mut receivers = std::mem::take(&mut plan.hinted);
    if plan.deep && window_full && jobs.len() < plan.limit {
        // The window was taken by receivers without room (one slow receiver's long backlog):
        // ask each receiver with pending deliveries for its own due rows, so that the others'
        // deliveries are not stuck behind it.
        receivers = receivers_with_pending(conn, DEEP_RECEIVERS)?;
    }
    if window_full && jobs.len() < plan.limit {
        for (listener_id, receiver_url) in receivers {
            let key = format!("{listener_id} {receiver_url}");
            let room = plan.room.get(&key).copied().unwrap_or(plan.default_room);
            if room == 0 || jobs.len() >= plan.limit {
                // Busy now, but it may still have rows behind others': keep asking it.
                hidden.push((listener_id, receiver_url));
                continue;
            }
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT d.id, d.listener_id, d.receiver_url, d.attempt_count, d.event_seq FROM deliveries d
                 WHERE d.status = 'pending' AND d.listener_id = ?1 AND d.receiver_url = ?2
                   AND d.next_attempt_at <= ?3 AND {IN_TURN}
                 ORDER BY d.next_attempt_at LIMIT ?4"
            ))?;
            // Running rows of this receiver come first in its order; read past them.
            let want = room.min(plan.limit - jobs.len()) + plan.running.len();
            let rows: Vec<DueRow> = stmt
                .query_map(
                    params![listener_id, receiver_url, plan.now_ms, want as i64],
                    due_row,
                )?
                .collect::<Result<_, _>>()?;
            let before = jobs.len();
            collect_jobs(conn, rows, &mut plan, &mut events, &mut jobs)?;
            if jobs.len() > before {
                // It had due rows the window did not show: ask it directly next time too.
                hidden.push((listener_id, receiver_url));
            }
        }
    }
    Ok((jobs, hidden))
}

/// Distinct (listener, receiver URL) pairs with pending deliveries, by seeking through the
/// receiver index one pair at a time (SQLite would otherwise read every pending row).
fn receivers_with_pending(
    conn: &Connection,
    max: usize,
) -> rusqlite::Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut first = conn.prepare_cached(
        "SELECT listener_id, receiver_url FROM deliveries WHERE status = 'pending'
         ORDER BY listener_id, receiver_url LIMIT 1",
    )?;
    let mut next = conn.prepare_cached(
        "SELECT listener_id, receiver_url FROM deliveries WHERE status = 'pending'
           AND (listener_id, receiver_url) > (?1, ?2)
         ORDER BY listener_id, receiver_url LIMIT 1",
    )?;
    let mut current: Option<(String, String)> = first
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    while let Some(pair) = current {
        current = next
            .query_row(params![pair.0, pair.1], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        out.push(pair);
        if out.len() >= max {
            break;
        }
    }
    Ok(out)
}

/// (delivery id, listener id, receiver url, attempts made, event seq)
type DueRow = (i64, String, String, u32, i64);

fn due_row(r: &Row<'_>) -> rusqlite::Result<DueRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

/// Turns due rows into jobs within each receiver's room (loading each event once), up to
/// `plan.limit` jobs in all. Taken rows count as running for later passes.
fn collect_jobs(
    conn: &Connection,
    rows: Vec<DueRow>,
    plan: &mut DuePlan,
    events: &mut HashMap<i64, Arc<StoredEvent>>,
    jobs: &mut Vec<DeliveryJob>,
) -> rusqlite::Result<()> {
    for (delivery_id, listener_id, receiver_url, attempt_count, event_seq) in rows {
        if jobs.len() >= plan.limit {
            break;
        }
        if plan.running.contains(&delivery_id) {
            continue;
        }
        let key = format!("{listener_id} {receiver_url}");
        let room = plan.room.entry(key).or_insert(plan.default_room);
        if *room == 0 {
            continue;
        }
        let event = match events.get(&event_seq) {
            Some(e) => e.clone(),
            None => {
                let Some(e) = load_event(conn, event_seq)? else {
                    continue;
                };
                let e = Arc::new(e);
                events.insert(event_seq, e.clone());
                e
            }
        };
        *room -= 1;
        plan.running.insert(delivery_id);
        jobs.push(DeliveryJob {
            delivery_id,
            listener_id,
            receiver_url,
            attempt_count,
            event,
        });
    }
    Ok(())
}

/// Loads one event by its sequence number.
fn load_event(conn: &Connection, seq: i64) -> rusqlite::Result<Option<StoredEvent>> {
    conn.prepare_cached(
        "SELECT seq, id, listener_id, provider, account_id, event_type, provider_event_id, received_at,
                source_ip, content_type, headers, body FROM events WHERE seq = ?1",
    )?
    .query_row([seq], event_from_row)
    .optional()
}

/// Builds a `StoredEvent` from a row of the columns `load_event` selects.
fn event_from_row(r: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    let headers: String = r.get(10)?;
    let body: Vec<u8> = r.get(11)?;
    Ok(StoredEvent {
        seq: r.get(0)?,
        id: r.get(1)?,
        listener_id: r.get(2)?,
        provider: r.get(3)?,
        account_id: r.get(4)?,
        event_type: r.get(5)?,
        provider_event_id: r.get(6)?,
        received_at: r.get(7)?,
        source_ip: r.get(8)?,
        content_type: r.get(9)?,
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        body: Bytes::from(body),
    })
}

/// Moves the delivery on and logs the attempt; true when the delivery was still there to move
/// on (its event may have been deleted while the attempt ran: then there is nothing to log to).
pub(super) fn record(conn: &Connection, rec: &AttemptRecord) -> rusqlite::Result<bool> {
    let next_at = match rec.next {
        NextStep::RetryAt(at) => Some(at),
        _ => None,
    };
    let moved = conn
        .prepare_cached(
            "UPDATE deliveries SET status = ?2, attempt_count = ?3, next_attempt_at = ?4, last_status_code = ?5, last_error = ?6
         WHERE id = ?1",
        )?
        .execute(params![
            rec.delivery_id,
            rec.next.status(),
            rec.attempt,
            next_at,
            rec.status_code,
            rec.error
        ])?;
    if moved == 0 {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT OR REPLACE INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        rec.delivery_id,
        rec.attempt,
        rec.started_at,
        rec.duration_ms,
        rec.status_code,
        rec.error,
        rec.response
    ])?;
    Ok(true)
}
