//! The dispatcher: decides which deliveries run now, without polling delays and without
//! holding more than a bounded part of the backlog in memory.
//!
//! Fresh deliveries arrive straight from ingest (no database read); those that find their
//! receiver at its concurrency limit wait in a bounded in-memory queue (`overflow.rs`).
//! Everything else — retries, recovery after a crash, what the queues had no room for — is
//! read from the store when due. One task owns the in-flight set, so a delivery never runs
//! twice at once. A receiver's slot is held for the request only: the attempt is recorded
//! (one group commit with many others) after the slot has gone to the next delivery.

use super::attempt::{self, RetryPolicy};
use super::client::HttpClient;
use super::contained::contained;
use super::health::{HealthBook, Transition};
use super::lease::{self, LeaseKeeper};
use super::oauth::TokenCache;
use super::overflow::Overflow;
use super::report::{DeliveryObserver, DeliveryReport, ReceiverRef};
use crate::http_util::loggable_url;
use crate::listeners::{receiver_key, Registry, Snapshot};
use crate::metrics::Metrics;
use crate::store::health::ReceiverHealth;
use crate::store::{now_ms, DeliveryJob, DuePlan, NextStep, Store, StoreError, StoredEvent};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How many fresh deliveries may wait for the dispatcher before the rest are left to the store.
const FRESH_QUEUE: usize = 16_384;
/// Finished delivery ids remembered so a late fresh copy is not sent again.
const RECENT_DONE: usize = 65_536;
/// The shortest time between two polls of the store.
const POLL_GAP: Duration = Duration::from_millis(2);
/// The longest wait between two searches past a slow receiver's backlog.
const MAX_DEEP_GAP: Duration = Duration::from_secs(1);
/// The longest the dispatcher sleeps without looking at the store.
const MAX_IDLE: Duration = Duration::from_secs(5);
/// Attempts sent but not yet recorded, in multiples of `concurrency`, past which no new one starts.
const RECORDING_FACTOR: usize = 4;

/// Where ingest and the management API hand deliveries to the dispatcher.
#[derive(Clone)]
pub struct DispatchHandle {
    fresh: mpsc::Sender<DeliveryJob>,
    wake: Arc<Notify>,
    overflow: Arc<AtomicBool>,
    /// Which receivers are failing or paused.
    pub health: Arc<HealthBook>,
    /// Counts what is handed over as pending, whoever hands it over (ingest, tests, system events).
    metrics: Arc<Metrics>,
    /// Where fresh deliveries without room here are left for other instances.
    store: Store,
}

impl DispatchHandle {
    /// Lifts a receiver's pause and makes its held deliveries due now. False if it was not paused.
    pub async fn resume_receiver(
        &self,
        store: &Store,
        listener_id: &str,
        url: &str,
    ) -> Result<bool, StoreError> {
        let key = receiver_key(listener_id, url);
        if !self.health.resume(&key) {
            return Ok(false);
        }
        store
            .set_receiver_health(&key, ReceiverHealth::default())
            .await?;
        let released = store.release_receiver(listener_id, url, now_ms()).await?;
        tracing::info!(receiver = %loggable_url(url), listener = %listener_id, released, "receiver resumed");
        self.wake();
        Ok(true)
    }

    /// Hands over just-committed deliveries; if the queue is full they stay in the store for later.
    pub fn submit_fresh(&self, event: &Arc<StoredEvent>, deliveries: Vec<(i64, String)>) {
        self.metrics.pending_add(deliveries.len() as i64);
        let mut left = Vec::new();
        for (delivery_id, receiver_url) in deliveries {
            let job = DeliveryJob {
                delivery_id,
                listener_id: event.listener_id.clone(),
                receiver_url,
                attempt_count: 0,
                event: event.clone(),
            };
            if let Err(e) = self.fresh.try_send(job) {
                left.push(e.into_inner().delivery_id);
                self.overflow.store(true, Ordering::Release);
                self.wake.notify_one();
            }
        }
        if !left.is_empty() && self.store.lease_renewal().is_some() {
            lease::hand_over(&self.store, left);
        }
    }

    /// Counts just-committed deliveries of ordered receivers, which wait in the store for
    /// their turn (the due query decides it), and has the store looked at.
    pub fn submit_ordered(&self, count: usize) {
        if count == 0 {
            return;
        }
        self.metrics.pending_add(count as i64);
        self.wake();
    }

