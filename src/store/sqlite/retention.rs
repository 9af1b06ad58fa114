//! Deleting what is older than `[store].retention`, in small batches, and handing the space back.

use super::SqliteStore;
use crate::store::{StoreError, DEDUP_WINDOW_MS};
use rusqlite::params;

/// Events per transaction: small enough that ingest waits at most a few milliseconds.
const BATCH: i64 = 500;

impl SqliteStore {
    /// Deletes one batch of events received before `cutoff_ms` (with their deliveries and
    /// attempts), except events that still have pending deliveries: what was acknowledged
    /// but not yet delivered is never thrown away.
    pub(super) async fn sweep_events(&self, cutoff_ms: i64) -> Result<usize, StoreError> {
        self.write(move |conn| {
            conn.execute_batch("CREATE TEMP TABLE IF NOT EXISTS sweep (seq INTEGER PRIMARY KEY); DELETE FROM temp.sweep;")?;
            conn.execute(
                "INSERT INTO temp.sweep (seq)
                 SELECT e.seq FROM events e WHERE e.received_at < ?1
                   AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status = 'pending')
                 ORDER BY e.received_at LIMIT ?2",
                params![cutoff_ms, BATCH],
            )?;
            conn.execute(
                "DELETE FROM attempts WHERE delivery_id IN
                   (SELECT d.id FROM deliveries d JOIN temp.sweep s ON s.seq = d.event_seq)",
                [],
            )?;
            conn.execute("DELETE FROM deliveries WHERE event_seq IN (SELECT seq FROM temp.sweep)", [])?;
            conn.execute("DELETE FROM events WHERE seq IN (SELECT seq FROM temp.sweep)", [])
        })
        .await
    }

    /// Forgets provider event ids older than the de-duplication window (one batch).
    pub(super) async fn sweep_dedup(&self, now_ms: i64) -> Result<usize, StoreError> {
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM dedup WHERE (listener_id, provider_event_id) IN
                   (SELECT listener_id, provider_event_id FROM dedup WHERE seen_at < ?1 LIMIT ?2)",
                params![now_ms - DEDUP_WINDOW_MS, BATCH * 4],
            )
        })
        .await
    }

    /// Returns up to `pages` free pages to the file system, so the file shrinks after deletes.
    pub(super) async fn reclaim(&self, pages: u32) -> Result<(), StoreError> {
        self.write(move |conn| {
            let mut stmt = conn.prepare(&format!("PRAGMA incremental_vacuum({pages})"))?;
            let mut rows = stmt.query([])?;
            while rows.next()?.is_some() {}
            Ok(())
        })
        .await
    }

    /// Pages in the file and pages free in it.
    pub(super) async fn page_counts(&self) -> Result<(i64, i64), StoreError> {
        self.read(|conn| {
            let total: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
            Ok((total, free))
        })
        .await
    }
}
