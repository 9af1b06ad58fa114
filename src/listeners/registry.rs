//! The live set of listeners: lock-free reads on the hot path, swapped whole on reload.
//!
//! A snapshot is built from two inputs: the listeners of `listeners.toml` and the listeners made
//! through the management API. Either input can change alone (a reload, an API edit); the other
//! is kept, so a reload never drops API listeners and an API edit never undoes a reload.

use crate::config::{Config, ListenerSpec, ProviderSpec, RateLimit, ReceiverSpec};
use arc_swap::ArcSwap;
use dashmap::DashMap;
use governor::{DefaultDirectRateLimiter, Quota};
use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

/// The listener id under which system-event deliveries are stored.
pub const SYSTEM_LISTENER_ID: &str = "__system__";

/// A listener ready to take requests: its spec, its provider and its rate limiter.
pub struct ListenerRuntime {
    pub spec: Arc<ListenerSpec>,
    pub provider: Arc<ProviderSpec>,
    pub limiter: Option<Arc<DefaultDirectRateLimiter>>,
}

/// A receiver ready to take deliveries.
pub struct ReceiverRuntime {
    pub spec: Arc<ReceiverSpec>,
    pub limiter: Option<Arc<DefaultDirectRateLimiter>>,
}

/// One consistent view of the configuration.
pub struct Snapshot {
    pub config: Arc<Config>,
    /// Keyed by "provider/account_id", the tail of the listener URL, so a lookup needs no allocation.
    routes: HashMap<String, Arc<ListenerRuntime>>,
    by_id: HashMap<String, Arc<ListenerRuntime>>,
    /// Keyed by "listener_id receiver_url".
    receivers: HashMap<String, Arc<ReceiverRuntime>>,
    /// Ids of the listeners that came from the management API (the rest are the file's).
    api_ids: HashSet<String>,
}

impl Snapshot {
    /// The enabled listener for a URL tail "provider/account_id".
    pub fn route(&self, tail: &str) -> Option<&Arc<ListenerRuntime>> {
        self.routes.get(tail)
    }

    /// A listener in service by id, enabled or not.
    pub fn listener(&self, id: &str) -> Option<&Arc<ListenerRuntime>> {
        self.by_id.get(id)
    }

    /// Every listener in service, the file's and the API's.
    pub fn listeners(&self) -> impl Iterator<Item = &Arc<ListenerRuntime>> {
        self.by_id.values()
    }

    /// True when the listener `id` is live and was made through the management API.
    #[cfg(test)]
    pub fn is_api_listener(&self, id: &str) -> bool {
        self.api_ids.contains(id)
    }

    /// The receiver a stored delivery points at, if it still exists.
    pub fn receiver(&self, listener_id: &str, url: &str) -> Option<&Arc<ReceiverRuntime>> {
        self.receivers.get(&receiver_key(listener_id, url))
    }
}

/// The key under which deliveries of one receiver are grouped (concurrency caps, lookups).
pub fn receiver_key(listener_id: &str, url: &str) -> String {
    format!("{listener_id} {url}")
}

/// The live configuration plus rate limiters that outlive reloads.
pub struct Registry {
    current: ArcSwap<Snapshot>,
    /// Limiters survive a reload when the limit did not change, so a reload cannot reset a burst.
    limiters: DashMap<String, (RateLimit, Arc<DefaultDirectRateLimiter>)>,
    /// What the current snapshot was built from; held while a new one is built so that a reload
    /// and an API edit at the same moment cannot lose each other's change.
    inputs: Mutex<Inputs>,
    /// Serializes changes (API edits, reloads, recording load times): their clash checks and
    /// store writes must not interleave. Taken only by `listeners::edits`.
    pub(super) edits: tokio::sync::Mutex<()>,
    /// Live instances sharing the store: each takes an equal share of a receiver's rate limit.
    instances: std::sync::atomic::AtomicUsize,
}

struct Inputs {
    config: Arc<Config>,
    api: Vec<Arc<ListenerSpec>>,
}

impl Registry {
    /// The registry of a freshly loaded file and the API listeners of the store, built once
    /// (with 100,000 listeners a build is a noticeable part of start-up).
    pub fn new(config: Config, api: Vec<Arc<ListenerSpec>>) -> Registry {
        let limiters = DashMap::new();
        let config = Arc::new(config);
        let snapshot = build(config.clone(), &api, &limiters, 1);
        Registry {
            current: ArcSwap::from_pointee(snapshot),
            limiters,
            inputs: Mutex::new(Inputs { config, api }),
            edits: tokio::sync::Mutex::new(()),
            instances: std::sync::atomic::AtomicUsize::new(1),
        }
    }

