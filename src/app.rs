//! The shared state every request and worker sees.

use crate::delivery::DispatchHandle;
use crate::listeners::Registry;
use crate::metrics::Metrics;
use crate::store::Store;
use std::sync::Arc;

/// Handles to the live configuration, the store, the delivery dispatcher and the metrics.
pub struct App {
    pub registry: Arc<Registry>,
    pub store: Store,
    pub dispatcher: DispatchHandle,
    pub metrics: Arc<Metrics>,
}
