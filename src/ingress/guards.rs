//! The listener checks of SPEC section 3, one small function each, in the order they run.
//! Each passes what the next steps need, or says why the request is refused.

use super::auth;
use super::body::{read_limited, BodyError};
use super::event::{locate, BodyFields, RequestView};
use super::refusal::Refusal;
use super::source::client_ip;
use crate::config::{Handshake, ServerSettings};
use crate::listeners::{ListenerRuntime, Snapshot};
use bytes::Bytes;
use governor::clock::{Clock, DefaultClock};
use http::request::Parts;
use http::{header, HeaderMap, Method, Request};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The path prefix of every listener URL.
pub const LISTENER_PREFIX: &str = "/api/v1/listener/";

/// The `{provider}/{account_id}` of a listener URL, percent-decoded, and its provider segment.
pub fn route_key(path: &str) -> (String, String) {
    let tail = path[LISTENER_PREFIX.len()..].trim_end_matches('/');
    let tail = percent_encoding::percent_decode_str(tail)
        .decode_utf8_lossy()
        .into_owned();
    let provider = tail.split('/').next().unwrap_or("").to_string();
    (tail, provider)
}

/// Check 1: an enabled listener for (provider, account_id).
pub fn find_listener(snapshot: &Snapshot, tail: &str) -> Result<Arc<ListenerRuntime>, Refusal> {
    snapshot
        .route(tail)
        .cloned()
        .ok_or(Refusal::ListenerNotFound)
}

/// Check 2: POST only, and GET on a listener whose handshake uses GET (SPEC section 12).
pub fn method_allowed(method: &Method, handshake: Handshake) -> Result<(), Refusal> {
    if method == Method::POST || (method == Method::GET && handshake.uses_get()) {
        Ok(())
    } else {
        Err(Refusal::MethodNotAllowed)
    }
}

/// Check 3: the source address (the peer, or X-Forwarded-For behind a trusted proxy; `None`
/// when a forwarded chain makes it unknown).
pub fn allowed_source(
    rt: &ListenerRuntime,
    server: &ServerSettings,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<Option<IpAddr>, Refusal> {
    let source = client_ip(peer.ip(), headers, &server.trusted_proxies);
    let allowed = &rt.spec.allowed_ips;
    // An unknown source (a garbled forwarded chain) fails every non-empty list.
    let listed = |ip: &IpAddr| allowed.iter().any(|net| net.contains(ip));
    if allowed.is_empty() || source.as_ref().is_some_and(listed) {
        Ok(source)
    } else {
        Err(Refusal::IpNotAllowed)
    }
}

/// Check 4: the listener's rate limit, with the whole seconds until a request would pass.
pub fn within_rate_limit(rt: &ListenerRuntime) -> Result<(), Refusal> {
    let Some(limiter) = &rt.limiter else {
        return Ok(());
    };
    limiter.check().map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        Refusal::RateLimited {
            retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        }
    })
}

/// Check 5: the body within `max_body_bytes` and `body_timeout`. A declared Content-Length is
/// refused at once; otherwise bytes are counted while they stream.
pub async fn read_body<B>(
    req: Request<B>,
    server: &ServerSettings,
) -> Result<(Parts, Bytes), Refusal>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > server.max_body_bytes) {
        return Err(Refusal::PayloadTooLarge);
    }
    let (parts, body) = req.into_parts();
    match read_limited(body, server.max_body_bytes, server.body_timeout).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(BodyError::TooLarge) => Err(Refusal::PayloadTooLarge),
        Err(BodyError::TimedOut) => Err(Refusal::RequestTimeout),
        Err(BodyError::Broken(e)) => Err(Refusal::BodyUnreadable(e)),
    }
}

/// Check 6: credentials and signature, on the raw bytes. The reason is logged, never answered.
pub fn authenticate(
    rt: &ListenerRuntime,
    headers: &HeaderMap,
    body: &[u8],
    now_unix: i64,
) -> Result<(), Refusal> {
    auth::check(&rt.spec, &rt.provider, headers, body, now_unix).map_err(|why| {
        tracing::warn!(listener = %rt.spec.id, reason = %why.0, "refused: unauthorized");
        Refusal::Unauthorized
    })
}

/// The event type and the provider's event id, where the provider puts them.
pub struct Located {
    pub event_type: Option<String>,
    pub provider_event_id: Option<String>,
}

/// Check 7: reads the event type and id, parsing the body only where they are read from it.
pub fn locate_event(rt: &ListenerRuntime, parts: &Parts, body: &[u8]) -> Result<Located, Refusal> {
    let provider = &rt.provider;
    let needs_json = provider.event_type.reads_body()
        || provider.event_id.as_ref().is_some_and(|l| l.reads_body());
    let fields = if needs_json {
        let mut locators = vec![&provider.event_type];
        locators.extend(provider.event_id.as_ref());
        let fields =
            BodyFields::read(body, &locators).map_err(|e| Refusal::InvalidJson(e.to_string()))?;
        Some(fields)
    } else {
        None
    };
    let view = RequestView {
        headers: &parts.headers,
        query: parts.uri.query(),
        body: fields.as_ref(),
    };
    Ok(Located {
        event_type: locate(&provider.event_type, &view),
        provider_event_id: provider.event_id.as_ref().and_then(|l| locate(l, &view)),
    })
}