    /// Something changed in the store (a retry was queued): look again.
    pub fn wake(&self) {
        self.overflow.store(true, Ordering::Release);
        self.wake.notify_one();
    }
}

/// What an attempt task reports back.
enum Report {
    /// The request is over: the receiver's slot is free while the attempt is recorded.
    Sent { key: String },
    /// The attempt is recorded (or given up on): the delivery may be picked up again.
    Done(Done),
}

/// The end of an attempt.
struct Done {
    delivery_id: i64,
    key: String,
    retry_at: Option<i64>,
    /// True once `Report::Sent` has freed the receiver's slot.
    sent: bool,
}

/// Sends its `Done` when dropped, however the attempt task ends, so a slot is never lost.
struct DoneReport {
    tx: mpsc::UnboundedSender<Report>,
    done: Option<Done>,
}

impl DoneReport {
    /// Frees the receiver's slot now that the request is over.
    fn sent(&mut self) {
        if let Some(done) = self.done.as_mut().filter(|d| !d.sent) {
            done.sent = true;
            let _ = self.tx.send(Report::Sent {
                key: done.key.clone(),
            });
        }
    }
}

impl Drop for DoneReport {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = self.tx.send(Report::Done(done));
        }
    }
}

/// The dispatcher's running parts, for shutdown.
pub struct Dispatcher {
    tracker: TaskTracker,
    main: tokio::task::JoinHandle<()>,
}

impl Dispatcher {
    /// Waits for running attempts up to `grace`; the rest stay pending and are sent after a restart.
    pub async fn stop(self, grace: Duration) {
        let _ = self.main.await;
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("delivery attempts still running after the grace period; they will be retried after restart");
        }
    }
}

/// Shared pieces every attempt uses.
struct Shared {
    store: Store,
    registry: Arc<Registry>,
    metrics: Arc<Metrics>,
    client: HttpClient,
    oauth: TokenCache,
    handle: DispatchHandle,
    /// Told when a delivery fails for good and when a receiver recovers or is paused.
    observer: Arc<dyn DeliveryObserver>,
    /// Renews the leases of running attempts.
    leases: LeaseKeeper,
}

/// Starts the dispatcher; it stops taking new work when `shutdown` fires.
pub fn start(
    store: Store,
    registry: Arc<Registry>,
    metrics: Arc<Metrics>,
    client: HttpClient,
    health: Vec<(String, ReceiverHealth)>,
    shutdown: CancellationToken,
    observer: Arc<dyn DeliveryObserver>,
) -> (DispatchHandle, Dispatcher) {
    let (fresh_tx, fresh_rx) = mpsc::channel(FRESH_QUEUE);
    let handle = DispatchHandle {
        fresh: fresh_tx,
        wake: Arc::new(Notify::new()),
        overflow: Arc::new(AtomicBool::new(true)),
        health: Arc::new(HealthBook::load(health)),
        metrics: metrics.clone(),
        store: store.clone(),
    };
    let tracker = TaskTracker::new();
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let state = Loop {
        shared: Arc::new(Shared {
            store: store.clone(),
            registry,
            metrics,
            client,
            oauth: TokenCache::default(),
            handle: handle.clone(),
            observer,
            leases: LeaseKeeper::start(store),
        }),
        handle: handle.clone(),
        fresh_rx,
        done_tx,
        done_rx,
        inflight: HashSet::new(),
        sending: 0,
        per_receiver: HashMap::new(),
        waiting: Overflow::default(),
        recent: VecDeque::new(),
        recent_set: HashSet::new(),
        tracker: tracker.clone(),
        wake_at: None,
        last_deep: std::time::Instant::now(),
        last_poll: std::time::Instant::now(),
        deep_gap: POLL_GAP,
        hinted: Vec::new(),
        retries: HashMap::new(),
    };
    let main = tokio::spawn(state.run(shutdown));
    (handle, Dispatcher { tracker, main })
}

