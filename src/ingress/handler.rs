//! The listener endpoint: SPEC section 3's checks, in order, then the durable store and the 200.

use super::auth;
use super::body::{read_limited, BodyError};
use super::event::{locate, RequestView};
use super::source::client_ip;
use crate::app::App;
use crate::http_util::{self, Body};
use crate::registry::ListenerRuntime;
use crate::store::{now_ms, IngestOutcome, NewEvent, StoreError, StoredEvent};
use bytes::Bytes;
use governor::clock::{Clock, DefaultClock};
use http::{header, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// The path prefix of every listener URL.
pub const LISTENER_PREFIX: &str = "/api/v1/listener/";

/// Headers never stored or forwarded: they carry the provider's credentials.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
];

/// What one request came to, for logs and metrics.
struct Outcome {
    response: Response<Body>,
    provider: String,
    listener_id: Option<String>,
    event_type: Option<String>,
    status: &'static str,
}

/// Handles `POST /api/v1/listener/{provider}/{account_id}`.
pub async fn handle(app: Arc<App>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4();
    let outcome = run(&app, req, peer).await;
    let code = outcome.response.status().as_u16();
    app.metrics
        .observe_request(&outcome.provider, code, outcome.status, started.elapsed());
    tracing::info!(
        %request_id,
        listener = outcome.listener_id.as_deref().unwrap_or("-"),
        provider = %outcome.provider,
        event_type = outcome.event_type.as_deref().unwrap_or("-"),
        status = code,
        outcome = outcome.status,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "listener request"
    );
    outcome.response
}

fn refused(
    provider: &str,
    listener: Option<&ListenerRuntime>,
    status: StatusCode,
    code: &'static str,
    message: &str,
) -> Outcome {
    Outcome {
        response: http_util::error(status, code, message),
        provider: provider.to_string(),
        listener_id: listener.map(|l| l.spec.id.clone()),
        event_type: None,
        status: code,
    }
}

