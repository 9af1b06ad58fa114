//! What the gateway recorded about an event, read through the management API
//! (`GET /api/v1/events/{id}`), so the same checks hold on every store backend.

use super::admin::get;
use serde_json::Value;
use std::net::SocketAddr;

/// One recorded attempt: (attempt number, status code, error).
pub type AttemptRow = (u32, Option<u16>, Option<String>);

/// The path of one event.
pub fn event_path(event_id: &str) -> String {
    format!("/api/v1/events/{event_id}")
}

/// The event with its payload, deliveries and every attempt (`Null` fields when unknown).
pub async fn event(admin: SocketAddr, event_id: &str) -> Value {
    get(admin, &event_path(event_id)).await.json()
}

/// Whether the store still holds the event.
pub async fn exists(admin: SocketAddr, event_id: &str) -> bool {
    let status = get(admin, &event_path(event_id)).await.status;
    assert!(
        status == 200 || status == 404,
        "GET event answered {status}"
    );
    status == 200
}

/// Status of every delivery of `event_id`, in delivery order.
pub async fn delivery_statuses(admin: SocketAddr, event_id: &str) -> Vec<String> {
    deliveries(&event(admin, event_id).await)
        .iter()
        .map(|d| d["status"].as_str().unwrap().to_string())
        .collect()
}

/// Every attempt of every delivery of `event_id`, by delivery and then attempt number.
pub async fn attempts(admin: SocketAddr, event_id: &str) -> Vec<AttemptRow> {
    deliveries(&event(admin, event_id).await)
        .iter()
        .flat_map(|d| d["attempts"].as_array().cloned().unwrap_or_default())
        .map(|a| {
            (
                a["attempt"].as_u64().unwrap() as u32,
                a["statusCode"].as_u64().map(|c| c as u16),
                a["error"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// The `deliveries` array of an event (empty when the event is unknown).
pub fn deliveries(event: &Value) -> Vec<Value> {
    event["deliveries"].as_array().cloned().unwrap_or_default()
}

/// The status of an event's first delivery, as listed or shown.
pub fn first_status(event: &Value) -> &Value {
    &event["deliveries"][0]["status"]
}

/// The ids of the events of a page, in the order listed.
pub fn listed_ids(page: &Value) -> Vec<&str> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect()
}
