//! Deleting what is older than `[store].retention`, in small batches. Space is reclaimed by
//! the server's own vacuum, so `reclaim` and `page_counts` have nothing to do.

use super::error::pg_error;
use super::PgStore;
use crate::store::{StoreError, DEDUP_WINDOW_MS};

/// Events per transaction: small enough that no ingest waits long on the rows it touches.
const BATCH: i64 = 500;

impl PgStore {
    /// Deletes one batch of events received before `cutoff_ms` (with their deliveries and
    /// attempts), except events that still have pending deliveries.
    pub(super) async fn sweep_events(&self, cutoff_ms: i64) -> Result<usize, StoreError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        let seqs: Vec<i64> = tx
            .query(
                "SELECT e.seq FROM events e WHERE e.received_at < $1
                   AND NOT EXISTS (SELECT 1 FROM deliveries d
                                   WHERE d.event_seq = e.seq AND d.status = 'pending')
                 ORDER BY e.received_at LIMIT $2 FOR UPDATE SKIP LOCKED",
                &[&cutoff_ms, &BATCH],
            )
            .await
            .map_err(pg_error)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if seqs.is_empty() {
            return Ok(0);
        }
        for sql in [
            "DELETE FROM attempts WHERE delivery_id IN
               (SELECT id FROM deliveries WHERE event_seq = ANY($1))",
            "DELETE FROM deliveries WHERE event_seq = ANY($1)",
        ] {
            tx.execute(sql, &[&seqs]).await.map_err(pg_error)?;
        }
        let n = tx
            .execute("DELETE FROM events WHERE seq = ANY($1)", &[&seqs])
            .await
            .map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
        Ok(n as usize)
    }

    /// Forgets provider event ids older than the de-duplication window (one batch).
    pub(super) async fn sweep_dedup(&self, now_ms: i64) -> Result<usize, StoreError> {
        let client = self.conn().await?;
        let n = client
            .execute(
                "DELETE FROM dedup WHERE (listener_id, provider_event_id) IN
                   (SELECT listener_id, provider_event_id FROM dedup WHERE seen_at < $1
                    LIMIT $2 FOR UPDATE SKIP LOCKED)",
                &[&(now_ms - DEDUP_WINDOW_MS), &(BATCH * 4)],
            )
            .await
            .map_err(pg_error)?;
        Ok(n as usize)
    }
}
