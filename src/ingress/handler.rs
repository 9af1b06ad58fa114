//! The listener endpoint: SPEC section 3's checks as a chain of steps, then the durable store
//! and the 200. Every outcome is answered, counted and logged in `handle`.

use super::answer::Answer;
use super::guards::{self, Located};
use super::handshake;
use super::refusal::Refusal;
use crate::accept::{self, Acceptance, WhenBusy};
use crate::app::App;
use crate::config::{CustomResponse, ListenerSpec};
use crate::http_util::Body;
use crate::listeners::ListenerRuntime;
use crate::rules::{self, EventFacts};
use crate::store::{StoreError, StoredEvent};
use bytes::Bytes;
use http::request::Parts;
use http::{header, Request, Response};
use std::fmt::Display;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

pub use super::guards::LISTENER_PREFIX;

/// Headers never stored or forwarded: they carry the provider's credentials.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
];

/// What is known about a request so far, for its log line and its metrics.
struct Trail {
    provider: String,
    listener_id: Option<String>,
    event_type: Option<String>,
    /// The listener's custom answer, once the listener is known.
    response: Option<Arc<CustomResponse>>,
}

/// Handles `POST /api/v1/listener/{provider}/{account_id}`; `clock` gives the time of receipt
/// in Unix milliseconds (the one signatures' timestamps are judged against).
pub async fn handle<B>(
    app: Arc<App>,
    req: Request<B>,
    peer: SocketAddr,
    clock: fn() -> i64,
) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: Display,
{
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4();
    let mut trail = Trail {
        provider: "unknown".into(),
        listener_id: None,
        event_type: None,
        response: None,
    };
    let answer = checks(&app, req, peer, clock, &mut trail)
        .await
        .unwrap_or_else(|stop| stop);
    let outcome = answer.metric_label();
    let response = answer.into_response(trail.response.as_deref());
    let code = response.status().as_u16();
    app.metrics
        .observe_request(&trail.provider, code, outcome, started.elapsed());
    tracing::info!(
        %request_id,
        listener = trail.listener_id.as_deref().unwrap_or("-"),
        provider = %trail.provider,
        event_type = trail.event_type.as_deref().unwrap_or("-"),
        status = code,
        outcome,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "listener request"
    );
    response
}

/// The checks in SPEC order; the first that fails ends the request with its answer.
async fn checks<B>(
    app: &App,
    req: Request<B>,
    peer: SocketAddr,
    clock: fn() -> i64,
    trail: &mut Trail,
) -> Result<Answer, Answer>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: Display,
{
    let snapshot = app.registry.snapshot();
    let (tail, provider) = guards::route_key(req.uri().path());
    let rt = guards::find_listener(&snapshot, &tail)?;
    trail.provider = provider;
    trail.listener_id = Some(rt.spec.id.clone());
    trail.response = rt.spec.response.clone();
    let server = &snapshot.config.server;
    guards::method_allowed(req.method(), rt.spec.handshake)?;
    let source = guards::allowed_source(&rt, server, peer, req.headers())?;
    guards::within_rate_limit(&rt)?;
    if req.method() == http::Method::GET {
        let reply = handshake::answer_get(&rt.spec, req.uri().query())?;
        return Ok(Answer::Handshake(reply));
    }
    let (parts, body) = guards::read_body(req, server).await?;
    let received_at = clock();
    if let Some(found) = handshake::recognise_post(&rt.spec, parts.uri.query(), &body) {
        if found.signed {
            guards::authenticate(&rt, &parts.headers, &body, received_at / 1000)?;
        }
        return Ok(Answer::Handshake(found.reply));
    }
    guards::authenticate(&rt, &parts.headers, &body, received_at / 1000)?;
    let located = guards::locate_event(&rt, &parts, &body)?;
    trail.event_type = located.event_type.clone();
    subscribed(&rt.spec, &located)?;
    let request = Received {
        parts,
        body,
        source,
        received_at,
    };
    Ok(store(app, &rt, request, located).await?)
}

/// Check 8: an event type the listener does not subscribe to is answered 200 and dropped.
fn subscribed(spec: &ListenerSpec, located: &Located) -> Result<(), Answer> {
    if spec.subscribes(located.event_type.as_deref()) {
        Ok(())
    } else {
        Err(Answer::Filtered {
            event_type: located.event_type.clone(),
        })
    }
}

/// A request that passed the checks.
struct Received {
    parts: Parts,
    body: Bytes,
    source: Option<IpAddr>,
    received_at: i64,
}

/// Checks 9–10: de-duplication and the durable commit, in one store job.
async fn store(
    app: &App,
    rt: &ListenerRuntime,
    request: Received,
    located: Located,
) -> Result<Answer, Refusal> {
    let spec = &rt.spec;
    let headers = &request.parts.headers;
    let kept_headers = storable_headers(headers, spec);
    let facts = EventFacts {
        event_type: located.event_type.clone(),
        provider: spec.provider.clone(),
        account_id: spec.account_id.clone(),
        headers: kept_headers.clone(),
    };
    let urls = rules::matching_urls(&spec.receivers, &request.body, facts).await;
    let source = accept::KeySource {
        headers,
        query: request.parts.uri.query(),
        body: &request.body,
    };
    let order_keys = accept::order_keys(spec.receivers.iter().map(|r| &**r), &urls, &source);
    let draft = StoredEvent {
        event_type: located.event_type,
        provider_event_id: located.provider_event_id,
        received_at: request.received_at,
        source_ip: request.source.map(|ip| ip.to_string()),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        headers: kept_headers,
        body: request.body,
        ..StoredEvent::received_now(&spec.id, &spec.provider, &spec.account_id)
    };
    let accepted = accept::accept(
        &app.store,
        &app.dispatcher,
        draft,
        urls,
        order_keys,
        WhenBusy::Refuse,
    );
    match accepted.await {
        Ok(Acceptance::Stored {
            event_id,
            deliveries,
        }) => Ok(Answer::Accepted {
            event_id,
            deliveries,
        }),
        Ok(Acceptance::Duplicate { original_event_id }) => Ok(Answer::Duplicate {
            event_id: original_event_id,
        }),
        Err(e) => {
            tracing::error!(listener = %spec.id, error = %e, "store refused an event; answering 503");
            Err(Refusal::Unavailable {
                busy: matches!(e, StoreError::Full),
            })
        }
    }
}

/// Request headers worth keeping (for `forward_headers` and the event log), without credentials.
pub(crate) fn storable_headers(
    headers: &http::HeaderMap,
    spec: &ListenerSpec,
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
