//! Prometheus metrics (SPEC section 7).

use crate::ingress::answer::Answer;
use crate::ingress::refusal::Refusal;
use crate::recent::RecentActivity;
use crate::store::now_ms;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Statuses the listener endpoint answers besides its refusals': 200 for every event it takes,
/// 500 should a request handler ever fail.
const PASSED_CODES: [u16; 2] = [200, 500];

/// Every status code the listener endpoint can answer with; their counters are made once per
/// provider so that counting a request is one atomic add, with no lock.
fn answer_codes() -> Vec<u16> {
    let mut codes: Vec<u16> = Refusal::all()
        .iter()
        .map(|r| r.status().as_u16())
        .chain(PASSED_CODES)
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// One provider's request and event counters, ready to increment.
struct ProviderCounters {
    codes: Vec<(u16, Counter)>,
    outcomes: Vec<(&'static str, Counter)>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    provider: String,
    code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    provider: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

/// Every series hookgate exports.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    events: Family<EventLabels, Counter>,
    deliveries: Family<OutcomeLabels, Counter>,
    attempt_duration: Histogram,
    ingest_duration: Histogram,
    pending: Gauge,
    cluster_instances: Gauge,
    leases_expired: Counter,
    /// Read without locking on every request; replaced (under `grow`) when a new provider appears.
    by_provider: arc_swap::ArcSwap<HashMap<String, Arc<ProviderCounters>>>,
    grow: Mutex<()>,
    /// The last hour, minute by minute, for the dashboard.
    pub recent: RecentActivity,
}

/// Buckets from 0.5 ms to 30 s: acks are milliseconds, slow receivers are seconds.
fn buckets() -> impl Iterator<Item = f64> {
    [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    ]
    .into_iter()
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let events = Family::<EventLabels, Counter>::default();
        let deliveries = Family::<OutcomeLabels, Counter>::default();
        let attempt_duration = Histogram::new(buckets());
        let ingest_duration = Histogram::new(buckets());
        let pending = Gauge::default();
        let cluster_instances = Gauge::default();
        cluster_instances.set(1);
        let leases_expired = Counter::default();
        registry.register(
            "hookgate_cluster_instances",
            "Live instances seen on the store, this one included",
            cluster_instances.clone(),
        );
        registry.register(
            "hookgate_leases_expired",
            "Deliveries this instance took over after another instance's lease ran out",
            leases_expired.clone(),
        );
        registry.register(
            "hookgate_requests",
            "Listener requests by provider and status code",
            requests.clone(),
        );
        registry.register(
            "hookgate_events",
            "Listener requests by provider and outcome",
            events.clone(),
        );
        registry.register(
            "hookgate_deliveries",
            "Delivery attempts by outcome",
            deliveries.clone(),
        );
        registry.register(
            "hookgate_delivery_attempt_duration_seconds",
            "Time from sending a delivery to its answer",
            attempt_duration.clone(),
        );
        registry.register(
            "hookgate_ingest_duration_seconds",
            "Time from a listener request to its answer",
            ingest_duration.clone(),
        );
        registry.register(
            "hookgate_pending_deliveries",
            "Deliveries waiting to be sent",
            pending.clone(),
        );
        Metrics {
            registry,
            requests,
            events,
            deliveries,
            attempt_duration,
            ingest_duration,
            pending,
            cluster_instances,
            leases_expired,
            by_provider: Default::default(),
            grow: Mutex::new(()),
            recent: RecentActivity::default(),
        }
    }
}

impl Metrics {
    /// One listener request: its provider, HTTP status, outcome and duration.
    pub fn observe_request(&self, provider: &str, code: u16, status: &str, took: Duration) {
        let counters = self.provider_counters(provider);
        match counters.codes.iter().find(|(c, _)| *c == code) {
            Some((_, counter)) => {
                counter.inc();
            }
            None => {
                self.requests
                    .get_or_create(&RequestLabels {
                        provider: provider.to_string(),
                        code,
                    })
                    .inc();
            }
        }
        match counters.outcomes.iter().find(|(o, _)| *o == status) {
            Some((_, counter)) => {
                counter.inc();
            }
            None => {
                self.events
                    .get_or_create(&EventLabels {
                        provider: provider.to_string(),
                        status: status.to_string(),
                    })
                    .inc();
            }
        }
        self.ingest_duration.observe(took.as_secs_f64());
        self.recent.request(now_ms(), status);
    }

    fn provider_counters(&self, provider: &str) -> Arc<ProviderCounters> {
        if let Some(c) = self.by_provider.load().get(provider) {
            return c.clone();
        }
        let _guard = self.grow.lock().expect("metrics lock");
        if let Some(c) = self.by_provider.load().get(provider) {
            return c.clone();
        }
        // A counter is a shared handle: the clones kept here are the series the families
        // export. Made up front, every series starts at 0, which also gives rate() its start.
        let counters = Arc::new(ProviderCounters {
            codes: answer_codes()
                .into_iter()
                .map(|code| {
                    let labels = RequestLabels {
                        provider: provider.to_string(),
                        code,
                    };
                    (code, self.requests.get_or_create(&labels).clone())
                })
                .collect(),
            outcomes: Answer::all_labels()
                .into_iter()
                .map(|status| {
                    let labels = EventLabels {
                        provider: provider.to_string(),
                        status: status.to_string(),
                    };
                    (status, self.events.get_or_create(&labels).clone())
                })
                .collect(),
        });
        let mut map = HashMap::clone(&self.by_provider.load());
        map.insert(provider.to_string(), counters.clone());
        self.by_provider.store(Arc::new(map));
        counters
    }

    /// One delivery attempt: `succeeded`, `retrying`, `failed` or `blocked`.
    pub fn observe_attempt(&self, outcome: &str, took: Duration) {
        self.deliveries
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_string(),
            })
            .inc();
        self.attempt_duration.observe(took.as_secs_f64());
        self.recent.attempt(now_ms(), outcome);
    }

    pub fn pending_add(&self, n: i64) {
        self.pending.inc_by(n);
    }

    pub fn pending_set(&self, n: i64) {
        self.pending.set(n);
    }

    /// What the store says of the other instances: how many live (this one included) and how
    /// many deliveries this one took over from expired leases so far.
    pub fn cluster_set(&self, instances: usize, leases_taken_over: u64) {
        self.cluster_instances.set(instances as i64);
        let counted = self.leases_expired.get();
        if leases_taken_over > counted {
            self.leases_expired.inc_by(leases_taken_over - counted);
        }
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
