//! `Backend` for SQLite: each method boxes the future of the SQLite method of the same name
//! (`SqliteStore::x` names the inherent method, which the files beside this one define).

use super::SqliteStore;
use crate::store::health::ReceiverHealth;
use crate::store::{
    now_ms, ApiListenerRow, AttemptRecord, Backend, CloseWait, ConfigListenerRow, ConfigSync,
    DueBatch, DuePlan, EventFilter, EventView, IngestOutcome, ListenerTimes, ListenerWrite,
    NewEvent, Requeued, StoreFuture,
};
use std::collections::HashMap;

impl Backend for SqliteStore {
    fn ingest(&self, new: NewEvent) -> StoreFuture<'_, IngestOutcome> {
        Box::pin(SqliteStore::ingest(self, new))
    }

    fn ingest_internal(&self, new: NewEvent) -> StoreFuture<'_, IngestOutcome> {
        Box::pin(SqliteStore::ingest_internal(self, new))
    }

    fn probe(&self) -> StoreFuture<'_, ()> {
        // Through the same queue as ingest, without waiting for room: a full queue is not ready.
        Box::pin(self.try_write(|conn| {
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('ready_probe', ?1)",
                [now_ms().to_string()],
            )
            .map(drop)
        }))
    }

    fn due_deliveries(&self, plan: DuePlan) -> StoreFuture<'_, DueBatch> {
        Box::pin(SqliteStore::due_deliveries(self, plan))
    }

    fn next_due_after(&self, after_ms: i64) -> StoreFuture<'_, Option<i64>> {
        Box::pin(SqliteStore::next_due_after(self, after_ms))
    }

    fn record_attempt(&self, rec: AttemptRecord) -> StoreFuture<'_, bool> {
        Box::pin(SqliteStore::record_attempt(self, rec))
    }

    fn pending_count(&self) -> StoreFuture<'_, i64> {
        Box::pin(SqliteStore::pending_count(self))
    }

    fn delivery_statuses<'a>(
        &'a self,
        event_id: &'a str,
    ) -> StoreFuture<'a, Vec<(String, String, u32)>> {
        Box::pin(SqliteStore::delivery_statuses(self, event_id))
    }

    fn receiver_health_all(&self) -> StoreFuture<'_, Vec<(String, ReceiverHealth)>> {
        Box::pin(SqliteStore::receiver_health_all(self))
    }

    fn set_receiver_health<'a>(
        &'a self,
        key: &'a str,
        health: ReceiverHealth,
    ) -> StoreFuture<'a, bool> {
        // One instance per file: the book in memory and the row never disagree.
        Box::pin(async move {
            SqliteStore::set_receiver_health(self, key, health).await?;
            Ok(true)
        })
    }

    fn hold_receiver<'a>(&'a self, listener_id: &'a str, url: &'a str) -> StoreFuture<'a, usize> {
        Box::pin(SqliteStore::hold_receiver(self, listener_id, url))
    }

    fn release_receiver<'a>(
        &'a self,
        listener_id: &'a str,
        url: &'a str,
        now_ms: i64,
    ) -> StoreFuture<'a, usize> {
        Box::pin(SqliteStore::release_receiver(
            self,
            listener_id,
            url,
            now_ms,
        ))
    }

    fn list_events<'a>(
        &'a self,
        listener_id: &'a str,
        filter: EventFilter,
    ) -> StoreFuture<'a, (Vec<EventView>, u64)> {
        Box::pin(SqliteStore::list_events(self, listener_id, filter))
    }

    fn event_detail<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, Option<EventView>> {
        Box::pin(SqliteStore::event_detail(self, event_id))
    }

    fn retry_event<'a>(
        &'a self,
        event_id: &'a str,
        all: bool,
        now: i64,
    ) -> StoreFuture<'a, Option<Requeued>> {
        Box::pin(SqliteStore::retry_event(self, event_id, all, now))
    }

    fn delete_event<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, Option<usize>> {
        Box::pin(SqliteStore::delete_event(self, event_id))
    }

    fn api_listeners(&self) -> StoreFuture<'_, Vec<ApiListenerRow>> {
        Box::pin(SqliteStore::api_listeners(self))
    }

    fn api_listener<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<ApiListenerRow>> {
        Box::pin(SqliteStore::api_listener(self, id))
    }

    fn insert_api_listener(&self, new: ApiListenerRow) -> StoreFuture<'_, ListenerWrite> {
        Box::pin(SqliteStore::insert_api_listener(self, new))
    }

    fn update_api_listener(&self, changed: ApiListenerRow) -> StoreFuture<'_, ListenerWrite> {
        Box::pin(SqliteStore::update_api_listener(self, changed))
    }

    fn delete_api_listener<'a>(&'a self, id: &'a str, at: i64) -> StoreFuture<'a, ListenerWrite> {
        Box::pin(SqliteStore::delete_api_listener(self, id, at))
    }

    fn sync_config_listeners(
        &self,
        listeners: Vec<ConfigListenerRow>,
        now: i64,
    ) -> StoreFuture<'_, ConfigSync> {
        Box::pin(SqliteStore::sync_config_listeners(self, listeners, now))
    }

    fn config_listener_times(&self) -> StoreFuture<'_, HashMap<String, ListenerTimes>> {
        Box::pin(SqliteStore::config_listener_times(self))
    }

    fn sweep_events(&self, cutoff_ms: i64) -> StoreFuture<'_, usize> {
        Box::pin(SqliteStore::sweep_events(self, cutoff_ms))
    }

    fn sweep_dedup(&self, now_ms: i64) -> StoreFuture<'_, usize> {
        Box::pin(SqliteStore::sweep_dedup(self, now_ms))
    }

    fn reclaim(&self, pages: u32) -> StoreFuture<'_, ()> {
        Box::pin(SqliteStore::reclaim(self, pages))
    }

    fn page_counts(&self) -> StoreFuture<'_, (i64, i64)> {
        Box::pin(SqliteStore::page_counts(self))
    }

    fn begin_close(&self) -> CloseWait {
        self.close_wait()
    }
}
