//! The ingest writer: one task takes whatever ingests are queued and commits them in one
//! transaction (multi-row inserts), then answers every waiter. A 200 is only ever sent after
//! that `COMMIT` returned.

use super::error::{is_retryable, pg_error, pool_error};
use super::ingest;
use super::liveness::Lease;
use crate::store::{now_ms, IngestOutcome, NewEvent, StoreError};
use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};

/// A write queued for the writer.
// Nearly every job is an ingest: boxing it to shrink the rare probe would cost every event
// one more allocation.
#[allow(clippy::large_enum_variant)]
pub enum Job {
    Ingest {
        new: NewEvent,
        reply: oneshot::Sender<Result<IngestOutcome, StoreError>>,
    },
    /// The readiness check: a small write through the same queue and transaction.
    Probe {
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// Most jobs in one transaction.
const MAX_BATCH: usize = 1024;
/// Times a batch is run again after losing a deadlock to another instance's batch.
const RETRIES: usize = 3;

/// Runs until every sender is gone, then hands back this instance's leases.
/// Fresh deliveries are leased to this instance (`lease`), whose dispatcher is handed them.
pub async fn run(pool: Pool, mut rx: mpsc::Receiver<Job>, lease: Lease) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit(&pool, &mut batch, lease).await;
    }
    release_leases(&pool, lease.by).await;
}

/// Commits one batch and answers each of its jobs.
async fn commit(pool: &Pool, batch: &mut Vec<Job>, lease: Lease) {
    let mut news = Vec::new();
    let mut ingest_replies = Vec::new();
    let mut probe_replies = Vec::new();
    for job in batch.drain(..) {
        match job {
            Job::Ingest { mut new, reply } => {
                super::text::fix_event(&mut new);
                news.push(new);
                ingest_replies.push(reply);
            }
            Job::Probe { reply } => probe_replies.push(reply),
        }
    }
    let mut tries = 0;
    let result = loop {
        match try_commit(pool, &news, !probe_replies.is_empty(), lease).await {
            Err(Failure::Retry(_)) if tries < RETRIES => tries += 1,
            Err(Failure::Retry(e)) => break Err(pg_error(e)),
            Err(Failure::Store(e)) => break Err(e),
            Ok(outcomes) => break Ok(outcomes),
        }
    };
    match result {
        Ok(outcomes) => {
            for (reply, outcome) in ingest_replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
            for reply in probe_replies {
                let _ = reply.send(Ok(()));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "store: commit failed; nothing in this batch was acknowledged");
            for reply in ingest_replies {
                let _ = reply.send(Err(e.clone()));
            }
            for reply in probe_replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}

enum Failure {
    /// Worth running again at once (a deadlock with another instance's batch).
    Retry(tokio_postgres::Error),
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        if is_retryable(&e) {
            Failure::Retry(e)
        } else {
            Failure::Store(pg_error(e))
        }
    }
}

async fn try_commit(
    pool: &Pool,
    news: &[NewEvent],
    probe: bool,
    lease: Lease,
) -> Result<Vec<IngestOutcome>, Failure> {
    let mut client = pool
        .get()
        .await
        .map_err(|e| Failure::Store(pool_error(e)))?;
    let tx = client.transaction().await?;
    let outcomes = ingest::insert_batch(&tx, news, lease).await?;
    if probe {
        let stmt = tx
            .prepare_cached(
                "INSERT INTO meta (key, value) VALUES ('ready_probe', $1)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            )
            .await?;
        tx.execute(&stmt, &[&now_ms().to_string()]).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// Makes the deliveries this instance claimed but did not attempt free for others at once.
async fn release_leases(pool: &Pool, instance: i64) {
    let released = match pool.get().await {
        Ok(client) => client
            .execute(
                "UPDATE deliveries SET leased_by = NULL, leased_until = NULL WHERE leased_by = $1",
                &[&instance],
            )
            .await
            .map_err(pg_error),
        Err(e) => Err(pool_error(e)),
    };
    if let Err(e) = released {
        tracing::warn!(error = %e, "store: cannot hand back leases; they run out by themselves");
    }
}
