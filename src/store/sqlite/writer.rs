//! The single writer: group commit of everything queued into one transaction.
//!
//! Handlers hand in jobs; the writer thread takes whatever is queued, runs each
//! job inside its own savepoint of one transaction, commits once (one fsync),
//! and only then tells every job's caller. A job that fails rolls back alone.

use crate::store::StoreError;
use rusqlite::Connection;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Called once the batch holding the job has committed (Ok) or failed (Err).
pub type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A unit of writing; returns its completion, or Err when it failed and was rolled back.
pub type Job = Box<dyn FnOnce(&Connection) -> Result<Completion, ()> + Send>;

/// Most jobs in one transaction; bounds the time a batch holds the others.
const MAX_BATCH: usize = 2048;

/// Counters the writer keeps for health and benchmarks.
#[derive(Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub jobs: AtomicU64,
    /// False after a commit failed (disk full, read-only), true again after one succeeds.
    pub healthy: AtomicBool,
    /// Set by the checkpoint thread when the WAL has grown large: the writer then checkpoints
    /// between two batches, when no other write can add to the WAL, so that it starts over.
    pub wal_restart_wanted: AtomicBool,
}

/// Runs the writer loop on the calling (dedicated) thread until every sender is gone.
pub fn run(mut conn: Connection, mut rx: mpsc::Receiver<Job>, stats: Arc<WriterStats>) {
    stats.healthy.store(true, Ordering::Relaxed);
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let count = batch.len() as u64;
        commit_batch(&mut conn, &mut batch, &stats);
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.jobs.fetch_add(count, Ordering::Relaxed);
        if stats.wal_restart_wanted.swap(false, Ordering::Relaxed) {
            // The background checkpoint has copied nearly everything: what is left is the last
            // fraction of a second. Readers holding an older snapshot can keep it from
            // finishing; then the checkpoint thread asks again.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
    }
    // Hand the WAL back to the main file so a stopped gateway leaves one tidy file.
    let _ = conn.pragma_update(None, "wal_checkpoint", "TRUNCATE");
}

fn commit_batch(conn: &mut Connection, batch: &mut Vec<Job>, stats: &WriterStats) {
    let mut completions: Vec<Completion> = Vec::with_capacity(batch.len());
    let tx = match conn.transaction() {
        Ok(tx) => tx,
        Err(e) => {
            // Dropping the jobs drops their reply channels: callers see the store as unavailable.
            tracing::error!(error = %e, "store: cannot begin a transaction");
            stats.healthy.store(false, Ordering::Relaxed);
            batch.clear();
            return;
        }
    };
    for job in batch.drain(..) {
        completions.extend(run_job(&tx, job));
    }
    match tx.commit() {
        Ok(()) => {
            stats.healthy.store(true, Ordering::Relaxed);
            for done in completions {
                done(Ok(()));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "store: commit failed; nothing in this batch was acknowledged");
            stats.healthy.store(false, Ordering::Relaxed);
            let err = StoreError::from(e);
            for done in completions {
                done(Err(err.clone()));
            }
        }
    }
}

/// Runs one job inside its own savepoint, so that a job that fails leaves nothing behind; its
/// completion when it succeeded.
fn run_job(conn: &Connection, job: Job) -> Option<Completion> {
    // Dropping a job unrun drops its reply channel: its caller sees the store as unavailable.
    step(conn, "SAVEPOINT job").ok()?;
    match job(conn) {
        Ok(done) => {
            if step(conn, "RELEASE job").is_ok() {
                Some(done)
            } else {
                done(Err(StoreError::Unavailable(
                    "savepoint release failed".into(),
                )));
                None
            }
        }
        Err(()) => {
            let _ = step(conn, "ROLLBACK TO job");
            let _ = step(conn, "RELEASE job");
            None
        }
    }
}

/// Runs a statement without results through the statement cache: savepoints are taken twice per
/// job, and parsing them each time was a measurable share of the writer's time.
fn step(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}
