//! hookgate's own events (SPEC section 6): listener lifecycle and delivery outcomes, sent to
//! `[[system_webhook]]` receivers through the same durable, retried, signed delivery path.

use crate::delivery::DispatchHandle;
use crate::http_util;
use crate::registry::{Registry, SYSTEM_LISTENER_ID};
use crate::store::{now_ms, IngestOutcome, NewEvent, Store, StoredEvent};
use bytes::Bytes;
use serde_json::{json, Map, Value};

/// The event types hookgate emits.
pub const EVENT_TYPES: [(&str, &str); 6] = [
    (
        "account.created",
        "A listener (integration account webhook) was created, by the API or a config reload.",
    ),
    ("account.updated", "A listener's definition changed."),
    (
        "account.deleted",
        "A listener was deleted or removed from the config.",
    ),
    ("delivery.failed", "A delivery exhausted its retries."),
    (
        "delivery.recovered",
        "A receiver answered 2xx again after failing.",
    ),
    (
        "receiver.paused",
        "A receiver failed without a break for pause_after and is paused until resumed.",
    ),
];

/// Whether any system webhook takes `event_type`: callers skip building payloads when none does.
pub fn wanted(registry: &Registry, event_type: &str) -> bool {
    registry
        .load()
        .config
        .system_webhooks
        .iter()
        .any(|s| s.receiver.wants(Some(event_type)))
}

/// Stores one system event for every system webhook that wants it and hands it to delivery.
/// `data` should carry `integrationAccountId` and `workspaceId`; `result` is added.
pub async fn emit(
    store: &Store,
    registry: &Registry,
    dispatch: &DispatchHandle,
    event_type: &str,
    success: bool,
    data: Map<String, Value>,
) {
    let snapshot = registry.snapshot();
    let receiver_urls: Vec<String> = snapshot
        .config
        .system_webhooks
        .iter()
        .filter(|s| s.receiver.wants(Some(event_type)))
        .map(|s| s.receiver.url.to_string())
        .collect();
    if receiver_urls.is_empty() {
        return;
    }
    let id = uuid::Uuid::now_v7().to_string();
    let received_at = now_ms();
    let mut data = data;
    data.insert(
        "result".into(),
        json!(if success { "SUCCESS" } else { "FAILURE" }),
    );
    let account = data
        .get("integrationAccountId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let body = json!({
        "data": data,
        "hook": {
            "eventType": event_type,
            "id": id,
            "timeStamp": http_util::rfc3339_ms(received_at),
            "source": "HOOKGATE",
        }
    });
    let event = StoredEvent {
        seq: 0,
        id,
        listener_id: SYSTEM_LISTENER_ID.into(),
        provider: "hookgate".into(),
        account_id: account,
        event_type: Some(event_type.into()),
        provider_event_id: None,
        received_at,
        source_ip: None,
        content_type: Some("application/json".into()),
        headers: Vec::new(),
        body: Bytes::from(body.to_string()),
    };
    match store
        .ingest_internal(NewEvent {
            event,
            receiver_urls,
        })
        .await
    {
        Ok(IngestOutcome::Accepted { event, deliveries }) => {
            dispatch.submit_fresh(&event, deliveries)
        }
        Ok(IngestOutcome::Duplicate { .. }) => {}
        Err(e) => tracing::error!(event_type, error = %e, "cannot store a system event"),
    }
}

/// The `data` of a listener lifecycle event.
pub fn listener_data(spec: &crate::config::ListenerSpec, managed_by: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("integrationAccountId".into(), json!(spec.account_id));
    m.insert("workspaceId".into(), json!(spec.workspace_id));
    m.insert("integrationAccountWebhookId".into(), json!(spec.id));
    m.insert("name".into(), json!(spec.name));
    m.insert("provider".into(), json!(spec.provider));
    m.insert("managedBy".into(), json!(managed_by));
    m
}
