//! Building the outbound request: body format, Standard Webhooks headers, receiver auth.

use crate::config::{Format, ListenerSpec, ReceiverSpec};
use crate::http_util::{self, Body};
use crate::store::StoredEvent;
use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, Method, Request};
use http_body_util::Full;
use serde_json::json;

/// Headers that describe one hop, never copied from the provider's request (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// The `User-Agent` of every delivery.
pub const USER_AGENT: &str = concat!("hookgate/", env!("CARGO_PKG_VERSION"));

/// Why the request for an attempt could not be made: always the gateway's own doing
/// (its configuration or a secret it holds), never the receiver's.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The receiver URL or a header does not make a valid request.
    #[error("cannot build the request: {0}")]
    Build(http::Error),
    /// The static or OAuth authorization value is not a valid header value.
    #[error("the authorization value is not a valid header")]
    Authorization,
}

/// Everything about one attempt that is not in the stored event.
pub struct AttemptContext<'a> {
    pub receiver: &'a ReceiverSpec,
    /// The listener, when it still exists (the envelope names its workspace).
    pub listener: Option<&'a ListenerSpec>,
    /// 1-based.
    pub attempt: u32,
    pub now_unix: i64,
    /// `Authorization` to send: the static value or `Bearer <oauth token>`.
    pub authorization: Option<String>,
    /// What the receiver's `transform` made of the stored body (JSON): sent in its place.
    pub transformed: Option<Bytes>,
}

/// The body as the receiver's `format` wants it, with its content type. A transformed body
/// is JSON: sent as it is, or as the envelope's `data`.
pub fn body_for(event: &StoredEvent, ctx: &AttemptContext<'_>) -> (Bytes, String) {
    let (payload, content_type) = match &ctx.transformed {
        Some(shaped) => (shaped, Some("application/json")),
        None => (&event.body, event.content_type.as_deref()),
    };
    match ctx.receiver.format {
        Format::Raw => (
            payload.clone(),
            content_type.unwrap_or("application/json").to_string(),
        ),
        Format::Envelope => {
            let data = serde_json::from_slice::<serde_json::Value>(payload).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(payload).into_owned())
            });
            let envelope = json!({
                "data": data,
                "hook": {
                    "id": event.id,
                    "eventType": event.event_type,
                    "timeStamp": http_util::rfc3339_ms(event.received_at),
                    "source": event.provider,
                    "integrationAccountId": event.account_id,
                    "workspaceId": ctx.listener.and_then(|l| l.workspace_id.clone()),
                    "listenerId": event.listener_id,
                }
            });
            (Bytes::from(envelope.to_string()), "application/json".into())
        }
    }
}

/// The full request for one attempt.
pub fn build(event: &StoredEvent, ctx: &AttemptContext<'_>) -> Result<Request<Body>, RequestError> {
    let (body, content_type) = body_for(event, ctx);
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(ctx.receiver.url.as_str())
        .body(Full::new(body.clone()))
        .map_err(RequestError::Build)?;
    let headers = req.headers_mut();
    // Forwarded provider headers go first so that nothing of ours can be overridden by them.
    for name in &ctx.receiver.forward_headers {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        for (k, v) in &event.headers {
            if name.as_str().eq_ignore_ascii_case(k) {
                if let Ok(v) = HeaderValue::from_str(v) {
                    headers.append(name.clone(), v);
                }
            }
        }
    }
    for (name, value) in &ctx.receiver.headers {
        headers.insert(name.clone(), value.clone());
    }
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    };
    set("content-type", &content_type);
    set("user-agent", USER_AGENT);
    set("webhook-id", &event.id);
    set("webhook-timestamp", &ctx.now_unix.to_string());
    set(
        "x-hookgate-event-type",
        event.event_type.as_deref().unwrap_or(""),
    );
    set("x-hookgate-provider", &event.provider);
    set("x-hookgate-account-id", &event.account_id);
    set("x-hookgate-attempt", &ctx.attempt.to_string());
    if let Some(signer) = &ctx.receiver.signer {
        set(
            "webhook-signature",
            &signer.sign(&event.id, ctx.now_unix, &body),
        );
    }
    if let Some(auth) = &ctx.authorization {
        let mut v = HeaderValue::from_str(auth).map_err(|_| RequestError::Authorization)?;
        v.set_sensitive(true);
        req.headers_mut().insert(header::AUTHORIZATION, v);
    }
    Ok(req)
}
