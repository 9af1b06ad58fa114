//! Accepted events written in batches: the events that arrive while the writer is busy are
//! stored by one job of the next group commit, a whole job (no savepoint: see `writer.rs`).
//! Every caller still hears only once its event is committed (fsynced).
//!
//! A batch succeeds or fails whole: an event that cannot be stored (in practice only when the
//! disk is full or read-only, which fails the commit anyway) is answered 503 with the others
//! of its batch, and their senders send again.

use super::ingest::insert;
use super::SqliteStore;
use crate::store::{IngestOutcome, NewEvent, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Events waiting for the writer, and whether a job to write them is queued.
pub(super) struct IngestBatch {
    pending: Mutex<Pending>,
    /// Most events waiting before ingest is refused (`store.queue_capacity`).
    capacity: usize,
}

#[derive(Default)]
struct Pending {
    events: Vec<(NewEvent, Reply)>,
    /// A writer job is queued that will take `events` when it runs.
    queued: bool,
}

type Reply = oneshot::Sender<Result<IngestOutcome, StoreError>>;

impl IngestBatch {
    pub(super) fn new(capacity: usize) -> IngestBatch {
        IngestBatch {
            pending: Mutex::default(),
            capacity: capacity.max(1),
        }
    }
}

impl SqliteStore {
    /// Queues `new` for the next batch; with `refuse_when_full`, fails at once with `Full` when
    /// `capacity` events are already waiting (ingest answers 503 rather than wait).
    pub(super) async fn ingest_batched(
        &self,
        new: NewEvent,
        refuse_when_full: bool,
    ) -> Result<IngestOutcome, StoreError> {
        let (tx, rx) = oneshot::channel();
        let first = {
            let batch = &self.inner.ingests;
            let mut pending = batch.pending.lock().expect("ingest batch");
            if refuse_when_full && pending.events.len() >= batch.capacity {
                return Err(StoreError::Full);
            }
            pending.events.push((new, tx));
            !std::mem::replace(&mut pending.queued, true)
        };
        if first {
            // In a task of its own: a caller that goes away must not take the batch with it.
            let store = self.clone();
            tokio::spawn(async move {
                let batch = store.inner.ingests.clone();
                if let Ok(replies) = store
                    .write_whole(move |conn| write_batch(conn, &batch))
                    .await
                {
                    for (reply, outcome) in replies {
                        let _ = reply.send(Ok(outcome));
                    }
                }
                // On failure the replies are dropped: each caller sees the store as unavailable.
            });
        }
        rx.await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the event was not stored".into())))
    }
}

/// Takes every waiting event (the next one queues a new job) and stores them in this job.
fn write_batch(
    conn: &rusqlite::Connection,
    batch: &IngestBatch,
) -> rusqlite::Result<Vec<(Reply, IngestOutcome)>> {
    let events = {
        let mut pending = batch.pending.lock().expect("ingest batch");
        pending.queued = false;
        std::mem::take(&mut pending.events)
    };
    let mut replies = Vec::with_capacity(events.len());
    for (new, reply) in events {
        replies.push((reply, insert(conn, new)?));
    }
    count(conn, &replies)?;
    Ok(replies)
}

/// Adds the batch's stored events to `event_counts`: one upsert per listener and type.
fn count(conn: &rusqlite::Connection, stored: &[(Reply, IngestOutcome)]) -> rusqlite::Result<()> {
    let mut counts: HashMap<(&str, &str), i64> = HashMap::new();
    for (_, outcome) in stored {
        if let IngestOutcome::Accepted { event, .. } = outcome {
            let kind = event.event_type.as_deref().unwrap_or("");
            *counts.entry((&event.listener_id, kind)).or_default() += 1;
        }
    }
    let mut upsert = conn.prepare_cached(
        "INSERT INTO event_counts (listener_id, event_type, n) VALUES (?1, ?2, ?3)
         ON CONFLICT (listener_id, event_type) DO UPDATE SET n = n + excluded.n",
    )?;
    for ((listener, kind), n) in counts {
        upsert.execute(rusqlite::params![listener, kind, n])?;
    }
    Ok(())
}