struct Loop {
    shared: Arc<Shared>,
    handle: DispatchHandle,
    fresh_rx: mpsc::Receiver<DeliveryJob>,
    done_tx: mpsc::UnboundedSender<Report>,
    done_rx: mpsc::UnboundedReceiver<Report>,
    /// Deliveries started and not yet recorded: the store must not hand them out again.
    inflight: HashSet<i64>,
    /// Requests under way (slots of `concurrency` taken).
    sending: usize,
    /// Requests under way per receiver (slots of `receiver_concurrency` taken).
    per_receiver: HashMap<String, usize>,
    /// Fresh deliveries waiting for a slot of their receiver, each keeping its lease (on a
    /// shared store) while it waits, so no other instance takes it over meanwhile.
    waiting: Overflow<(DeliveryJob, lease::Held)>,
    recent: VecDeque<i64>,
    recent_set: HashSet<i64>,
    tracker: TaskTracker,
    /// When the next known retry falls due (Unix ms).
    wake_at: Option<i64>,
    /// When the store was last searched receiver by receiver (a costlier query).
    last_deep: std::time::Instant,
    /// How long to wait between two such searches: 20 times what the last one took, so they
    /// cost at most about 5 % of a core whatever the number of receivers with a backlog.
    deep_gap: Duration,
    /// When the store was last polled: completions are batched into one poll per `POLL_GAP`.
    last_poll: std::time::Instant,
    /// Receivers whose due rows sit behind another receiver's backlog, found by a deep pass.
    hinted: Vec<(String, String)>,
    /// The earliest retry each receiver has waiting in the store (Unix ms).
    retries: HashMap<String, i64>,
}

