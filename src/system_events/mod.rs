//! hookgate's own events (SPEC section 6): listener lifecycle and delivery outcomes, sent to
//! `[[system_webhook]]` receivers through the same durable, retried, signed delivery path.

mod event;
mod observer;

pub use event::{AccountChange, AccountData, SystemEvent};
pub use observer::DeliveryEvents;

use crate::accept::{self, Acceptance, WhenBusy};
use crate::delivery::DispatchHandle;
use crate::listeners::{Registry, SYSTEM_LISTENER_ID};
use crate::store::{Store, StoredEvent};
use bytes::Bytes;
use serde_json::{Map, Value};

/// Whether any system webhook takes `event_type`: callers skip building payloads when none does.
pub fn wanted(registry: &Registry, event_type: &str) -> bool {
    registry
        .load()
        .config
        .system_webhooks
        .iter()
        .any(|s| s.receiver.wants(Some(event_type)))
}

/// Stores `event` for every system webhook that wants it and hands it to delivery. Waits for
/// the store rather than dropping the event when its write queue is full.
pub async fn send(
    store: &Store,
    registry: &Registry,
    dispatch: &DispatchHandle,
    event: SystemEvent,
) {
    let event_type = event.event_type();
    let urls = {
        let snapshot = registry.load();
        let receivers = snapshot.config.system_webhooks.iter().map(|s| &*s.receiver);
        accept::receiver_urls(receivers, Some(event_type))
    };
    if urls.is_empty() {
        return;
    }
    let mut draft = StoredEvent::received_now(SYSTEM_LISTENER_ID, "hookgate", &event.account_id());
    draft.event_type = Some(event_type.into());
    draft.content_type = Some("application/json".into());
    draft.body = Bytes::from(event.payload(&draft.id, draft.received_at).to_string());
    // System webhooks have no `order_by`.
    let order_keys = Default::default();
    match accept::accept(store, dispatch, draft, urls, order_keys, WhenBusy::Wait).await {
        Ok(Acceptance::Stored { .. } | Acceptance::Duplicate { .. }) => {}
        Err(e) => tracing::error!(event_type, error = %e, "cannot store a system event"),
    }
}

/// Sends a lifecycle event given by its type name and data; `success` must be true (lifecycle
/// events always are). Kept for callers that build the data themselves.
pub async fn emit(
    store: &Store,
    registry: &Registry,
    dispatch: &DispatchHandle,
    event_type: &str,
    success: bool,
    data: Map<String, Value>,
) {
    let Some(change) = AccountChange::from_event_type(event_type) else {
        tracing::error!(event_type, "not a listener lifecycle event; not sent");
        return;
    };
    debug_assert!(success, "lifecycle events are successes");
    let event = SystemEvent::Account {
        change,
        data: AccountData::recorded(data),
    };
    send(store, registry, dispatch, event).await;
}

/// The `data` of a listener lifecycle event.
pub fn listener_data(spec: &crate::config::ListenerSpec, managed_by: &str) -> Map<String, Value> {
    AccountData::of(spec, managed_by).into_map()
}
