//! The shared state every request and worker sees.

use crate::config::{Config, ListenerSpec};
use crate::delivery::{self, DispatchHandle, Dispatcher};
use crate::listeners::Registry;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Handles to the live configuration, the store, the delivery dispatcher and the metrics.
pub struct App {
    pub registry: Arc<Registry>,
    pub store: Store,
    pub dispatcher: DispatchHandle,
    pub metrics: Arc<Metrics>,
}

/// An `App` with its delivery dispatcher running.
pub(crate) struct Started {
    pub app: Arc<App>,
    pub dispatcher: Dispatcher,
    /// Stops delivery (and whatever else is tied to it).
    pub delivery_stop: CancellationToken,
    /// Deliveries pending in the store at start.
    pub pending: i64,
}

impl App {
    /// Puts `cfg` and the API-made listeners `api` in service over an open `store` and starts
    /// delivering what it holds.
    pub(crate) async fn start(
        cfg: Config,
        store: Store,
        api: Vec<Arc<ListenerSpec>>,
    ) -> Result<Started, StoreError> {
        let registry = Arc::new(Registry::new(cfg, api));
        crate::memory::release_free_memory();
        let metrics = Arc::new(Metrics::default());
        let pending = store.pending_count().await?;
        metrics.pending_set(pending);
        let delivery_stop = CancellationToken::new();
        let client = delivery::client::build(registry.clone());
        let (dispatch, dispatcher) = delivery::start(
            store.clone(),
            registry.clone(),
            metrics.clone(),
            client,
            store.receiver_health_all().await?,
            delivery_stop.clone(),
            Arc::new(crate::system_events::DeliveryEvents::new(
                store.clone(),
                registry.clone(),
            )),
        );
        let app = Arc::new(App {
            registry,
            store,
            dispatcher: dispatch,
            metrics,
        });
        Ok(Started {
            app,
            dispatcher,
            delivery_stop,
            pending,
        })
    }
}
