//! Attempt records written in batches: one task takes every record queued while it was
//! committing the previous batch and writes them with one statement, so a busy dispatcher
//! costs one round trip and one commit (one WAL flush) per batch, not one per attempt.
//! Every caller still hears only once its record is committed.

use super::error::{pg_error, pool_error};
use super::text::storable;
use super::PgStore;
use crate::store::{AttemptRecord, NextStep, StoreError};
use deadpool_postgres::Pool;
use std::collections::HashSet;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::ToSql;

/// An attempt record and who waits for it to be committed.
pub type Job = (AttemptRecord, oneshot::Sender<Result<bool, StoreError>>);

/// Most records in one batch.
const MAX_BATCH: usize = 512;

/// The attempts are logged and their deliveries moved on, leases ended, from arrays of one
/// element per record. An attempt whose event was deleted meanwhile has nothing to log to.
const RECORD_MANY: &str = "WITH r AS (
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[],
             $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $9::text[])
           AS r(id, status, attempt, next_at, code, error, started_at, duration_ms, response)),
     logged AS (
         INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response)
         SELECT r.id, r.attempt, r.started_at, r.duration_ms, r.code, r.error, r.response FROM r
         WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = r.id)
         ON CONFLICT (delivery_id, attempt) DO UPDATE SET started_at = EXCLUDED.started_at,
             duration_ms = EXCLUDED.duration_ms, status_code = EXCLUDED.status_code,
             error = EXCLUDED.error, response = EXCLUDED.response)
     UPDATE deliveries d SET status = r.status, attempt_count = r.attempt,
         next_attempt_at = r.next_at, last_status_code = r.code, last_error = r.error,
         leased_by = NULL, leased_until = NULL
     FROM r WHERE d.id = r.id
     RETURNING d.id";

impl PgStore {
    /// Records an attempt and moves the delivery on (its lease ends), committed with the
    /// others of its batch. True when the delivery was still there to move on (its event
    /// may have been deleted meanwhile).
    pub(super) async fn record_attempt(&self, rec: AttemptRecord) -> Result<bool, StoreError> {
        let (tx, rx) = oneshot::channel();
        if self.inner.attempts.send((rec, tx)).is_err() {
            return Err(StoreError::Unavailable("the store is closing".into()));
        }
        rx.await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the attempt was not recorded".into(),
            ))
        })
    }
}

/// Runs until every sender is gone.
pub async fn run(pool: Pool, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        write(&pool, std::mem::take(&mut batch)).await;
    }
}

/// Writes one batch and answers each of its callers.
async fn write(pool: &Pool, batch: Vec<Job>) {
    let (records, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    match commit(pool, &records).await {
        Ok(moved) => {
            for (reply, rec) in replies.into_iter().zip(&records) {
                let _ = reply.send(Ok(moved.contains(&rec.delivery_id)));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, records = records.len(), "store: cannot record attempts");
            // Each delivery stays pending and is sent again later.
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}

/// Writes the batch; the ids of the deliveries moved on. One statement may name a delivery
/// once only, so a batch holding a delivery twice is written in rounds, in order, in one
/// transaction.
async fn commit(pool: &Pool, records: &[AttemptRecord]) -> Result<HashSet<i64>, StoreError> {
    let mut client = pool.get().await.map_err(pool_error)?;
    let rounds = rounds(records);
    if let [only] = rounds.as_slice() {
        // One statement is atomic by itself: no BEGIN and COMMIT round trips.
        let stmt = client.prepare_cached(RECORD_MANY).await.map_err(pg_error)?;
        let columns = Columns::of(only);
        let rows = client
            .query(&stmt, &columns.params())
            .await
            .map_err(pg_error)?;
        return Ok(rows.iter().map(|r| r.get(0)).collect());
    }
    let tx = client.transaction().await.map_err(pg_error)?;
    let stmt = tx.prepare_cached(RECORD_MANY).await.map_err(pg_error)?;
    let mut moved = HashSet::new();
    for round in &rounds {
        let columns = Columns::of(round);
        let rows = tx.query(&stmt, &columns.params()).await.map_err(pg_error)?;
        moved.extend(rows.iter().map(|r| r.get::<_, i64>(0)));
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(moved)
}

/// The records split, in order, into runs in which no delivery comes twice.
fn rounds(records: &[AttemptRecord]) -> Vec<Vec<&AttemptRecord>> {
    let mut rounds: Vec<Vec<&AttemptRecord>> = vec![Vec::new()];
    let mut seen = HashSet::new();
    for rec in records {
        if !seen.insert(rec.delivery_id) {
            rounds.push(Vec::new());
            seen.clear();
            seen.insert(rec.delivery_id);
        }
        rounds.last_mut().expect("one round at least").push(rec);
    }
    rounds
}

/// The records as one array per column, the parameters of `RECORD_MANY`.
struct Columns {
    ids: Vec<i64>,
    statuses: Vec<&'static str>,
    attempts: Vec<i64>,
    next_at: Vec<Option<i64>>,
    codes: Vec<Option<i64>>,
    errors: Vec<Option<String>>,
    started: Vec<i64>,
    durations: Vec<i64>,
    responses: Vec<Option<String>>,
}

impl Columns {
    fn of(records: &[&AttemptRecord]) -> Columns {
        let text = |t: &Option<String>| t.as_deref().map(|t| storable(t).into_owned());
        Columns {
            ids: records.iter().map(|r| r.delivery_id).collect(),
            statuses: records.iter().map(|r| r.next.status()).collect(),
            attempts: records.iter().map(|r| i64::from(r.attempt)).collect(),
            next_at: records
                .iter()
                .map(|r| match r.next {
                    NextStep::RetryAt(at) => Some(at),
                    _ => None,
                })
                .collect(),
            codes: records
                .iter()
                .map(|r| r.status_code.map(i64::from))
                .collect(),
            errors: records.iter().map(|r| text(&r.error)).collect(),
            started: records.iter().map(|r| r.started_at).collect(),
            durations: records.iter().map(|r| r.duration_ms).collect(),
            responses: records.iter().map(|r| text(&r.response)).collect(),
        }
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 9] {
        [
            &self.ids,
            &self.statuses,
            &self.attempts,
            &self.next_at,
            &self.codes,
            &self.errors,
            &self.started,
            &self.durations,
            &self.responses,
        ]
    }
}