    /// The current view; cheap, lock-free.
    pub fn load(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// The current view as an owned Arc, for holding across awaits.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Swaps in a new configuration atomically, with the API-made listeners as rebuilt under it
    /// (`None` keeps the ones in service); requests in flight keep the view they started with.
    pub fn replace(&self, config: Config, api: Option<Vec<Arc<ListenerSpec>>>) {
        let mut inputs = self.inputs.lock().expect("registry inputs");
        inputs.config = Arc::new(config);
        if let Some(api) = api {
            inputs.api = api;
        }
        self.rebuild(&inputs);
    }

    /// Replaces every API-made listener (another instance changed them), keeping the file's.
    pub fn replace_api(&self, api: Vec<Arc<ListenerSpec>>) {
        let mut inputs = self.inputs.lock().expect("registry inputs");
        inputs.api = api;
        self.rebuild(&inputs);
    }

    /// Adds an API-made listener, or replaces the one with its id.
    pub fn upsert_api_listener(&self, spec: Arc<ListenerSpec>) {
        let mut inputs = self.inputs.lock().expect("registry inputs");
        match inputs.api.iter_mut().find(|l| l.id == spec.id) {
            Some(slot) => *slot = spec,
            None => inputs.api.push(spec),
        }
        self.rebuild(&inputs);
    }

    /// Takes an API-made listener out of service; its URL answers 404 from now on.
    pub fn remove_api_listener(&self, id: &str) {
        let mut inputs = self.inputs.lock().expect("registry inputs");
        inputs.api.retain(|l| l.id != id);
        self.rebuild(&inputs);
    }

    /// Sets how many instances share the store (and so each receiver's rate limit); the
    /// receivers' limiters are made again when it changes.
    pub fn set_instances(&self, n: usize) {
        let n = n.max(1);
        let inputs = self.inputs.lock().expect("registry inputs");
        if self.instances.swap(n, std::sync::atomic::Ordering::Relaxed) != n {
            self.rebuild(&inputs);
        }
    }

    fn rebuild(&self, inputs: &Inputs) {
        let instances = self.instances.load(std::sync::atomic::Ordering::Relaxed);
        let snapshot = build(
            inputs.config.clone(),
            &inputs.api,
            &self.limiters,
            instances,
        );
        self.current.store(Arc::new(snapshot));
    }
}

fn limiter(
    limiters: &DashMap<String, (RateLimit, Arc<DefaultDirectRateLimiter>)>,
    key: impl FnOnce() -> String,
    limit: Option<RateLimit>,
) -> Option<Arc<DefaultDirectRateLimiter>> {
    let Some(limit) = limit else {
        // Most listeners have no limit: then there is no key to build and nothing to forget.
        if !limiters.is_empty() {
            limiters.remove(&key());
        }
        return None;
    };
    let key = key();
    if let Some(existing) = limiters.get(&key) {
        if existing.0 == limit {
            return Some(existing.1.clone());
        }
    }
    let per_second = NonZeroU32::new(limit.per_second.max(1)).expect("non-zero");
    let burst = NonZeroU32::new(limit.burst.max(1)).expect("non-zero");
    let l = Arc::new(DefaultDirectRateLimiter::direct(
        Quota::per_second(per_second).allow_burst(burst),
    ));
    limiters.insert(key, (limit, l.clone()));
    Some(l)
}

fn build(
    config: Arc<Config>,
    api: &[Arc<ListenerSpec>],
    limiters: &DashMap<String, (RateLimit, Arc<DefaultDirectRateLimiter>)>,
    instances: usize,
) -> Snapshot {
    let mut snapshot = Snapshot {
        config: config.clone(),
        routes: HashMap::new(),
        by_id: HashMap::new(),
        receivers: HashMap::new(),
        api_ids: HashSet::new(),
    };
    // Every (provider, account) of the file, enabled or not: an API listener may not take one.
    let mut pairs: HashSet<(&str, &str)> = HashSet::new();
    for spec in &config.listeners {
        pairs.insert((&spec.provider, &spec.account_id));
        add(&mut snapshot, spec, limiters, instances);
    }
    for spec in api {
        // The management API refuses clashes, but a reload can bring a file listener that takes
        // an API listener's id or account; the file wins and the API listener waits.
        if snapshot.by_id.contains_key(&spec.id)
            || pairs.contains(&(spec.provider.as_str(), spec.account_id.as_str()))
        {
            tracing::warn!(
                listener = %spec.id,
                "API listener not active: listeners.toml now has a listener with its id or (provider, account)"
            );
            continue;
        }
        pairs.insert((&spec.provider, &spec.account_id));
        if add(&mut snapshot, spec, limiters, instances) {
            snapshot.api_ids.insert(spec.id.clone());
        }
    }
    for sw in &config.system_webhooks {
        let key = receiver_key(SYSTEM_LISTENER_ID, sw.receiver.url.as_str());
        snapshot.receivers.insert(
            key,
            Arc::new(ReceiverRuntime {
                spec: sw.receiver.clone(),
                limiter: None,
            }),
        );
    }
    snapshot
}

/// Adds one listener and its receivers; false when its provider is unknown.
fn add(
    snapshot: &mut Snapshot,
    spec: &Arc<ListenerSpec>,
    limiters: &DashMap<String, (RateLimit, Arc<DefaultDirectRateLimiter>)>,
    instances: usize,
) -> bool {
    let Some(provider) = snapshot.config.providers.get(&spec.provider).cloned() else {
        return false;
    };
    let runtime = Arc::new(ListenerRuntime {
        spec: spec.clone(),
        provider,
        limiter: limiter(
            limiters,
            || format!("listener {}", spec.id),
            spec.rate_limit,
        ),
    });
    for r in &spec.receivers {
        let key = receiver_key(&spec.id, r.url.as_str());
        let share = r.rate_limit.map(|l| share_of(l, instances));
        let rl = limiter(limiters, || format!("receiver {key}"), share);
        snapshot.receivers.insert(
            key,
            Arc::new(ReceiverRuntime {
                spec: r.clone(),
                limiter: rl,
            }),
        );
    }
    if spec.enabled {
        snapshot.routes.insert(
            format!("{}/{}", spec.provider, spec.account_id),
            runtime.clone(),
        );
    }
    snapshot.by_id.insert(spec.id.clone(), runtime);
    true
}

/// One instance's share of a receiver's rate limit: a listener's inbound limit holds per
/// instance, a receiver's for all instances together.
fn share_of(limit: RateLimit, instances: usize) -> RateLimit {
    let n = u32::try_from(instances.max(1)).unwrap_or(u32::MAX);
    RateLimit {
        per_second: limit.per_second.div_ceil(n),
        burst: limit.burst.div_ceil(n),
    }
}

#[cfg(test)]
mod tests;
