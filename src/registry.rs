//! The live set of listeners: lock-free reads on the hot path, swapped whole on reload.

use crate::config::{Config, ListenerSpec, ProviderSpec, RateLimit, ReceiverSpec};
use arc_swap::ArcSwap;
use dashmap::DashMap;
use governor::{DefaultDirectRateLimiter, Quota};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;

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
}

impl Snapshot {
    /// The enabled listener for a URL tail "provider/account_id".
    pub fn route(&self, tail: &str) -> Option<&Arc<ListenerRuntime>> {
        self.routes.get(tail)
    }

    pub fn listener(&self, id: &str) -> Option<&Arc<ListenerRuntime>> {
        self.by_id.get(id)
    }

    pub fn listeners(&self) -> impl Iterator<Item = &Arc<ListenerRuntime>> {
        self.by_id.values()
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
}

impl Registry {
    pub fn new(config: Config) -> Registry {
        let limiters = DashMap::new();
        let snapshot = build(Arc::new(config), &limiters);
        Registry {
            current: ArcSwap::from_pointee(snapshot),
            limiters,
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

    /// Swaps in a new configuration atomically; requests in flight keep the view they started with.
    pub fn replace(&self, config: Config) {
        let snapshot = build(Arc::new(config), &self.limiters);
        self.current.store(Arc::new(snapshot));
    }
}

fn limiter(
    limiters: &DashMap<String, (RateLimit, Arc<DefaultDirectRateLimiter>)>,
    key: String,
    limit: Option<RateLimit>,
) -> Option<Arc<DefaultDirectRateLimiter>> {
    let Some(limit) = limit else {
        limiters.remove(&key);
        return None;
    };
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
    limiters: &DashMap<String, (RateLimit, Arc<DefaultDirectRateLimiter>)>,
) -> Snapshot {
    let mut routes = HashMap::new();
    let mut by_id = HashMap::new();
    let mut receivers = HashMap::new();
    for spec in &config.listeners {
        let Some(provider) = config.providers.get(&spec.provider) else {
            continue;
        };
        let runtime = Arc::new(ListenerRuntime {
            spec: spec.clone(),
            provider: provider.clone(),
            limiter: limiter(limiters, format!("listener {}", spec.id), spec.rate_limit),
        });
        for r in &spec.receivers {
            let key = receiver_key(&spec.id, r.url.as_str());
            let rl = limiter(limiters, format!("receiver {key}"), r.rate_limit);
            receivers.insert(
                key,
                Arc::new(ReceiverRuntime {
                    spec: r.clone(),
                    limiter: rl,
                }),
            );
        }
        if spec.enabled {
            routes.insert(
                format!("{}/{}", spec.provider, spec.account_id),
                runtime.clone(),
            );
        }
        by_id.insert(spec.id.clone(), runtime);
    }
    for sw in &config.system_webhooks {
        let key = receiver_key(SYSTEM_LISTENER_ID, sw.receiver.url.as_str());
        receivers.insert(
            key,
            Arc::new(ReceiverRuntime {
                spec: sw.receiver.clone(),
                limiter: None,
            }),
        );
    }
    Snapshot {
        config,
        routes,
        by_id,
        receivers,
    }
}
