//! The JSON the management API answers with: listeners (every secret as `"***"`) and events.

pub mod view;

use super::doc::ListenerDoc;
use crate::http_util::rfc3339_ms;
pub use crate::listeners::{ManagedBy, Meta};
use crate::store::{DeliveryView, EventView};
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};
use view::ListenerView;
pub use view::MASK;

/// Characters left as they are in a listener URL segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The provider-facing URL of a listener.
pub fn listener_url(public_url: &str, provider: &str, account: &str) -> String {
    format!(
        "{}/api/v1/listener/{}/{}",
        public_url.trim_end_matches('/'),
        utf8_percent_encode(provider, SEGMENT),
        utf8_percent_encode(account, SEGMENT)
    )
}

/// A listener as the API shows it, every secret as `"***"`.
/// `paused` tells whether a receiver (by URL) is paused for failing too long.
pub fn listener(
    doc: &ListenerDoc,
    meta: &Meta,
    public_url: &str,
    paused: &dyn Fn(&str) -> bool,
) -> Value {
    serde_json::to_value(ListenerView::new(doc, meta, public_url, paused)).unwrap_or_default()
}

/// An event as listed, or (`full`) as shown alone: with its payload and every attempt.
pub fn event(e: &EventView, full: bool) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(e.id));
    o.insert("listenerId".into(), json!(e.listener_id));
    o.insert("provider".into(), json!(e.provider));
    o.insert("eventType".into(), json!(e.event_type));
    o.insert("receivedAt".into(), json!(rfc3339_ms(e.received_at)));
    o.insert("sourceIp".into(), json!(e.source_ip));
    if full {
        let body = e.body.as_deref().unwrap_or_default();
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => o.insert("payload".into(), v),
            Err(_) => o.insert(
                "payloadBase64".into(),
                json!(base64::engine::general_purpose::STANDARD.encode(body)),
            ),
        };
    }
    o.insert(
        "deliveries".into(),
        Value::Array(e.deliveries.iter().map(|d| delivery(d, full)).collect()),
    );
    Value::Object(o)
}

fn delivery(d: &DeliveryView, full: bool) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(d.id));
    o.insert("receiverUrl".into(), json!(d.receiver_url));
    o.insert("status".into(), json!(d.status));
    o.insert("attemptCount".into(), json!(d.attempt_count));
    // A finished delivery has no next attempt, whatever the column still holds.
    let next = (d.status == "pending")
        .then_some(d.next_attempt_at)
        .flatten();
    o.insert("nextAttemptAt".into(), json!(next.map(rfc3339_ms)));
    o.insert("lastStatusCode".into(), json!(d.last_status_code));
    o.insert("lastError".into(), json!(d.last_error));
    if full {
        o.insert(
            "attempts".into(),
            Value::Array(
                d.attempts
                    .iter()
                    .map(|a| {
                        json!({
                            "attempt": a.attempt,
                            "startedAt": rfc3339_ms(a.started_at),
                            "durationMs": a.duration_ms,
                            "statusCode": a.status_code,
                            "error": a.error,
                            "response": a.response,
                        })
                    })
                    .collect(),
            ),
        );
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_urls_encode_odd_characters() {
        assert_eq!(
            listener_url("https://h.example/", "shopify", "shop.myshopify.com"),
            "https://h.example/api/v1/listener/shopify/shop.myshopify.com"
        );
        assert_eq!(
            listener_url("http://h", "x", "a?b#c"),
            "http://h/api/v1/listener/x/a%3Fb%23c"
        );
    }
}