impl Loop {
    async fn run(mut self, shutdown: CancellationToken) {
        loop {
            let mut sleep_for = self
                .wake_at
                .map(|at| Duration::from_millis((at - now_ms()).max(0) as u64))
                .unwrap_or(MAX_IDLE)
                .min(MAX_IDLE);
            if self.handle.overflow.load(Ordering::Acquire) && self.free_slots() > 0 {
                let since = self.last_poll.elapsed();
                if since >= POLL_GAP {
                    self.poll_store().await;
                    continue;
                }
                // Many completions in a short time make one poll, not one each.
                sleep_for = sleep_for.min(POLL_GAP - since);
            }
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                // Completions first: under sustained ingest they free the slots new work needs.
                // (A fresh copy arriving after its delivery finished is caught by `recent`.)
                Some(report) = self.done_rx.recv() => self.on_report(report),
                Some(job) = self.fresh_rx.recv() => {
                    self.offer(job);
                }
                _ = self.handle.wake.notified() => {}
                _ = tokio::time::sleep(sleep_for) => {
                    self.wake_at = None;
                    self.retries_due();
                    self.handle.overflow.store(true, Ordering::Release);
                }
            }
        }
    }

    /// Attempts at once in all, and per receiver: `receiver_concurrency` holds for all the
    /// instances on the store, each taking an equal share.
    fn limits(&self) -> (usize, usize) {
        let d = &self.shared.registry.load().config.delivery;
        let instances = self.shared.store.live_instances();
        (d.concurrency, d.receiver_concurrency.div_ceil(instances))
    }

    fn free_slots(&self) -> usize {
        let total = self.limits().0;
        let recording_room = (total * RECORDING_FACTOR).saturating_sub(self.inflight.len());
        total.saturating_sub(self.sending).min(recording_room)
    }

    fn on_report(&mut self, report: Report) {
        match report {
            Report::Sent { key } => self.release(&key),
            Report::Done(done) => {
                let (sent, key) = (done.sent, done.key.clone());
                self.finish(done);
                if sent {
                    // A recorded attempt may free a slot too (see `free_slots`).
                    self.start_waiting(&key);
                } else {
                    self.release(&key);
                }
            }
        }
    }

    /// A request to `key` is over: its slot goes to the oldest delivery waiting for it, or for
    /// any receiver with room.
    fn release(&mut self, key: &str) {
        self.sending = self.sending.saturating_sub(1);
        if let Some(n) = self.per_receiver.get_mut(key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_receiver.remove(key);
            }
        }
        self.start_waiting(key);
    }

    /// Starts waiting deliveries while there are slots: `key`'s first, then any receiver's.
    fn start_waiting(&mut self, key: &str) {
        let (_, cap) = self.limits();
        while self.free_slots() > 0 && self.per_receiver.get(key).copied().unwrap_or(0) < cap {
            let Some((job, _lease)) = self.waiting.pop(key) else {
                break;
            };
            self.offer_waiting(job, key.to_string());
        }
        while self.free_slots() > 0 && !self.waiting.is_empty() {
            let per = &self.per_receiver;
            let Some((k, (job, _lease))) = self
                .waiting
                .pop_any(|k| per.get(k).copied().unwrap_or(0) < cap)
            else {
                break;
            };
            self.offer_waiting(job, k);
        }
        if !self.waiting.has(key) && self.waiting.is_spilled(key) {
            // Its queue is empty and the store holds the rest: read them back.
            self.handle.overflow.store(true, Ordering::Release);
        }
    }

    /// Starts a delivery taken from its receiver's queue (which had room when it was taken).
    fn offer_waiting(&mut self, job: DeliveryJob, key: String) {
        if self.inflight.contains(&job.delivery_id) || self.recent_set.contains(&job.delivery_id) {
            return;
        }
        if self.handle.health.is_paused(&key) {
            self.hold(job);
            return;
        }
        self.launch(job, key);
    }

    /// A paused receiver's deliveries are held, not attempted: take them (and their siblings,
    /// in memory too) out of the due range.
    fn hold(&mut self, job: DeliveryJob) {
        let key = receiver_key(&job.listener_id, &job.receiver_url);
        self.waiting.forget(&key);
        let store = self.shared.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store
                .hold_receiver(&job.listener_id, &job.receiver_url)
                .await
            {
                tracing::warn!(error = %e, "cannot hold the deliveries of a paused receiver");
            }
        });
    }

    /// Starts a job if it is not running already and its receiver has room; otherwise queues it
    /// in memory behind the receiver's others, or leaves it to the store when the queue is full.
    fn offer(&mut self, job: DeliveryJob) -> bool {
        if self.inflight.contains(&job.delivery_id) || self.recent_set.contains(&job.delivery_id) {
            return false;
        }
        let key = receiver_key(&job.listener_id, &job.receiver_url);
        if self.handle.health.is_paused(&key) {
            self.hold(job);
            return false;
        }
        let (_, per_receiver) = self.limits();
        let running = self.per_receiver.get(&key).copied().unwrap_or(0);
        if self.free_slots() == 0 || running >= per_receiver || self.waiting.has(&key) {
            let lease = self.shared.leases.hold(job.delivery_id);
            if self.waiting.push(&key, (job, lease)).is_err() {
                // Still pending in the store, which hands it out once the queue has drained.
                self.handle.overflow.store(true, Ordering::Release);
            }
            return false;
        }
        self.launch(job, key);
        true
    }

    /// Runs a job that has a slot: its request, then the record of its attempt.
    fn launch(&mut self, job: DeliveryJob, key: String) {
        self.inflight.insert(job.delivery_id);
        self.sending += 1;
        *self.per_receiver.entry(key.clone()).or_default() += 1;
        let shared = self.shared.clone();
        let done_tx = self.done_tx.clone();
        self.tracker.spawn(async move {
            let mut report = DoneReport {
                tx: done_tx,
                // Until the attempt settles: if anything unwinds, the slot is freed and the
                // delivery, still pending in the store, is looked at again shortly.
                done: Some(Done {
                    delivery_id: job.delivery_id,
                    key,
                    retry_at: Some(now_ms() + 5000),
                    sent: false,
                }),
            };
            let _lease = shared.leases.hold(job.delivery_id);
            let retry_at = run_attempt(&shared, &job, &mut report).await;
            if let Some(done) = report.done.as_mut() {
                done.retry_at = retry_at;
            }
        });
    }

    /// An attempt is recorded: the delivery leaves the in-flight set.
    fn finish(&mut self, done: Done) {
        self.inflight.remove(&done.delivery_id);
        if self.recent_set.insert(done.delivery_id) {
            self.recent.push_back(done.delivery_id);
            if self.recent.len() > RECENT_DONE {
                if let Some(old) = self.recent.pop_front() {
                    self.recent_set.remove(&old);
                }
            }
        }
        if let Some(at) = done.retry_at {
            let first = self.retries.entry(done.key.clone()).or_insert(at);
            *first = (*first).min(at);
            // A retried delivery becomes fresh again when it is next picked up from the store.
            self.recent_set.remove(&done.delivery_id);
            self.wake_at = Some(self.wake_at.map_or(at, |w| w.min(at)));
        }
    }

    /// Reads due deliveries from the store and starts as many as there is room for.
    async fn poll_store(&mut self) {
        self.handle.overflow.store(false, Ordering::Release);
        self.last_poll = std::time::Instant::now();
        let free = self.free_slots();
        let (_, cap) = self.limits();
        let mut room: HashMap<String, usize> = self
            .per_receiver
            .iter()
            .map(|(k, n)| (k.clone(), cap.saturating_sub(*n)))
            .collect();
        for key in self.handle.health.paused_keys() {
            room.insert(key, 0);
        }
        // Receivers with deliveries queued in memory take theirs from there first.
        for key in self.waiting.busy_keys() {
            room.insert(key.clone(), 0);
        }
        let blocked = room.values().any(|r| *r == 0);
        let deep = blocked && self.last_deep.elapsed() >= self.deep_gap;
        let started_at = std::time::Instant::now();
        let now = now_ms();
        let plan = DuePlan {
            now_ms: now,
            limit: free,
            running: self.inflight.clone(),
            room: room.clone(),
            default_room: cap,
            deep,
            hinted: std::mem::take(&mut self.hinted),
        };
        let result = self.shared.store.due_deliveries(plan).await;
        if deep {
            self.last_deep = std::time::Instant::now();
            self.deep_gap = (started_at.elapsed() * 20).clamp(POLL_GAP, MAX_DEEP_GAP);
        }
        let jobs = match result {
            Ok((jobs, hidden)) => {
                self.hinted = hidden;
                jobs
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read due deliveries; trying again shortly");
                self.wake_at = Some(now + 1000);
                return;
            }
        };
        let fetched = jobs.len();
        self.note_store_rows(&room, cap, &jobs, fetched >= free, blocked);
        let mut started = 0;
        for job in jobs {
            // A due row read from the store is authoritative about its attempt count.
            self.recent_set.remove(&job.delivery_id);
            if self.offer(job) {
                started += 1;
            }
        }
        if fetched >= free && started > 0 {
            // There may be more due than we could take.
            self.handle.overflow.store(true, Ordering::Release);
        }
        if blocked && started < free {
            // Rows of other receivers may be hidden behind those without room: look deeper soon.
            // (A receiver with deliveries queued in memory frees its slots without a look at the
            // store, so this is what finds the others' retries behind its rows.)
            let at = now + self.deep_gap.as_millis() as i64;
            self.wake_at = Some(self.wake_at.map_or(at, |w| w.min(at)));
        }
        if let Ok(Some(next)) = self.shared.store.next_due_after(now).await {
            self.wake_at = Some(self.wake_at.map_or(next, |w| w.min(next)));
        }
    }
}

