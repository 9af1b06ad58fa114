//! The SQLite backend: WAL mode, one group-committing writer thread, a pool of readers.
//!
//! Work is handed in as closures over a `Connection` (`write`, `try_write`, `read`); those
//! stay inside this module, so no SQLite type reaches the `Backend` interface.

mod attempt_batch;
mod backend;
mod events_api;
mod health;
mod ingest;
mod ingest_batch;
mod listeners;
mod queries;
mod retention;
mod schema;
#[cfg(test)]
mod tests;
mod writer;

use super::{CloseWait, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use writer::{Completion, Job, Run, WriterStats};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match e.sqlite_error_code() {
            Some(
                DiskFull | ReadOnly | CannotOpen | SystemIoFailure | DatabaseBusy | DatabaseLocked,
            ) => StoreError::Unavailable(e.to_string()),
            _ if matches!(e, rusqlite::Error::QueryReturnedNoRows) => StoreError::NotFound,
            _ => StoreError::Sql(e.to_string()),
        }
    }
}

/// The SQLite store; cloned into the blocking tasks that run reads.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

/// WAL frames (4 KiB pages) after which the writer makes the WAL start over: about 32 MiB.
const WAL_RESTART_FRAMES: i64 = 8192;
/// The WAL file is cut back to this size when it starts over.
const WAL_KEEP_BYTES: i64 = 64 * 1024 * 1024;
/// Read connections kept open for reuse.
const POOLED_READERS: usize = 8;

struct Inner {
    path: PathBuf,
    /// Attempt records waiting to be written together.
    attempts: Arc<attempt_batch::AttemptBatch>,
    /// Accepted events waiting to be written together.
    ingests: Arc<ingest_batch::IngestBatch>,
    writer: mpsc::Sender<Job>,
    readers: Mutex<Vec<Connection>>,
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Dropped with the store: tells the checkpoint thread to end.
    _checkpoint_stop: std::sync::mpsc::Sender<()>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`; `queue_capacity` bounds waiting writes.
    pub fn open(path: &Path, queue_capacity: usize) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let conn = writer_connection(path)?;
        let stats = Arc::new(WriterStats::default());
        let checkpoint_stop = spawn_checkpointer(path, stats.clone())?;
        let (tx, rx) = mpsc::channel(queue_capacity.max(1));
        let handle = std::thread::Builder::new()
            .name("hookgate-store-writer".into())
            .spawn(move || writer::run(conn, rx, stats))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                attempts: Arc::default(),
                ingests: Arc::new(ingest_batch::IngestBatch::new(queue_capacity)),
                writer: tx,
                readers: Mutex::new(Vec::new()),
                writer_thread: Mutex::new(Some(handle)),
                _checkpoint_stop: checkpoint_stop,
            }),
        })
    }

    /// Queues a write, waiting for room in the queue; resolves once committed. It runs in a
    /// savepoint of its own: when it fails it leaves nothing behind and harms no other write.
    pub(super) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.queue(f, Job::Isolated).await
    }

    /// `write` without a savepoint, for the batches written at every event: when it fails, the
    /// writes committed with it are rolled back and fail too (their callers send again).
    pub(super) async fn write_whole<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.queue(f, Job::Whole).await
    }

    async fn queue<T, F>(&self, f: F, kind: fn(Run) -> Job) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (run, rx) = make_job(f);
        self.inner
            .writer
            .send(kind(run))
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        rx.await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the write was dropped".into())))
    }

    /// Queues a write only if there is room now (ingest: answer 503 rather than wait).
    pub(super) async fn try_write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (run, rx) = make_job(f);
        self.inner
            .writer
            .try_send(Job::Isolated(run))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => StoreError::Full,
                mpsc::error::TrySendError::Closed(_) => {
                    StoreError::Unavailable("the writer has stopped".into())
                }
            })?;
        rx.await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the write was dropped".into())))
    }

    /// Runs a read on a pooled connection off the async threads.
    pub(super) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_blocking(f))
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }

    /// Runs a read on the calling thread.
    fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let pooled = self.inner.readers.lock().expect("reader pool").pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open(&self.inner.path)?;
                schema::configure(&c)?;
                c
            }
        };
        let result = f(&conn).map_err(StoreError::from);
        let mut pool = self.inner.readers.lock().expect("reader pool");
        if pool.len() < POOLED_READERS {
            pool.push(conn);
        }
        result
    }

    /// What to run once this handle is dropped: wait (at most 10 s) for the writer to commit
    /// what is queued and end, which it does when the last handle is gone.
    fn close_wait(&self) -> CloseWait {
        let handle = self
            .inner
            .writer_thread
            .lock()
            .expect("writer handle")
            .take();
        Box::new(move || {
            let Some(h) = handle else { return };
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while !h.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if h.is_finished() {
                let _ = h.join();
            }
        })
    }
}

/// The writer's connection: schema up to date, statements kept prepared, checkpoints left to
/// the checkpoint thread.
fn writer_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    schema::configure(&conn)?;
    schema::migrate(&conn)?;
    // Every statement the writer runs stays prepared (rusqlite keeps 16 by default; the
    // writer has more, and one parsed again per job is measurable).
    conn.set_prepared_statement_cache_capacity(64);
    // Checkpoints (copying the WAL into the database and fsyncing it: tens of ms) run on
    // their own connection and thread, so a commit, and every 200 waiting on it, never
    // waits for one.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    // When the WAL starts over it is cut back to this size (it is reused, not grown, below).
    conn.pragma_update(None, "journal_size_limit", WAL_KEEP_BYTES)?;
    Ok(conn)
}

/// Starts the thread that checkpoints the WAL in the background; it ends when the returned
/// sender is dropped.
fn spawn_checkpointer(
    path: &Path,
    stats: Arc<WriterStats>,
) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
    let checkpoint_conn = Connection::open(path)?;
    schema::configure(&checkpoint_conn)?;
    let (checkpoint_stop, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("hookgate-store-checkpoint".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stop_rx.recv_timeout(Duration::from_millis(200))
            {
                // (busy, frames in the WAL, frames copied into the database)
                let frames = checkpoint_conn
                    .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
                    .unwrap_or(0);
                // A background checkpoint never catches up with a busy writer, so the WAL
                // would never start over and would grow without end (gigabytes a minute at
                // a few thousand events/s). Past a size, the writer finishes the job
                // between two batches: little is left to copy by then.
                if frames > WAL_RESTART_FRAMES {
                    stats
                        .wal_restart_wanted
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
        })
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    Ok(checkpoint_stop)
}

fn make_job<T, F>(f: F) -> (Run, oneshot::Receiver<Result<T, StoreError>>)
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let job: Run = Box::new(move |conn: &Connection| match f(conn) {
        Ok(value) => {
            let done: Completion = Box::new(move |committed| {
                let _ = tx.send(committed.map(|()| value));
            });
            Ok(done)
        }
        Err(e) => {
            let _ = tx.send(Err(e.into()));
            Err(())
        }
    });
    (job, rx)
}
