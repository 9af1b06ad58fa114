//! The PostgreSQL backend: a pool of connections, one group-committing ingest writer task,
//! deliveries claimed under a lease (renewed while attempted), a session that tells other
//! instances this one lives, a heartbeat that counts the live ones, and a listening
//! connection that hears what the others change.
//!
//! No PostgreSQL type reaches the `Backend` interface: every method takes plain model types and
//! answers `StoreError`s, mapped in `error.rs`.

mod attempt_writer;
mod backend;
mod connect;
mod error;
mod event_page;
mod events_api;
mod health;
mod heartbeat;
mod ingest;
mod leases;
mod listeners;
mod liveness;
mod notify;
mod queries;
mod retention;
mod schema;
mod text;
mod writer;

use super::{CloseWait, ClusterNotice, StoreError};
use deadpool_postgres::{Object, Pool};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

pub use connect::PgSettings;

/// The PostgreSQL store; cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    writer: mpsc::Sender<writer::Job>,
    writer_task: Mutex<Option<JoinHandle<()>>>,
    /// The task that records attempts in batches (`attempt_writer.rs`).
    attempts: mpsc::UnboundedSender<attempt_writer::Job>,
    /// This instance's key (what `leased_by` holds for the deliveries it attempts, and the
    /// advisory lock its liveness session keeps) and how long a claim holds.
    lease: liveness::Lease,
    /// Deliveries this instance took over from another instance's lease.
    taken_over: AtomicU64,
    /// Live instances seen by the last heartbeat, this one included.
    live: Arc<AtomicUsize>,
    /// What other instances announce (listener changes, deliveries for anyone to take).
    notices: broadcast::Sender<ClusterNotice>,
    /// End the liveness session, the heartbeat and the listening connection when the store
    /// is dropped.
    _liveness: liveness::Guard,
    _heartbeat: liveness::Guard,
    _listening: liveness::Guard,
}

impl PgStore {
    /// Connects, brings the schema up to date (under an advisory lock: instances may start
    /// together), and starts the ingest writer and the liveness session.
    pub async fn connect(url: &str, settings: PgSettings) -> Result<PgStore, StoreError> {
        let pool = connect::pool(url, settings.pool_size)?;
        let mut client = pool.get().await.map_err(error::pool_error)?;
        schema::migrate(&mut client).await?;
        drop(client);
        let lease = liveness::Lease {
            by: liveness::instance_key(),
            ms: settings.lease.as_millis().max(1) as i64,
        };
        let liveness = liveness::start(pool.clone(), lease.by).await?;
        let live = Arc::new(AtomicUsize::new(1));
        let heartbeat = heartbeat::start(pool.clone(), lease.by, live.clone());
        let (notices, _) = broadcast::channel(64);
        let (listening, ready) = notify::start(connect::config(url)?, lease.by, notices.clone());
        // Listening before the API listeners are read (after this returns) means no change
        // falls between the two; a server slow to answer is not waited for long.
        let _ = tokio::time::timeout(Duration::from_secs(2), ready).await;
        let (tx, rx) = mpsc::channel(settings.queue_capacity.max(1));
        let task = tokio::spawn(writer::run(pool.clone(), rx, lease));
        let (attempts, attempts_rx) = mpsc::unbounded_channel();
        tokio::spawn(attempt_writer::run(pool.clone(), attempts_rx));
        Ok(PgStore {
            inner: Arc::new(Inner {
                pool,
                writer: tx,
                writer_task: Mutex::new(Some(task)),
                attempts,
                lease,
                taken_over: AtomicU64::new(0),
                live,
                notices,
                _liveness: liveness,
                _heartbeat: heartbeat,
                _listening: listening,
            }),
        })
    }

    /// A pooled connection; `Unavailable` when the server cannot be reached.
    async fn conn(&self) -> Result<Object, StoreError> {
        self.inner.pool.get().await.map_err(error::pool_error)
    }

    /// What to run once this handle is dropped: wait (at most 10 s) for the writer to commit
    /// what is queued, hand back this instance's leases and end, which it does when the last
    /// handle is gone.
    fn close_wait(&self) -> CloseWait {
        let task = self.inner.writer_task.lock().expect("writer task").take();
        Box::new(move || {
            let Some(task) = task else { return };
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while !task.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    }
}
