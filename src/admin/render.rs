//! The JSON the management API answers with: listeners (every secret as `"***"`) and events.

use super::doc::{ListenerDoc, RateLimitDoc, ReceiverDoc};
use super::input::MASK;
use crate::http_util::rfc3339_ms;
use crate::store::{DeliveryView, EventView};
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

/// Where a listener comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagedBy {
    Config,
    Api,
}

impl ManagedBy {
    /// The `managedBy` value.
    pub fn name(self) -> &'static str {
        match self {
            ManagedBy::Config => "config",
            ManagedBy::Api => "api",
        }
    }
}

/// What the server knows about a listener beyond its document.
#[derive(Debug, Clone)]
pub struct Meta {
    pub id: String,
    pub managed_by: ManagedBy,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

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

fn masked(secret: &Option<String>) -> Value {
    match secret {
        Some(_) => json!(MASK),
        None => Value::Null,
    }
}

fn rate_limit(r: &Option<RateLimitDoc>) -> Value {
    match r {
        Some(r) => json!({"perSecond": r.per_second, "burst": r.burst.unwrap_or(r.per_second)}),
        None => Value::Null,
    }
}

/// A listener as the API shows it: the fields of seed 000 first, in its order, then the rest.
/// `paused` tells whether a receiver (by URL) is paused for failing too long.
pub fn listener(
    doc: &ListenerDoc,
    meta: &Meta,
    public_url: &str,
    paused: &dyn Fn(&str) -> bool,
) -> Value {
    let mut o = Map::new();
    o.insert("integrationAccountWebhookId".into(), json!(meta.id));
    o.insert("name".into(), json!(doc.name));
    o.insert("enabled".into(), json!(doc.enabled));
    o.insert(
        "headers".into(),
        if doc.headers.is_empty() {
            Value::Null
        } else {
            Value::Object(
                doc.headers
                    .keys()
                    .map(|k| (k.clone(), json!(MASK)))
                    .collect(),
            )
        },
    );
    o.insert("ipAddress".into(), json!(doc.allowed_ips.first()));
    o.insert("eventSubscription".into(), json!(doc.event_subscription));
    o.insert(
        "receiverUrl".into(),
        json!(doc.receivers.first().map(|r| &r.url)),
    );
    o.insert(
        "listenerUrl".into(),
        json!([listener_url(
            public_url,
            &doc.provider,
            &doc.integration_account_id
        )]),
    );
    o.insert(
        "integrationAccountId".into(),
        json!(doc.integration_account_id),
    );
    o.insert(
        "integrationDefinitionId".into(),
        json!(doc.integration_definition_id),
    );
    o.insert("workspaceId".into(), json!(doc.workspace_id));
    o.insert("apiSupport".into(), json!(doc.api_support));
    o.insert("createdAt".into(), json!(rfc3339_ms(meta.created_at)));
    o.insert("updatedAt".into(), json!(rfc3339_ms(meta.updated_at)));
    o.insert("deleted".into(), json!(meta.deleted_at.map(rfc3339_ms)));
    o.insert("provider".into(), json!(doc.provider));
    o.insert("allowedIps".into(), json!(doc.allowed_ips));
    o.insert(
        "receivers".into(),
        Value::Array(
            doc.receivers
                .iter()
                .map(|r| receiver(r, paused(&r.url)))
                .collect(),
        ),
    );
    o.insert(
        "basicAuth".into(),
        match &doc.basic_auth {
            Some(b) => json!({"username": b.username, "password": MASK}),
            None => Value::Null,
        },
    );
    o.insert("verifySecret".into(), masked(&doc.verify_secret));
    o.insert("rateLimit".into(), rate_limit(&doc.rate_limit));
    o.insert("managedBy".into(), json!(meta.managed_by.name()));
    Value::Object(o)
}

fn receiver(r: &ReceiverDoc, paused: bool) -> Value {
    json!({
        "url": r.url,
        "headers": r.headers,
        "events": r.events,
        "format": r.format,
        "maxRetryCount": r.max_retry_count,
        "signingSecret": masked(&r.signing_secret),
        "authorization": masked(&r.authorization),
        "oauth": r.oauth.as_ref().map(|o| json!({
            "tokenUrl": o.token_url,
            "clientId": o.client_id,
            "clientSecret": MASK,
            "credentialsLocation": o.credentials_location,
            "scope": o.scope,
        })),
        "rateLimit": rate_limit(&r.rate_limit),
        "forwardHeaders": r.forward_headers,
        "timeout": r.timeout,
        "paused": paused,
    })
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
