//! The durable store: SQLite in WAL mode, one group-committing writer, a pool of readers.

mod events_api;
pub mod health;
mod ingest;
mod listeners;
pub mod model;
mod queries;
pub mod retention;
mod schema;
pub mod writer;

pub use events_api::{AttemptView, DeliveryView, EventFilter, EventView, Requeued};
pub use listeners::{ApiListenerRow, ConfigListenerRow, ConfigSync, ListenerTimes, ListenerWrite};
pub use model::*;
pub use queries::DuePlan;

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use writer::{Completion, Job, WriterStats};

/// Why the store could not do what was asked. Cloneable so one failed commit can answer many callers.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Too many writes are waiting; the caller should come back later.
    #[error("the store is busy: its write queue is full")]
    Full,
    /// The disk is full, read-only, or the writer is gone.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("not found")]
    NotFound,
    #[error("store error: {0}")]
    Sql(String),
}

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

/// A cheap, cloneable handle to the store.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

/// WAL frames (4 KiB pages) after which the writer makes the WAL start over: about 32 MiB.
const WAL_RESTART_FRAMES: i64 = 8192;
/// The WAL file is cut back to this size when it starts over.
const WAL_KEEP_BYTES: i64 = 64 * 1024 * 1024;

struct Inner {
    path: PathBuf,
    writer: mpsc::Sender<Job>,
    readers: Mutex<Vec<Connection>>,
    stats: Arc<WriterStats>,
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Dropped with the store: tells the checkpoint thread to end.
    _checkpoint_stop: std::sync::mpsc::Sender<()>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`; `queue_capacity` bounds waiting writes.
    pub fn open(path: &Path, queue_capacity: usize) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
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
        let checkpoint_conn = Connection::open(path)?;
        schema::configure(&checkpoint_conn)?;
        let (checkpoint_stop, stop_rx) = std::sync::mpsc::channel::<()>();
        let stats = Arc::new(WriterStats::default());
        let checkpoint_stats = stats.clone();
        std::thread::Builder::new()
            .name("hookgate-store-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stop_rx.recv_timeout(std::time::Duration::from_millis(200))
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
                        checkpoint_stats
                            .wal_restart_wanted
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            })
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let (tx, rx) = mpsc::channel(queue_capacity.max(1));
        let thread_stats = stats.clone();
        let handle = std::thread::Builder::new()
            .name("hookgate-store-writer".into())
            .spawn(move || writer::run(conn, rx, thread_stats))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: tx,
                readers: Mutex::new(Vec::new()),
                stats,
                writer_thread: Mutex::new(Some(handle)),
                _checkpoint_stop: checkpoint_stop,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn stats(&self) -> &WriterStats {
        &self.inner.stats
    }

    /// Queues a write, waiting for room in the queue; resolves once committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (job, rx) = make_job(f);
        self.inner
            .writer
            .send(job)
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        rx.await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the write was dropped".into())))
    }

    /// Queues a write only if there is room now (ingest: answer 503 rather than wait).
    pub async fn try_write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (job, rx) = make_job(f);
        self.inner.writer.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => StoreError::Full,
            mpsc::error::TrySendError::Closed(_) => {
                StoreError::Unavailable("the writer has stopped".into())
            }
        })?;
        rx.await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the write was dropped".into())))
    }

    /// Runs a read on a pooled connection off the async threads.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
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
    pub fn read_blocking<T>(
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
        if pool.len() < 8 {
            pool.push(conn);
        }
        result
    }

    /// Lets queued writes finish and stops the writer (other handles must be dropped first to close it fully).
    pub fn close(self) {
        let handle = self
            .inner
            .writer_thread
            .lock()
            .expect("writer handle")
            .take();
        drop(self);
        if let Some(h) = handle {
            // The thread ends when the last sender is dropped; don't block forever if a clone lives on.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !h.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            if h.is_finished() {
                let _ = h.join();
            }
        }
    }
}

fn make_job<T, F>(f: F) -> (Job, oneshot::Receiver<Result<T, StoreError>>)
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let job: Job = Box::new(move |conn: &Connection| match f(conn) {
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

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
