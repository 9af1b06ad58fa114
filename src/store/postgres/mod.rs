//! The PostgreSQL backend: a pool of connections, one group-committing ingest writer task,
//! deliveries claimed under a lease, and a session that tells other instances this one lives.
//!
//! No PostgreSQL type reaches the `Backend` interface: every method takes plain model types and
//! answers `StoreError`s, mapped in `error.rs`.

mod backend;
mod connect;
mod error;
mod events_api;
mod health;
mod ingest;
mod listeners;
mod liveness;
mod queries;
mod retention;
mod schema;
mod text;
mod writer;

use super::{CloseWait, StoreError};
use deadpool_postgres::{Object, Pool};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
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
    /// This instance's key: what `leased_by` holds for the deliveries it attempts, and the
    /// advisory lock its liveness session keeps.
    instance: i64,
    /// How long a claimed delivery stays with this instance.
    lease_ms: i64,
    /// Ends the liveness session when the store is dropped.
    _liveness: liveness::Guard,
}

impl PgStore {
    /// Connects, brings the schema up to date (under an advisory lock: instances may start
    /// together), and starts the ingest writer and the liveness session.
    pub async fn connect(url: &str, settings: PgSettings) -> Result<PgStore, StoreError> {
        let pool = connect::pool(url, settings.pool_size)?;
        let mut client = pool.get().await.map_err(error::pool_error)?;
        schema::migrate(&mut client).await?;
        drop(client);
        let instance = liveness::instance_key();
        let liveness = liveness::start(pool.clone(), instance).await?;
        let (tx, rx) = mpsc::channel(settings.queue_capacity.max(1));
        let task = tokio::spawn(writer::run(pool.clone(), rx, instance));
        Ok(PgStore {
            inner: Arc::new(Inner {
                pool,
                writer: tx,
                writer_task: Mutex::new(Some(task)),
                instance,
                lease_ms: settings.lease.as_millis() as i64,
                _liveness: liveness,
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
