//! The background retention task: old events and expired de-duplication ids go, in small
//! batches that leave the writer to ingest in between, and the freed space is returned.

use crate::listeners::Registry;
use crate::store::{now_ms, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Runs until `stop` fires.
pub(crate) async fn run(store: Store, registry: Arc<Registry>, stop: CancellationToken) {
    loop {
        let retention = registry.load().config.store.retention;
        // Look often enough for short test retentions, at most once a minute in production.
        let every = (retention / 4).clamp(Duration::from_millis(200), Duration::from_secs(60));
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let cutoff = now_ms() - retention.as_millis() as i64;
        match sweep(&store, cutoff, &stop).await {
            Ok((0, 0)) => {}
            Ok((events, dedup)) => tracing::info!(events, dedup, "retention: deleted old rows"),
            Err(e) => tracing::warn!(error = %e, "retention pass failed; trying again later"),
        }
    }
}

/// One full pass: batches until nothing old is left.
async fn sweep(
    store: &Store,
    cutoff: i64,
    stop: &CancellationToken,
) -> Result<(usize, usize), crate::store::StoreError> {
    let (mut events, mut dedup) = (0, 0);
    loop {
        let n = store.sweep_events(cutoff).await?;
        events += n;
        if n == 0 || stop.is_cancelled() {
            break;
        }
        // Give queued ingest a turn at the writer between batches.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    loop {
        let n = store.sweep_dedup(now_ms()).await?;
        dedup += n;
        if n == 0 || stop.is_cancelled() {
            break;
        }
    }
    if events + dedup > 0 {
        let (_, free) = store.page_counts().await?;
        let mut left = free;
        while left > 0 && !stop.is_cancelled() {
            store.reclaim(1024).await?;
            left -= 1024;
        }
    }
    Ok((events, dedup))
}