async fn run(app: &App, req: Request<Incoming>, peer: SocketAddr) -> Outcome {
    let snapshot = app.registry.snapshot();
    let path = req.uri().path();
    let tail = path[LISTENER_PREFIX.len()..].trim_end_matches('/');
    let tail = percent_encoding::percent_decode_str(tail)
        .decode_utf8_lossy()
        .into_owned();
    let provider_label = tail.split('/').next().unwrap_or("").to_string();

    // 1. An enabled listener for (provider, account_id).
    let Some(rt) = snapshot.route(&tail).cloned() else {
        return refused(
            "unknown",
            None,
            StatusCode::NOT_FOUND,
            "listener_not_found",
            "no enabled listener at this URL",
        );
    };
    let spec = &rt.spec;
    let provider = provider_label.as_str();
    // 2. POST only.
    if req.method() != Method::POST {
        let mut o = refused(
            provider,
            Some(&rt),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "listener URLs take POST only",
        );
        o.response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return o;
    }
    let server = &snapshot.config.server;
    // 3. Source address.
    let source = client_ip(peer.ip(), req.headers(), &server.trusted_proxies);
    if !spec.allowed_ips.is_empty() && !spec.allowed_ips.iter().any(|net| net.contains(&source)) {
        return refused(
            provider,
            Some(&rt),
            StatusCode::FORBIDDEN,
            "ip_not_allowed",
            "the source address is not allowed for this listener",
        );
    }
    // 4. Rate limit.
    if let Some(limiter) = &rt.limiter {
        if let Err(not_until) = limiter.check() {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut o = refused(
                provider,
                Some(&rt),
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests for this listener",
            );
            o.response =
                http_util::with_header(o.response, header::RETRY_AFTER, &secs.max(1).to_string());
            return o;
        }
    }
    // 5. Size: refuse from Content-Length at once, and count bytes while streaming.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > server.max_body_bytes) {
        return too_large(provider, &rt);
    }
    let (parts, body) = req.into_parts();
    let body = match read_limited(body, server.max_body_bytes, server.body_timeout).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return too_large(provider, &rt),
        Err(BodyError::TimedOut) => {
            return refused(
                provider,
                Some(&rt),
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request body did not arrive in time",
            );
        }
        Err(BodyError::Broken(e)) => {
            return refused(
                provider,
                Some(&rt),
                StatusCode::BAD_REQUEST,
                "invalid_payload",
                &format!("the request body could not be read: {e}"),
            );
        }
    };
    // 6. Credentials and signature, on the raw bytes.
    let received_at = now_ms();
    if let Err(why) = auth::check(
        spec,
        &rt.provider,
        &parts.headers,
        &body,
        received_at / 1000,
    ) {
        tracing::warn!(listener = %spec.id, reason = %why.0, "refused: unauthorized");
        return refused(
            provider,
            Some(&rt),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or invalid credentials",
        );
    }
    // 7. Parse only where the event type or id is read from the body.
    let needs_json = rt.provider.event_type.reads_body()
        || rt
            .provider
            .event_id
            .as_ref()
            .is_some_and(|l| l.reads_body());
    let json = if needs_json {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(v) => Some(v),
            Err(e) => {
                return refused(
                    provider,
                    Some(&rt),
                    StatusCode::BAD_REQUEST,
                    "invalid_payload",
                    &format!("the body is not valid JSON: {e}"),
                );
            }
        }
    } else {
        None
    };
    let view = RequestView {
        headers: &parts.headers,
        query: parts.uri.query(),
        json: json.as_ref(),
    };
    let event_type = locate(&rt.provider.event_type, &view);
    // 8. Subscription.
    if !spec.subscribes(event_type.as_deref()) {
        return Outcome {
            response: http_util::json(
                StatusCode::OK,
                &json!({"status": "filtered", "eventType": event_type}),
            ),
            provider: provider.to_string(),
            listener_id: Some(spec.id.clone()),
            event_type,
            status: "filtered",
        };
    }
    let provider_event_id = rt.provider.event_id.as_ref().and_then(|l| locate(l, &view));
    // 9–10. De-duplication and the durable commit, in one store job.
    let receiver_urls: Vec<String> = spec
        .receivers
        .iter()
        .filter(|r| r.wants(event_type.as_deref()))
        .map(|r| r.url.to_string())
        .collect();
    let event = StoredEvent {
        seq: 0,
        id: uuid::Uuid::now_v7().to_string(),
        listener_id: spec.id.clone(),
        provider: spec.provider.clone(),
        account_id: spec.account_id.clone(),
        event_type: event_type.clone(),
        provider_event_id,
        received_at,
        source_ip: Some(source.to_string()),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        headers: storable_headers(&parts.headers, spec),
        body: Bytes::clone(&body),
    };
    let (response, status) = match app
        .store
        .ingest(NewEvent {
            event,
            receiver_urls,
        })
        .await
    {
        Ok(IngestOutcome::Accepted { event, deliveries }) => {
            let count = deliveries.len();
            let id = event.id.clone();
            app.dispatcher.submit_fresh(&event, deliveries);
            (
                http_util::json(
                    StatusCode::OK,
                    &json!({"status": "accepted", "eventId": id, "deliveries": count}),
                ),
                "accepted",
            )
        }
        Ok(IngestOutcome::Duplicate { original_event_id }) => (
            http_util::json(
                StatusCode::OK,
                &json!({"status": "duplicate", "eventId": original_event_id}),
            ),
            "duplicate",
        ),
        Err(e) => {
            tracing::error!(listener = %spec.id, error = %e, "store refused an event; answering 503");
            let message = match e {
                StoreError::Full => "the gateway is busy; retry shortly",
                _ => "the event store is unavailable; retry shortly",
            };
            let resp = http_util::error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message);
            (
                http_util::with_header(resp, header::RETRY_AFTER, "5"),
                "unavailable",
            )
        }
    };
    Outcome {
        response,
        provider: provider.to_string(),
        listener_id: Some(spec.id.clone()),
        event_type,
        status,
    }
}

fn too_large(provider: &str, rt: &ListenerRuntime) -> Outcome {
    refused(
        provider,
        Some(rt),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "the request body is larger than max_body_bytes",
    )
}

/// Request headers worth keeping (for `forward_headers` and the event log), without credentials.
fn storable_headers(
    headers: &http::HeaderMap,
    spec: &crate::config::ListenerSpec,
) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            !CREDENTIAL_HEADERS.contains(&name.as_str())
                && !spec.required_headers.iter().any(|(h, _)| h == *name)
        })
        .filter_map(|(name, value)| {
            Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
        })
        .collect()
}
