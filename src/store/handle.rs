//! `Store`: the cheap, cloneable handle every part of the gateway holds, over one backend.

use super::backend::Backend;
use super::health::ReceiverHealth;
use super::listeners::{
    ApiListenerRow, ConfigListenerRow, ConfigSync, ListenerTimes, ListenerWrite,
};
use super::postgres::{PgSettings, PgStore};
use super::sqlite::SqliteStore;
use super::url::{StoreUrl, StoreUrlError};
use super::views::{EventFilter, EventView, Requeued};
use super::{AttemptRecord, ClusterNotice, DueBatch, DuePlan, IngestOutcome, NewEvent, StoreError};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// A cheap, cloneable handle to the store.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
}

/// Why `Store::connect` could not open a store.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Url(#[from] StoreUrlError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path`; `queue_capacity` bounds
    /// waiting writes.
    pub fn open(path: &Path, queue_capacity: usize) -> Result<Store, StoreError> {
        Ok(Store::over(SqliteStore::open(path, queue_capacity)?))
    }

    /// Opens the store a URL names (`sqlite://PATH`, `postgres://…`); `queue_capacity` bounds
    /// waiting writes. A PostgreSQL store is connected to and its schema brought up to date.
    pub async fn connect(url: &str, queue_capacity: usize) -> Result<Store, ConnectError> {
        Store::connect_with(url, PgSettings::new(queue_capacity)).await
    }

    /// Like `connect`, with every PostgreSQL setting given.
    pub async fn connect_with(url: &str, settings: PgSettings) -> Result<Store, ConnectError> {
        match StoreUrl::parse(url)? {
            StoreUrl::Sqlite(path) => Ok(Store::open(&path, settings.queue_capacity)?),
            StoreUrl::Postgres(url) => Ok(Store::over(PgStore::connect(&url, settings).await?)),
        }
    }

    /// A handle over any backend.
    pub fn over(backend: impl Backend) -> Store {
        Store {
            backend: Arc::new(backend),
        }
    }

    /// Lets queued writes finish and stops the backend (other handles must be dropped first to
    /// close it fully; it waits a bounded time for them).
    pub fn close(self) {
        let wait = self.backend.begin_close();
        drop(self);
        wait();
    }

    /// Commits a small write now, or says why the store does not take writes.
    pub async fn probe(&self) -> Result<(), StoreError> {
        self.backend.probe().await
    }

    /// Commits the event and one pending delivery per receiver before returning (on disk),
    /// or reports a duplicate. Fails fast with `Full` when the write queue has no room, so the
    /// caller can answer 503.
    pub async fn ingest(&self, new: NewEvent) -> Result<IngestOutcome, StoreError> {
        self.backend.ingest(new).await
    }

    /// Like `ingest`, but waits for room in the write queue: for hookgate's own events, which
    /// have no caller to answer 503 to.
    pub async fn ingest_internal(&self, new: NewEvent) -> Result<IngestOutcome, StoreError> {
        self.backend.ingest_internal(new).await
    }

    /// Pending deliveries due now that the dispatcher can start, oldest first (see `DuePlan`),
    /// and the receivers whose due rows were found only by asking them one by one.
    pub async fn due_deliveries(&self, plan: DuePlan) -> Result<DueBatch, StoreError> {
        self.backend.due_deliveries(plan).await
    }

    /// The earliest `next_attempt_at` after `after_ms` among pending deliveries.
    pub async fn next_due_after(&self, after_ms: i64) -> Result<Option<i64>, StoreError> {
        self.backend.next_due_after(after_ms).await
    }

    /// Records an attempt and moves the delivery on, in one committed write.
    /// False when the delivery is gone (its event was deleted while the attempt ran).
    pub async fn record_attempt(&self, rec: AttemptRecord) -> Result<bool, StoreError> {
        self.backend.record_attempt(rec).await
    }

    /// How many deliveries are waiting to be sent.
    pub async fn pending_count(&self) -> Result<i64, StoreError> {
        self.backend.pending_count().await
    }

    /// Delivery statuses by receiver URL for one event (used by tests and the API).
    pub async fn delivery_statuses(
        &self,
        event_id: &str,
    ) -> Result<Vec<(String, String, u32)>, StoreError> {
        self.backend.delivery_statuses(event_id).await
    }

    /// Every receiver with a failure run or a pause on record.
    pub async fn receiver_health_all(&self) -> Result<Vec<(String, ReceiverHealth)>, StoreError> {
        self.backend.receiver_health_all().await
    }

    /// Records a receiver's health; a healthy receiver's row is removed. False when `health`
    /// is a pause another instance had already recorded.
    pub async fn set_receiver_health(
        &self,
        key: &str,
        health: ReceiverHealth,
    ) -> Result<bool, StoreError> {
        self.backend.set_receiver_health(key, health).await
    }

    /// Takes the pending deliveries of a paused receiver out of the due range, so they are
    /// neither attempted nor in the way of other receivers' deliveries.
    pub async fn hold_receiver(&self, listener_id: &str, url: &str) -> Result<usize, StoreError> {
        self.backend.hold_receiver(listener_id, url).await
    }

    /// Makes the held deliveries of a resumed receiver due now.
    pub async fn release_receiver(
        &self,
        listener_id: &str,
        url: &str,
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        self.backend
            .release_receiver(listener_id, url, now_ms)
            .await
    }

    /// One page of a listener's events, newest first, and how many match the filter in all.
    pub async fn list_events(
        &self,
        listener_id: &str,
        filter: EventFilter,
    ) -> Result<(Vec<EventView>, u64), StoreError> {
        self.backend.list_events(listener_id, filter).await
    }

    /// One event with its body, deliveries and every attempt.
    pub async fn event_detail(&self, event_id: &str) -> Result<Option<EventView>, StoreError> {
        self.backend.event_detail(event_id).await
    }

    /// Makes the event's failed deliveries (with `all`, every delivery) due at `now`.
    /// `None` when there is no such event.
    pub async fn retry_event(
        &self,
        event_id: &str,
        all: bool,
        now: i64,
    ) -> Result<Option<Requeued>, StoreError> {
        self.backend.retry_event(event_id, all, now).await
    }

    /// Deletes an event with its deliveries and attempts. Returns how many of its deliveries
    /// were still pending, or `None` when there is no such event.
    pub async fn delete_event(&self, event_id: &str) -> Result<Option<usize>, StoreError> {
        self.backend.delete_event(event_id).await
    }

    /// Every API listener, deleted ones included, oldest first.
    pub async fn api_listeners(&self) -> Result<Vec<ApiListenerRow>, StoreError> {
        self.backend.api_listeners().await
    }

    /// One API listener, deleted or not.
    pub async fn api_listener(&self, id: &str) -> Result<Option<ApiListenerRow>, StoreError> {
        self.backend.api_listener(id).await
    }

    /// Stores a new API listener unless a live one already has its (provider, account).
    pub async fn insert_api_listener(
        &self,
        new: ApiListenerRow,
    ) -> Result<ListenerWrite, StoreError> {
        self.backend.insert_api_listener(new).await
    }

    /// Replaces the document of a live API listener (`created_at` and `deleted_at` are kept).
    pub async fn update_api_listener(
        &self,
        changed: ApiListenerRow,
    ) -> Result<ListenerWrite, StoreError> {
        self.backend.update_api_listener(changed).await
    }

    /// Soft-deletes a live API listener: the row stays, with `deleted_at` set.
    pub async fn delete_api_listener(
        &self,
        id: &str,
        at: i64,
    ) -> Result<ListenerWrite, StoreError> {
        self.backend.delete_api_listener(id, at).await
    }

    /// Records every listener of the file: its definition hash and its `account.*` data. A new
    /// id is created now, a changed hash is updated now, an unchanged one keeps its times (and
    /// costs no write). Listeners recorded before but no longer in the file (removed by a
    /// reload, or while the gateway was stopped) are forgotten and returned with their last
    /// data, to be announced.
    pub async fn sync_config_listeners(
        &self,
        listeners: Vec<ConfigListenerRow>,
        now: i64,
    ) -> Result<ConfigSync, StoreError> {
        self.backend.sync_config_listeners(listeners, now).await
    }

    /// The load history of every listener the file ever had.
    pub async fn config_listener_times(
        &self,
    ) -> Result<HashMap<String, ListenerTimes>, StoreError> {
        self.backend.config_listener_times().await
    }

    /// Deletes one batch of events received before `cutoff_ms` (with their deliveries and
    /// attempts), except events that still have pending deliveries: what was acknowledged
    /// but not yet delivered is never thrown away.
    pub async fn sweep_events(&self, cutoff_ms: i64) -> Result<usize, StoreError> {
        self.backend.sweep_events(cutoff_ms).await
    }

    /// Forgets provider event ids older than the de-duplication window (one batch).
    pub async fn sweep_dedup(&self, now_ms: i64) -> Result<usize, StoreError> {
        self.backend.sweep_dedup(now_ms).await
    }

    /// Returns up to `pages` free pages to the file system, so the file shrinks after deletes.
    pub async fn reclaim(&self, pages: u32) -> Result<(), StoreError> {
        self.backend.reclaim(pages).await
    }

    /// Pages in the file and pages free in it.
    pub async fn page_counts(&self) -> Result<(i64, i64), StoreError> {
        self.backend.page_counts().await
    }

    /// How often the leases of running attempts must be renewed; `None` when the store has no
    /// leases (SQLite: one instance alone).
    pub fn lease_renewal(&self) -> Option<Duration> {
        self.backend.lease_renewal()
    }

    /// Extends this instance's leases on deliveries it is still attempting; how many.
    pub async fn renew_leases(&self, ids: Vec<i64>) -> Result<usize, StoreError> {
        self.backend.renew_leases(ids).await
    }

    /// Leaves just-committed deliveries this instance has no room for to any instance.
    pub async fn hand_over(&self, ids: Vec<i64>) -> Result<(), StoreError> {
        self.backend.hand_over(ids).await
    }

    /// Live instances on this store, this one included (1 on SQLite).
    pub fn live_instances(&self) -> usize {
        self.backend.live_instances().max(1)
    }

    /// Deliveries this instance took over after another's lease ran out or it died.
    pub fn leases_taken_over(&self) -> u64 {
        self.backend.leases_taken_over()
    }

    /// What other instances announce; `None` when no other instance can share the store.
    pub fn notices(&self) -> Option<broadcast::Receiver<ClusterNotice>> {
        self.backend.notices()
    }
}
