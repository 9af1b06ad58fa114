//! The interface every store backend implements; `Store` is a handle over one of them.
//!
//! Each method answers with a boxed future so the trait stays object-safe (`Arc<dyn Backend>`):
//! one allocation per call, next to the channel and job a write already costs. Arguments are
//! borrowed for as long as the future lives; a backend that hands work to another thread
//! copies what it needs first.

use super::health::ReceiverHealth;
use super::listeners::{
    ApiListenerRow, ConfigListenerRow, ConfigSync, ListenerTimes, ListenerWrite,
};
use super::views::{EventFilter, EventView, Requeued};
use super::{AttemptRecord, ClusterNotice, DueBatch, DuePlan, IngestOutcome, NewEvent, StoreError};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::broadcast;

/// What a backend method answers with.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Run after the last handle is dropped, to wait until queued writes are done.
pub type CloseWait = Box<dyn FnOnce() + Send>;

/// A durable store: what the ingest path, the dispatcher, the management API and retention
/// need. Every write is committed (on disk, or on the database server) before its future
/// resolves: that is the promise behind a 200.
pub trait Backend: Send + Sync + 'static {
    // ---- accepting events ----

    /// Commits the event and one pending delivery per receiver, or reports a duplicate (same
    /// provider event id within `DEDUP_WINDOW_MS`). Fails fast with `Full` when the backend
    /// cannot take more writes now, so the caller can answer 503.
    fn ingest(&self, new: NewEvent) -> StoreFuture<'_, IngestOutcome>;

    /// Like `ingest`, but waits for room: hookgate's own events have no caller to answer 503 to.
    fn ingest_internal(&self, new: NewEvent) -> StoreFuture<'_, IngestOutcome>;

    /// A write that must commit now: the readiness check (a full or read-only disk, or a lost
    /// database server, shows at once, not at the next ingest).
    fn probe(&self) -> StoreFuture<'_, ()>;

    // ---- deliveries ----

    /// Pending deliveries due now that the dispatcher can start, oldest first (see `DuePlan`),
    /// and the receivers whose due rows were found only by asking them one by one.
    fn due_deliveries(&self, plan: DuePlan) -> StoreFuture<'_, DueBatch>;

    /// The earliest `next_attempt_at` after `after_ms` among pending deliveries.
    fn next_due_after(&self, after_ms: i64) -> StoreFuture<'_, Option<i64>>;

    /// Records an attempt and moves the delivery on, in one committed write; false when the
    /// delivery was gone (its event deleted while the attempt ran).
    fn record_attempt(&self, rec: AttemptRecord) -> StoreFuture<'_, bool>;

    /// How many deliveries are waiting to be sent.
    fn pending_count(&self) -> StoreFuture<'_, i64>;

    /// (receiver URL, status, attempts made) of every delivery of one event, in order.
    fn delivery_statuses<'a>(
        &'a self,
        event_id: &'a str,
    ) -> StoreFuture<'a, Vec<(String, String, u32)>>;

    // ---- receiver health ----

    /// Every receiver with a failure run or a pause on record.
    fn receiver_health_all(&self) -> StoreFuture<'_, Vec<(String, ReceiverHealth)>>;

    /// Records a receiver's health; a healthy receiver's record is removed. On a shared store
    /// a failure run keeps the earliest start any instance recorded, and a pause the first
    /// instance's: false when `health` is a pause and the store already held one (another
    /// instance paused the receiver first and announced it).
    fn set_receiver_health<'a>(
        &'a self,
        key: &'a str,
        health: ReceiverHealth,
    ) -> StoreFuture<'a, bool>;

    /// Takes the pending deliveries of a paused receiver out of the due range; how many.
    fn hold_receiver<'a>(&'a self, listener_id: &'a str, url: &'a str) -> StoreFuture<'a, usize>;

    /// Makes the held deliveries of a resumed receiver due at `now_ms`; how many.
    fn release_receiver<'a>(
        &'a self,
        listener_id: &'a str,
        url: &'a str,
        now_ms: i64,
    ) -> StoreFuture<'a, usize>;

    // ---- the event log (management API) ----

    /// One page of a listener's events, newest first, and how many match the filter in all.
    fn list_events<'a>(
        &'a self,
        listener_id: &'a str,
        filter: EventFilter,
    ) -> StoreFuture<'a, (Vec<EventView>, u64)>;

    /// One event with its body, deliveries and every attempt.
    fn event_detail<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, Option<EventView>>;

    /// Makes the event's failed deliveries (with `all`, every delivery) due at `now`.
    fn retry_event<'a>(
        &'a self,
        event_id: &'a str,
        all: bool,
        now: i64,
    ) -> StoreFuture<'a, Option<Requeued>>;

    /// Deletes an event with its deliveries and attempts; how many deliveries were pending.
    fn delete_event<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, Option<usize>>;

    // ---- listeners ----

    /// Every API listener, deleted ones included, oldest first.
    fn api_listeners(&self) -> StoreFuture<'_, Vec<ApiListenerRow>>;

    /// One API listener, deleted or not.
    fn api_listener<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<ApiListenerRow>>;

    /// Stores a new API listener unless a live one already has its (provider, account).
    fn insert_api_listener(&self, new: ApiListenerRow) -> StoreFuture<'_, ListenerWrite>;

    /// Replaces the document of a live API listener (`created_at` and `deleted_at` are kept).
    fn update_api_listener(&self, changed: ApiListenerRow) -> StoreFuture<'_, ListenerWrite>;

    /// Soft-deletes a live API listener: the record stays, with `deleted_at` set.
    fn delete_api_listener<'a>(&'a self, id: &'a str, at: i64) -> StoreFuture<'a, ListenerWrite>;

    /// Records every listener of the file in one write (see `Store::sync_config_listeners`).
    fn sync_config_listeners(
        &self,
        listeners: Vec<ConfigListenerRow>,
        now: i64,
    ) -> StoreFuture<'_, ConfigSync>;

    /// The load history of every listener the file ever had.
    fn config_listener_times(&self) -> StoreFuture<'_, HashMap<String, ListenerTimes>>;

    // ---- retention ----

    /// Deletes one batch of events received before `cutoff_ms` that have no pending delivery.
    fn sweep_events(&self, cutoff_ms: i64) -> StoreFuture<'_, usize>;

    /// Forgets one batch of provider event ids older than the de-duplication window.
    fn sweep_dedup(&self, now_ms: i64) -> StoreFuture<'_, usize>;

    /// Hands up to `pages` free pages back to the file system. A backend that reclaims space
    /// by itself (a server's vacuum) does nothing.
    fn reclaim(&self, pages: u32) -> StoreFuture<'_, ()>;

    /// Pages in the database and pages free in it; (0, 0) when the backend has no such notion.
    fn page_counts(&self) -> StoreFuture<'_, (i64, i64)>;

    // ---- several instances on one store ----
    // A backend only one instance may use (SQLite) keeps the answers of a lone instance.

    /// How often the leases of running attempts must be renewed; `None` without leases.
    fn lease_renewal(&self) -> Option<Duration> {
        None
    }

    /// Extends this instance's leases on deliveries it is still attempting; how many.
    fn renew_leases(&self, _ids: Vec<i64>) -> StoreFuture<'_, usize> {
        Box::pin(async { Ok(0) })
    }

    /// Leaves just-committed deliveries this instance has no room for to any instance, and
    /// wakes the others.
    fn hand_over(&self, _ids: Vec<i64>) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    /// Live instances on this store, this one included.
    fn live_instances(&self) -> usize {
        1
    }

    /// Deliveries this instance took over after another instance's lease ran out or that
    /// instance died.
    fn leases_taken_over(&self) -> u64 {
        0
    }

    /// What other instances announce; `None` when no other instance can share the store.
    fn notices(&self) -> Option<broadcast::Receiver<ClusterNotice>> {
        None
    }

    // ---- lifecycle ----

    /// Called by `Store::close` before it drops its handle: what to run afterwards to wait
    /// (boundedly) until queued writes are committed.
    fn begin_close(&self) -> CloseWait;
}
