//! The single writer: group commit of everything queued into one transaction.
//!
//! Handlers hand in jobs; the writer thread takes whatever is queued, runs them in
//! one transaction, commits once (one fsync), and only then tells every job's caller.
//! An isolated job runs inside its own savepoint and, when it fails, rolls back alone.
//! A whole job (the hot batches of events and attempt records) runs without one: a
//! savepoint copies every page it first touches to the statement journal. When a whole
//! job fails, the transaction so far is rolled back and its other jobs are answered as
//! failed (their callers send again); the jobs after it run in a new transaction.

use crate::store::StoreError;
use rusqlite::Connection;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Called once the batch holding the job has committed (Ok) or failed (Err).
pub type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A unit of writing; returns its completion, or Err when it failed.
pub type Run = Box<dyn FnOnce(&Connection) -> Result<Completion, ()> + Send>;

/// A unit of writing and how a failure of it is contained.
pub enum Job {
    /// In a savepoint of its own: a failure rolls back this job alone.
    Isolated(Run),
    /// Without a savepoint: a failure rolls back the transaction it ran in.
    Whole(Run),
}

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
    let mut jobs = batch.drain(..).peekable();
    while jobs.peek().is_some() {
        let tx = match conn.transaction() {
            Ok(tx) => tx,
            Err(e) => {
                // Dropping the jobs drops their reply channels: callers see the store as unavailable.
                tracing::error!(error = %e, "store: cannot begin a transaction");
                stats.healthy.store(false, Ordering::Relaxed);
                return;
            }
        };
        let mut completions: Vec<Completion> = Vec::with_capacity(jobs.len());
        let mut broken = false;
        for job in jobs.by_ref() {
            match run_job(&tx, job) {
                Ran::Done(done) => completions.push(done),
                Ran::RolledBack => {}
                Ran::Broke => {
                    broken = true;
                    break;
                }
            }
        }
        if broken {
            // Nothing of this transaction is kept: dropping it rolls it back.
            drop(tx);
            let err = StoreError::Unavailable("written with a write that failed".into());
            for done in completions {
                done(Err(err.clone()));
            }
            continue;
        }
        finish(tx, completions, stats);
    }
}

/// Commits and tells every job's caller how it went.
fn finish(tx: rusqlite::Transaction<'_>, completions: Vec<Completion>, stats: &WriterStats) {
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

/// What running one job left behind.
enum Ran {
    /// It succeeded; its completion waits for the commit.
    Done(Completion),
    /// It failed and left nothing behind.
    RolledBack,
    /// It failed and may have left part of itself: the transaction must go.
    Broke,
}

/// Runs one job: an isolated one inside its own savepoint, so that when it fails it leaves
/// nothing behind.
fn run_job(conn: &Connection, job: Job) -> Ran {
    let run = match job {
        Job::Whole(run) => {
            return match run(conn) {
                Ok(done) => Ran::Done(done),
                Err(()) => Ran::Broke,
            }
        }
        Job::Isolated(run) => run,
    };
    // Dropping a job unrun drops its reply channel: its caller sees the store as unavailable.
    if step(conn, "SAVEPOINT job").is_err() {
        return Ran::RolledBack;
    }
    match run(conn) {
        Ok(done) => {
            if step(conn, "RELEASE job").is_ok() {
                Ran::Done(done)
            } else {
                done(Err(StoreError::Unavailable(
                    "savepoint release failed".into(),
                )));
                Ran::Broke
            }
        }
        Err(()) => {
            let _ = step(conn, "ROLLBACK TO job");
            let _ = step(conn, "RELEASE job");
            Ran::RolledBack
        }
    }
}

/// Runs a statement without results through the statement cache: savepoints are taken twice per
/// isolated job, and parsing them each time was a measurable share of the writer's time.
fn step(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}
