//! Storing an accepted event with its deliveries, and the de-duplication check, in one job.

use super::SqliteStore;
use crate::store::{now_ms, IngestOutcome, NewEvent, StoreError, DEDUP_WINDOW_MS};
use rusqlite::{params, Connection, OptionalExtension};
use std::sync::Arc;

impl SqliteStore {
    /// Commits the event and one pending delivery per receiver before returning
    /// (fsync included), or reports a duplicate. Fails fast with `Full` when the
    /// queue of waiting events is full, so the caller can answer 503. (`ingest_batch.rs`.)
    pub(super) async fn ingest(&self, new: NewEvent) -> Result<IngestOutcome, StoreError> {
        self.ingest_batched(new, true).await
    }
}

pub(super) fn insert(conn: &Connection, new: NewEvent) -> rusqlite::Result<IngestOutcome> {
    let NewEvent {
        mut event,
        receiver_urls,
        order_keys,
    } = new;
    if let Some(pid) = &event.provider_event_id {
        let seen: Option<(String, i64)> = conn
            .prepare_cached("SELECT event_id, seen_at FROM dedup WHERE listener_id = ?1 AND provider_event_id = ?2")?
            .query_row(params![event.listener_id, pid], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match seen {
            Some((original, seen_at)) if event.received_at - seen_at < DEDUP_WINDOW_MS => {
                return Ok(IngestOutcome::Duplicate {
                    original_event_id: original,
                });
            }
            _ => {
                conn.prepare_cached(
                    "INSERT OR REPLACE INTO dedup (listener_id, provider_event_id, event_id, seen_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![event.listener_id, pid, event.id, event.received_at])?;
            }
        }
    }
    let headers = serde_json::to_string(&event.headers).unwrap_or_else(|_| "[]".into());
    conn.prepare_cached(
        "INSERT INTO events (id, listener_id, provider, account_id, event_type, provider_event_id, received_at, source_ip, content_type, headers, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        event.id,
        event.listener_id,
        event.provider,
        event.account_id,
        event.event_type,
        event.provider_event_id,
        event.received_at,
        event.source_ip,
        event.content_type,
        headers,
        &event.body[..],
    ])?;
    event.seq = conn.last_insert_rowid();
    let mut deliveries = Vec::with_capacity(receiver_urls.len());
    let now = now_ms();
    let mut stmt = conn.prepare_cached(
        "INSERT INTO deliveries (event_seq, listener_id, receiver_url, status, attempt_count, next_attempt_at, order_key)
         VALUES (?1, ?2, ?3, 'pending', 0, ?4, ?5)",
    )?;
    for url in receiver_urls {
        let order_key = order_keys.get(&url);
        stmt.execute(params![event.seq, event.listener_id, url, now, order_key])?;
        deliveries.push((conn.last_insert_rowid(), url));
    }
    Ok(IngestOutcome::Accepted {
        event: Arc::new(event),
        deliveries,
    })
}

impl SqliteStore {
    /// Like `ingest`, but waits for room in the write queue: for hookgate's own events, which
    /// have no caller to answer 503 to.
    pub(super) async fn ingest_internal(&self, new: NewEvent) -> Result<IngestOutcome, StoreError> {
        self.ingest_batched(new, false).await
    }
}
