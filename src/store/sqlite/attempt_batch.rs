//! Attempt records written in batches: the attempts that end while the writer is busy are
//! recorded together by one whole job (no savepoint: see `writer.rs`) of the next group commit,
//! instead of one job (closure, reply channel) each. Every caller still hears only once its record is committed.

use super::queries::record;
use super::SqliteStore;
use crate::store::{AttemptRecord, StoreError};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Records waiting for the writer, and whether a job to write them is queued.
#[derive(Default)]
pub(super) struct AttemptBatch {
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    records: Vec<(AttemptRecord, Reply)>,
    /// A writer job is queued that will take `records` when it runs.
    queued: bool,
}

type Reply = oneshot::Sender<Result<bool, StoreError>>;

impl SqliteStore {
    /// Records an attempt and moves the delivery on, committed with the others of its batch.
    /// True when the delivery was still there to move on (its event may have been deleted).
    pub(super) async fn record_attempt(&self, rec: AttemptRecord) -> Result<bool, StoreError> {
        let (tx, rx) = oneshot::channel();
        let first = {
            let mut pending = self.inner.attempts.pending.lock().expect("attempt batch");
            pending.records.push((rec, tx));
            !std::mem::replace(&mut pending.queued, true)
        };
        if first {
            // In a task of its own: a caller that goes away must not take the batch with it.
            let store = self.clone();
            tokio::spawn(async move {
                let batch = store.inner.attempts.clone();
                if let Ok(replies) = store
                    .write_whole(move |conn| write_batch(conn, &batch))
                    .await
                {
                    for (reply, moved) in replies {
                        let _ = reply.send(Ok(moved));
                    }
                }
                // On failure the replies are dropped: each caller sees the store as unavailable
                // and sends its delivery again later.
            });
        }
        rx.await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the attempt was not recorded".into(),
            ))
        })
    }
}

/// Takes every waiting record (the next one queues a new job) and writes them in this job.
fn write_batch(
    conn: &rusqlite::Connection,
    batch: &AttemptBatch,
) -> rusqlite::Result<Vec<(Reply, bool)>> {
    let records = {
        let mut pending = batch.pending.lock().expect("attempt batch");
        pending.queued = false;
        std::mem::take(&mut pending.records)
    };
    let mut replies = Vec::with_capacity(records.len());
    for (rec, reply) in records {
        replies.push((reply, record(conn, &rec)?));
    }
    Ok(replies)
}