impl Loop {
    /// Retries that have fallen due are in the store: a receiver with a queue in memory turns
    /// to the store once that queue has drained, so the retry is not overtaken for long.
    fn retries_due(&mut self) {
        let now = now_ms();
        let due: Vec<String> = self
            .retries
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.retries.remove(&key);
            if self.waiting.has(&key) {
                self.waiting.spill(&key);
            }
        }
    }

    /// What a poll tells about the rows each receiver still has in the store. A receiver that
    /// got all it had room for (or any, when the poll was cut at the total) may have more
    /// there: it queues nothing in memory, and each of its freed slots looks at the store,
    /// until a poll limited by neither the window nor the total gives it fewer than its room.
    fn note_store_rows(
        &mut self,
        room: &HashMap<String, usize>,
        cap: usize,
        jobs: &[DeliveryJob],
        cut: bool,
        blocked: bool,
    ) {
        let mut got: HashMap<String, usize> = HashMap::new();
        for job in jobs {
            *got.entry(receiver_key(&job.listener_id, &job.receiver_url))
                .or_default() += 1;
        }
        for (key, n) in &got {
            if cut || *n >= room.get(key).copied().unwrap_or(cap) {
                self.waiting.spill(key);
            }
        }
        if cut || blocked || !self.waiting.any_spilled() {
            return;
        }
        let spilled: Vec<String> = self.waiting.spilled_keys().cloned().collect();
        for key in spilled {
            let had = room.get(&key).copied().unwrap_or(cap);
            if had > 0 && got.get(&key).copied().unwrap_or(0) < had {
                self.waiting.store_drained(&key);
            }
        }
    }
}

