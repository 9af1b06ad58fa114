//! An event as the management API answers it, listed or shown alone. The schemas of these views
//! (derived) are the OpenAPI document's `Event`, `EventDetail`, `Delivery`,
//! `DeliveryWithAttempts` and `Attempt`.

use crate::http_util::rfc3339_ms;
use crate::store::{AttemptView, DeliveryView, EventView};
use base64::Engine;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// What every answer about an event starts with.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventHead {
    pub id: String,
    pub listener_id: String,
    pub provider: String,
    pub event_type: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub received_at: String,
    pub source_ip: Option<String>,
}

/// An event as listed: without its payload and attempts.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Event", extend("additionalProperties" = false))]
pub struct EventOut {
    #[serde(flatten)]
    pub head: EventHead,
    pub deliveries: Vec<DeliveryOut>,
}

/// An event shown alone: its payload, its deliveries and every attempt.
// Its payload field is described inside `oneOf`, where `additionalProperties` cannot see it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "EventDetail", extend("unevaluatedProperties" = false))]
pub struct EventDetailOut {
    #[serde(flatten)]
    pub head: EventHead,
    #[serde(flatten)]
    pub body: Payload,
    pub deliveries: Vec<DeliveryWithAttempts>,
}

/// The body as received.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Payload {
    /// The body, when it is JSON.
    Payload(Value),
    /// The body, when it is not JSON.
    PayloadBase64(String),
}

/// One delivery of an event to one receiver.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Delivery", extend("additionalProperties" = false))]
pub struct DeliveryOut {
    pub id: i64,
    pub receiver_url: String,
    #[schemars(extend("enum" = ["pending", "succeeded", "failed"]))]
    pub status: String,
    pub attempt_count: u32,
    #[schemars(extend("format" = "date-time"))]
    pub next_attempt_at: Option<String>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
}

/// A delivery with every attempt.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("additionalProperties" = false))]
pub struct DeliveryWithAttempts {
    #[serde(flatten)]
    pub delivery: DeliveryOut,
    pub attempts: Vec<AttemptOut>,
}

/// One recorded attempt.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Attempt", extend("additionalProperties" = false))]
pub struct AttemptOut {
    #[schemars(range(min = 1))]
    pub attempt: u32,
    #[schemars(extend("format" = "date-time"))]
    pub started_at: String,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    /// The first 1 KiB of the answer.
    pub response: Option<String>,
}

impl From<&EventView> for EventHead {
    fn from(e: &EventView) -> EventHead {
        EventHead {
            id: e.id.clone(),
            listener_id: e.listener_id.clone(),
            provider: e.provider.clone(),
            event_type: e.event_type.clone(),
            received_at: rfc3339_ms(e.received_at),
            source_ip: e.source_ip.clone(),
        }
    }
}

impl From<&DeliveryView> for DeliveryOut {
    fn from(d: &DeliveryView) -> DeliveryOut {
        // A finished delivery has no next attempt, whatever the column still holds.
        let next = (d.status == "pending")
            .then_some(d.next_attempt_at)
            .flatten();
        DeliveryOut {
            id: d.id,
            receiver_url: d.receiver_url.clone(),
            status: d.status.clone(),
            attempt_count: d.attempt_count,
            next_attempt_at: next.map(rfc3339_ms),
            last_status_code: d.last_status_code,
            last_error: d.last_error.clone(),
        }
    }
}

impl From<&AttemptView> for AttemptOut {
    fn from(a: &AttemptView) -> AttemptOut {
        AttemptOut {
            attempt: a.attempt,
            started_at: rfc3339_ms(a.started_at),
            duration_ms: a.duration_ms,
            status_code: a.status_code,
            error: a.error.clone(),
            response: a.response.clone(),
        }
    }
}

impl From<&EventView> for EventOut {
    fn from(e: &EventView) -> EventOut {
        EventOut {
            head: EventHead::from(e),
            deliveries: e.deliveries.iter().map(DeliveryOut::from).collect(),
        }
    }
}

impl From<&EventView> for EventDetailOut {
    fn from(e: &EventView) -> EventDetailOut {
        let body = e.body.as_deref().unwrap_or_default();
        let body = match serde_json::from_slice::<Value>(body) {
            Ok(v) => Payload::Payload(v),
            Err(_) => {
                Payload::PayloadBase64(base64::engine::general_purpose::STANDARD.encode(body))
            }
        };
        EventDetailOut {
            head: EventHead::from(e),
            body,
            deliveries: e
                .deliveries
                .iter()
                .map(|d| DeliveryWithAttempts {
                    delivery: DeliveryOut::from(d),
                    attempts: d.attempts.iter().map(AttemptOut::from).collect(),
                })
                .collect(),
        }
    }
}
