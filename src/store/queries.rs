//! Delivery bookkeeping: what is due, recording attempts, counts.

use super::{AttemptRecord, DeliveryJob, NextStep, Store, StoreError, StoredEvent};
use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

impl Store {
    /// Pending deliveries due at `now_ms`, oldest first, skipping receivers in `skip_receivers`
    /// (those at their concurrency cap, or paused); `deep` also looks past a long run of their rows.
    pub async fn due_deliveries(
        &self,
        now_ms: i64,
        limit: usize,
        skip_receivers: Vec<String>,
        deep: bool,
    ) -> Result<Vec<DeliveryJob>, StoreError> {
        self.read(move |conn| due(conn, now_ms, limit, &skip_receivers, deep))
            .await
    }

    /// The earliest `next_attempt_at` after `after_ms` among pending deliveries.
    pub async fn next_due_after(&self, after_ms: i64) -> Result<Option<i64>, StoreError> {
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND next_attempt_at > ?1",
            )?
            .query_row([after_ms], |r| r.get(0))
        })
        .await
    }

    /// Records an attempt and moves the delivery on, in one committed write.
    pub async fn record_attempt(&self, rec: AttemptRecord) -> Result<(), StoreError> {
        self.write(move |conn| record(conn, &rec)).await
    }

    /// How many deliveries are waiting to be sent.
    pub async fn pending_count(&self) -> Result<i64, StoreError> {
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
    pub async fn delivery_statuses(
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

fn due(
    conn: &Connection,
    now_ms: i64,
    limit: usize,
    skip: &[String],
    deep: bool,
) -> rusqlite::Result<Vec<DeliveryJob>> {
    let skip_set: HashSet<&str> = skip.iter().map(String::as_str).collect();
    // The partial index on next_attempt_at keeps this cheap however large the backlog.
    // Over-fetch a little so rows of saturated or paused receivers do not hide the others.
    let fetch = (limit + skip.len() * 4).min(limit * 8 + 64);
    let mut stmt = conn.prepare_cached(
        "SELECT d.id, d.listener_id, d.receiver_url, d.attempt_count, d.event_seq
         FROM deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= ?1
         ORDER BY d.next_attempt_at LIMIT ?2",
    )?;
    let rows: Vec<DueRow> = stmt
        .query_map(params![now_ms, fetch as i64], due_row)?
        .collect::<Result<_, _>>()?;
    let window_full = rows.len() == fetch;
    let mut jobs = Vec::new();
    let mut events: HashMap<i64, Arc<StoredEvent>> = HashMap::new();
    collect_jobs(conn, rows, &skip_set, limit, &mut events, &mut jobs)?;
    if deep && window_full && jobs.len() < limit && !skip.is_empty() {
        // The window was all skipped receivers' rows (one slow receiver's long backlog): look
        // past them so that the others' due deliveries are not stuck behind it. This walks the
        // skipped rows in SQLite, so the dispatcher asks for it only now and then.
        let mut stmt = conn.prepare_cached(
            "SELECT d.id, d.listener_id, d.receiver_url, d.attempt_count, d.event_seq
             FROM deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= ?1
               AND (d.listener_id || ' ' || d.receiver_url) NOT IN (SELECT value FROM json_each(?2))
             ORDER BY d.next_attempt_at LIMIT ?3",
        )?;
        let skipped = serde_json::to_string(skip).unwrap_or_else(|_| "[]".into());
        let rows: Vec<DueRow> = stmt
            .query_map(params![now_ms, skipped, (limit * 2) as i64], due_row)?
            .collect::<Result<_, _>>()?;
        let seen: HashSet<i64> = jobs.iter().map(|j| j.delivery_id).collect();
        let rows = rows.into_iter().filter(|r| !seen.contains(&r.0)).collect();
        collect_jobs(conn, rows, &skip_set, limit, &mut events, &mut jobs)?;
    }
    Ok(jobs)
}

/// (delivery id, listener id, receiver url, attempts made, event seq)
type DueRow = (i64, String, String, u32, i64);

fn due_row(r: &Row<'_>) -> rusqlite::Result<DueRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

/// Turns due rows into jobs (loading each event once), up to `limit` jobs in all.
fn collect_jobs(
    conn: &Connection,
    rows: Vec<DueRow>,
    skip: &HashSet<&str>,
    limit: usize,
    events: &mut HashMap<i64, Arc<StoredEvent>>,
    jobs: &mut Vec<DeliveryJob>,
) -> rusqlite::Result<()> {
    for (delivery_id, listener_id, receiver_url, attempt_count, event_seq) in rows {
        if jobs.len() >= limit {
            break;
        }
        if skip.contains(format!("{listener_id} {receiver_url}").as_str()) {
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
pub fn load_event(conn: &Connection, seq: i64) -> rusqlite::Result<Option<StoredEvent>> {
    conn.prepare_cached(
        "SELECT seq, id, listener_id, provider, account_id, event_type, provider_event_id, received_at,
                source_ip, content_type, headers, body FROM events WHERE seq = ?1",
    )?
    .query_row([seq], event_from_row)
    .optional()
}

/// Builds a `StoredEvent` from a row of the columns `load_event` selects.
pub fn event_from_row(r: &Row<'_>) -> rusqlite::Result<StoredEvent> {
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

fn record(conn: &Connection, rec: &AttemptRecord) -> rusqlite::Result<()> {
    conn.prepare_cached(
        // The event may have been deleted while the attempt ran: then there is nothing to log to.
        "INSERT OR REPLACE INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = ?1)",
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
    let next_at = match rec.next {
        NextStep::RetryAt(at) => Some(at),
        _ => None,
    };
    conn.prepare_cached(
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
    Ok(())
}
