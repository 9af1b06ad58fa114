//! `Backend` for PostgreSQL: ingest and the readiness probe go through the group-committing
//! writer; every other method runs on a pooled connection, its strings made storable first
//! (`text`). `PgStore::x` names the inherent method, which the files beside this one define.

use super::notify::LISTENERS_CHANNEL;
use super::text::storable;
use super::writer::Job;
use super::PgStore;
use crate::store::health::ReceiverHealth;
use crate::store::{
    ApiListenerRow, AttemptRecord, Backend, CloseWait, ClusterNotice, ConfigListenerRow,
    ConfigSync, DueBatch, DuePlan, EventFilter, EventView, IngestOutcome, ListenerTimes,
    ListenerWrite, NewEvent, Requeued, StoreError, StoreFuture,
};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};

impl PgStore {
    /// Queues a job only if there is room now (ingest: answer 503 rather than wait), or waits
    /// for room; resolves once committed.
    async fn queue<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Job,
        wait: bool,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let job = make(tx);
        let stopped = || StoreError::Unavailable("the writer has stopped".into());
        if wait {
            self.inner.writer.send(job).await.map_err(|_| stopped())?;
        } else {
            self.inner.writer.try_send(job).map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => StoreError::Full,
                mpsc::error::TrySendError::Closed(_) => stopped(),
            })?;
        }
        rx.await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the write was dropped".into())))
    }
}

impl PgStore {
    /// Tells the other instances when a listener write took effect.
    async fn announced(
        &self,
        write: Result<ListenerWrite, StoreError>,
    ) -> Result<ListenerWrite, StoreError> {
        if let Ok(ListenerWrite::Done) = write {
            self.notify(LISTENERS_CHANNEL).await;
        }
        write
    }
}

/// An API listener whose strings PostgreSQL can store (see `text`).
fn storable_listener(row: ApiListenerRow) -> ApiListenerRow {
    ApiListenerRow {
        id: storable(&row.id).into_owned(),
        provider: storable(&row.provider).into_owned(),
        account_id: storable(&row.account_id).into_owned(),
        doc: storable(&row.doc).into_owned(),
        ..row
    }
}