/// Runs one attempt and records it; returns when the delivery is due again, if it is.
async fn run_attempt(
    shared: &Arc<Shared>,
    job: &DeliveryJob,
    report: &mut DoneReport,
) -> Option<i64> {
    let snapshot = shared.registry.snapshot();
    let sending = {
        let (shared, job, snapshot) = (shared.clone(), job.clone(), snapshot.clone());
        async move { attempt::run(&job, &snapshot, &shared.client, &shared.oauth).await }
    };
    let policy = RetryPolicy::of(job, &snapshot);
    let attempt = contained(sending, job, &policy).await;
    // The request is over: the receiver's slot goes to the next delivery while this is recorded.
    report.sent();
    let label = attempt.label();
    let fault = attempt.outcome.failure().map(|f| f.fault().as_str());
    let record = attempt.record;
    let took = Duration::from_millis(record.duration_ms.max(0) as u64);
    shared.metrics.observe_attempt(label, took);
    tracing::info!(
        delivery = job.delivery_id,
        event = %job.event.id,
        receiver = %loggable_url(&job.receiver_url),
        attempt = record.attempt,
        status = record.status_code.unwrap_or(0),
        error = record.error.as_deref().unwrap_or(""),
        outcome = label,
        fault,
        duration_ms = record.duration_ms,
        "delivery attempt"
    );
    let next = record.next;
    // Recording may fail (disk full); the delivery then stays pending and is sent again later.
    let recorded = shared.store.record_attempt(record).await;
    // Done for good, or gone with its deleted event: no longer pending.
    let finished = matches!(recorded, Ok(false))
        || (recorded.is_ok() && !matches!(next, NextStep::RetryAt(_)));
    if finished {
        release_successor(shared, &snapshot, job);
    }
    match recorded {
        Ok(true) => {}
        // The event was deleted while the attempt ran; the deletion took it off the gauge.
        Ok(false) => return None,
        Err(e) => {
            tracing::error!(delivery = job.delivery_id, error = %e, "cannot record a delivery attempt");
            return Some(now_ms() + 5000);
        }
    }
    track_health(shared, job, next).await;
    match next {
        NextStep::RetryAt(at) => Some(at),
        NextStep::Succeeded | NextStep::Failed => {
            shared.metrics.pending_add(-1);
            None
        }
    }
}

/// A delivery of an ordered receiver that is done (or gone) lets the next one with its key
/// go: the store has it, so the dispatcher looks there now instead of at its next idle poll.
fn release_successor(shared: &Shared, snapshot: &Snapshot, job: &DeliveryJob) {
    let ordered = snapshot
        .receiver(&job.listener_id, &job.receiver_url)
        .is_some_and(|r| r.spec.order_by.is_some());
    if ordered {
        shared.handle.wake();
    }
}

/// Updates the receiver's failure run and reports what it and the attempt call for.
async fn track_health(shared: &Shared, job: &DeliveryJob, next: NextStep) {
    let key = receiver_key(&job.listener_id, &job.receiver_url);
    let now = now_ms();
    let pause_after = shared
        .registry
        .load()
        .config
        .delivery
        .pause_after
        .as_millis() as i64;
    let ok = next == NextStep::Succeeded;
    let mut transition = shared.handle.health.on_result(&key, ok, now, pause_after);
    if let Some(t) = transition {
        let first = match shared
            .store
            .set_receiver_health(&key, shared.handle.health.get(&key))
            .await
        {
            Ok(first) => first,
            Err(e) => {
                tracing::warn!(error = %e, "cannot record receiver health");
                true
            }
        };
        if let Transition::Paused { .. } = t {
            if first {
                tracing::warn!(receiver = %loggable_url(&job.receiver_url), listener = %job.listener_id, "receiver paused after failing without a break");
            } else {
                // Another instance paused it first and announces it; this one only holds.
                transition = None;
            }
            let _ = shared
                .store
                .hold_receiver(&job.listener_id, &job.receiver_url)
                .await;
        }
    }
    let receiver = || ReceiverRef {
        listener_id: job.listener_id.clone(),
        account_id: job.event.account_id.clone(),
        url: job.receiver_url.clone(),
    };
    let mut reports = Vec::new();
    match transition {
        Some(Transition::Recovered { failing_since }) => reports.push(DeliveryReport::Recovered {
            receiver: receiver(),
            failing_since,
        }),
        Some(Transition::Paused { failing_since }) => reports.push(DeliveryReport::Paused {
            receiver: receiver(),
            failing_since,
        }),
        _ => {}
    }
    if next == NextStep::Failed {
        reports.push(DeliveryReport::Failed {
            receiver: receiver(),
            event_id: job.event.id.clone(),
            event_type: job.event.event_type.clone(),
            delivery_id: job.delivery_id,
            attempts: job.attempt_count + 1,
        });
    }
    for report in reports {
        shared.observer.observe(report, &shared.handle).await;
    }
}
