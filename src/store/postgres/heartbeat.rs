//! The `instances` table: each instance writes its `last_seen` every second; those seen within
//! the last few seconds whose liveness lock is still held are the live instances, among which
//! receiver limits are shared (a killed instance drops out at once, its lock gone with its
//! connection; a hung one when it stops beating).

use super::error::{pg_error, pool_error};
use super::liveness::{Guard, LOCK_CLASS};
use crate::store::{now_ms, StoreError};
use deadpool_postgres::Pool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often an instance says it lives.
const BEAT: Duration = Duration::from_secs(1);
/// An instance not seen for this long counts as gone.
const LIVE_WITHIN_MS: i64 = 3_500;
/// Rows of instances gone this long are deleted.
const FORGET_AFTER_MS: i64 = 3_600_000;

/// Beats until the guard is dropped, keeping `live` at the number of live instances (this one
/// included); a graceful stop deletes this instance's row.
pub fn start(pool: Pool, me: i64, live: Arc<AtomicUsize>) -> Guard {
    let stop = CancellationToken::new();
    let token = stop.clone();
    tokio::spawn(async move {
        let mut beats: u64 = 0;
        loop {
            match beat(&pool, me, beats.is_multiple_of(60)).await {
                Ok(n) => live.store(n, Ordering::Relaxed),
                Err(e) => tracing::debug!(error = %e, "heartbeat not written"),
            }
            beats += 1;
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tokio::time::sleep(BEAT) => {}
            }
        }
        if let Ok(client) = pool.get().await {
            let _ = client
                .execute("DELETE FROM instances WHERE id = $1", &[&me])
                .await;
        }
    });
    Guard(stop)
}

/// Writes this instance's `last_seen` and counts the live instances, in one round trip.
async fn beat(pool: &Pool, me: i64, tidy: bool) -> Result<usize, StoreError> {
    let client = pool.get().await.map_err(pool_error)?;
    let now = now_ms();
    let sql = format!(
        "WITH seen AS (
             INSERT INTO instances (id, started_at, last_seen) VALUES ($1, $2, $2)
             ON CONFLICT (id) DO UPDATE SET last_seen = EXCLUDED.last_seen)
         SELECT count(*) FROM instances WHERE last_seen >= $3 AND id <> $1 AND id IN (
             SELECT objid::bigint FROM pg_locks
             WHERE locktype = 'advisory' AND classid = {LOCK_CLASS} AND objsubid = 2 AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
    );
    let stmt = client.prepare_cached(&sql).await.map_err(pg_error)?;
    let others: i64 = client
        .query_one(&stmt, &[&me, &now, &(now - LIVE_WITHIN_MS)])
        .await
        .map_err(pg_error)?
        .get(0);
    if tidy {
        client
            .execute(
                "DELETE FROM instances WHERE last_seen < $1",
                &[&(now - FORGET_AFTER_MS)],
            )
            .await
            .map_err(pg_error)?;
    }
    Ok(others as usize + 1)
}