impl Backend for PgStore {
    fn ingest(&self, new: NewEvent) -> StoreFuture<'_, IngestOutcome> {
        Box::pin(self.queue(|reply| Job::Ingest { new, reply }, false))
    }

    fn ingest_internal(&self, new: NewEvent) -> StoreFuture<'_, IngestOutcome> {
        Box::pin(self.queue(|reply| Job::Ingest { new, reply }, true))
    }

    fn probe(&self) -> StoreFuture<'_, ()> {
        // Through the same queue as ingest, without waiting for room: a full queue is not ready.
        Box::pin(self.queue(|reply| Job::Probe { reply }, false))
    }

    fn due_deliveries(&self, plan: DuePlan) -> StoreFuture<'_, DueBatch> {
        Box::pin(PgStore::due_deliveries(self, plan))
    }

    fn next_due_after(&self, after_ms: i64) -> StoreFuture<'_, Option<i64>> {
        Box::pin(PgStore::next_due_after(self, after_ms))
    }

    fn record_attempt(&self, rec: AttemptRecord) -> StoreFuture<'_, bool> {
        Box::pin(PgStore::record_attempt(self, rec))
    }

    fn pending_count(&self) -> StoreFuture<'_, i64> {
        Box::pin(PgStore::pending_count(self))
    }

    fn delivery_statuses<'a>(
        &'a self,
        event_id: &'a str,
    ) -> StoreFuture<'a, Vec<(String, String, u32)>> {
        Box::pin(async move { PgStore::delivery_statuses(self, &storable(event_id)).await })
    }

    fn receiver_health_all(&self) -> StoreFuture<'_, Vec<(String, ReceiverHealth)>> {
        Box::pin(PgStore::receiver_health_all(self))
    }

    fn set_receiver_health<'a>(
        &'a self,
        key: &'a str,
        health: ReceiverHealth,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move { PgStore::set_receiver_health(self, &storable(key), health).await })
    }

    fn hold_receiver<'a>(&'a self, listener_id: &'a str, url: &'a str) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            PgStore::hold_receiver(self, &storable(listener_id), &storable(url)).await
        })
    }

    fn release_receiver<'a>(
        &'a self,
        listener_id: &'a str,
        url: &'a str,
        now_ms: i64,
    ) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            let (listener_id, url) = (storable(listener_id), storable(url));
            PgStore::release_receiver(self, &listener_id, &url, now_ms).await
        })
    }

    fn list_events<'a>(
        &'a self,
        listener_id: &'a str,
        filter: EventFilter,
    ) -> StoreFuture<'a, (Vec<EventView>, u64)> {
        Box::pin(async move {
            let filter = EventFilter {
                status: filter.status.map(|s| storable(&s).into_owned()),
                event_type: filter.event_type.map(|t| storable(&t).into_owned()),
                ..filter
            };
            PgStore::list_events(self, &storable(listener_id), filter).await
        })
    }

    fn event_detail<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, Option<EventView>> {
        Box::pin(async move { PgStore::event_detail(self, &storable(event_id)).await })
    }

    fn retry_event<'a>(
        &'a self,
        event_id: &'a str,
        all: bool,
        now: i64,
    ) -> StoreFuture<'a, Option<Requeued>> {
        Box::pin(async move { PgStore::retry_event(self, &storable(event_id), all, now).await })
    }

    fn delete_event<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, Option<usize>> {
        Box::pin(async move { PgStore::delete_event(self, &storable(event_id)).await })
    }

    fn api_listeners(&self) -> StoreFuture<'_, Vec<ApiListenerRow>> {
        Box::pin(PgStore::api_listeners(self))
    }

    fn api_listener<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<ApiListenerRow>> {
        Box::pin(async move { PgStore::api_listener(self, &storable(id)).await })
    }

    fn insert_api_listener(&self, new: ApiListenerRow) -> StoreFuture<'_, ListenerWrite> {
        Box::pin(async move {
            let write = PgStore::insert_api_listener(self, storable_listener(new)).await;
            self.announced(write).await
        })
    }

    fn update_api_listener(&self, changed: ApiListenerRow) -> StoreFuture<'_, ListenerWrite> {
        Box::pin(async move {
            let write = PgStore::update_api_listener(self, storable_listener(changed)).await;
            self.announced(write).await
        })
    }

    fn delete_api_listener<'a>(&'a self, id: &'a str, at: i64) -> StoreFuture<'a, ListenerWrite> {
        Box::pin(async move {
            let write = PgStore::delete_api_listener(self, &storable(id), at).await;
            self.announced(write).await
        })
    }

    fn sync_config_listeners(
        &self,
        listeners: Vec<ConfigListenerRow>,
        now: i64,
    ) -> StoreFuture<'_, ConfigSync> {
        Box::pin(PgStore::sync_config_listeners(self, listeners, now))
    }

    fn config_listener_times(&self) -> StoreFuture<'_, HashMap<String, ListenerTimes>> {
        Box::pin(PgStore::config_listener_times(self))
    }

    fn sweep_events(&self, cutoff_ms: i64) -> StoreFuture<'_, usize> {
        Box::pin(PgStore::sweep_events(self, cutoff_ms))
    }

    fn sweep_dedup(&self, now_ms: i64) -> StoreFuture<'_, usize> {
        Box::pin(PgStore::sweep_dedup(self, now_ms))
    }

    fn reclaim(&self, _pages: u32) -> StoreFuture<'_, ()> {
        // The server's autovacuum hands space back.
        Box::pin(async { Ok(()) })
    }

    fn page_counts(&self) -> StoreFuture<'_, (i64, i64)> {
        Box::pin(async { Ok((0, 0)) })
    }

    fn lease_renewal(&self) -> Option<Duration> {
        Some(PgStore::lease_renewal(self))
    }

    fn renew_leases(&self, ids: Vec<i64>) -> StoreFuture<'_, usize> {
        Box::pin(PgStore::renew_leases(self, ids))
    }

    fn hand_over(&self, ids: Vec<i64>) -> StoreFuture<'_, ()> {
        Box::pin(PgStore::hand_over(self, ids))
    }

    fn live_instances(&self) -> usize {
        self.inner.live.load(Ordering::Relaxed)
    }

    fn leases_taken_over(&self) -> u64 {
        self.inner.taken_over.load(Ordering::Relaxed)
    }

    fn notices(&self) -> Option<broadcast::Receiver<ClusterNotice>> {
        Some(self.inner.notices.subscribe())
    }

    fn begin_close(&self) -> CloseWait {
        self.close_wait()
    }
}
