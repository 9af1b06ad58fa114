//! The durable store: a `Store` handle over one backend (SQLite or PostgreSQL), and what it
//! keeps.
//!
//! `Store` is a cheap clone of an `Arc<dyn Backend>` rather than an enum of backends: a new
//! backend (PostgreSQL) is new files under `store/` implementing `Backend`, plus one arm in
//! `Store::connect`, with no method of the handle or of another backend touched. A call costs
//! one boxed future and one indirect call, next to a channel send and an fsync on the ingest
//! path. The model types (events, deliveries, listener rows, views) are plain data every
//! backend shares; nothing here names a database type, so callers never see which one runs.

mod backend;
mod cluster;
mod error;
mod handle;
pub mod health;
mod listeners;
pub mod model;
mod postgres;
mod sqlite;
mod url;
mod views;

pub use backend::{Backend, CloseWait, StoreFuture};
pub use cluster::ClusterNotice;
pub use error::StoreError;
pub use handle::{ConnectError, Store};
pub use listeners::{ApiListenerRow, ConfigListenerRow, ConfigSync, ListenerTimes, ListenerWrite};
pub use model::*;
pub use postgres::PgSettings;
pub use url::{StoreUrl, StoreUrlError};
pub use views::{AttemptView, DeliveryView, EventFilter, EventView, Requeued};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
