//! The admin address: health, metrics, the OpenAPI document and the management API (SPEC §5).
//!
//! Routing is on method and path segments (`routes`), on the same hyper stack as the listener
//! endpoint. Every `/api/` call is authenticated first (`auth`), so an unknown caller learns
//! nothing about which paths or ids exist; then the route, then the token's scope.

mod auth;
pub mod catalog;
pub mod doc;
mod event_types;
mod events;
pub mod input;
mod listeners;
mod openapi;
mod receivers;
pub mod render;
mod request;
pub mod routes;
mod test_event;
pub mod validation;

use crate::app::App;
use crate::http_util::{self, Body};
use auth::Denied;
use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use routes::{Endpoint, Resolved};
use std::net::SocketAddr;
use std::sync::Arc;

/// Routes a request on the admin address.
pub async fn route(app: Arc<App>, req: Request<Incoming>, _peer: SocketAddr) -> Response<Body> {
    let path = req.uri().path();
    if path.starts_with("/api/") {
        return api(&app, req).await;
    }
    let open = matches!(path, "/healthz" | "/readyz" | "/metrics" | "/openapi.json");
    if !open {
        return http_util::error(StatusCode::NOT_FOUND, "not_found", "no such path");
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return wrong_method("GET, HEAD");
    }
    match path {
        "/healthz" => crate::health::healthz(),
        "/readyz" => crate::health::readyz(&app).await,
        "/metrics" => metrics(&app),
        _ => openapi::document(&app),
    }
}

fn metrics(app: &App) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(app.metrics.encode())));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    resp
}

fn wrong_method(allow: &'static str) -> Response<Body> {
    let resp = http_util::error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not take this method",
    );
    http_util::with_header(resp, header::ALLOW, allow)
}

/// Authenticates, resolves, checks the scope, then runs the endpoint.
async fn api(app: &App, req: Request<Incoming>) -> Response<Body> {
    let config = app.registry.load().config.clone();
    let token = match auth::identify(req.headers(), &config.admin_tokens) {
        Ok(t) => t,
        Err(_) => {
            return http_util::error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid token is required: Authorization: Bearer TOKEN or x-api-key: TOKEN",
            )
        }
    };
    let (endpoint, scope) = match routes::resolve(req.method(), req.uri().path()) {
        Resolved::Found(e, s) => (e, s),
        Resolved::WrongMethod(allow) => return wrong_method(allow),
        Resolved::NotFound => {
            return http_util::error(StatusCode::NOT_FOUND, "not_found", "no such path")
        }
    };
    if let Err(Denied::Forbidden | Denied::Unauthorized) = auth::permit(token, scope) {
        return http_util::error(
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!("this token lacks the {} scope", scope.name()),
        );
    }
    let caller = token.name.clone();
    let query = req.uri().query().map(str::to_string);
    let query = query.as_deref();
    tracing::debug!(token = %caller, endpoint = ?endpoint, "management API call");
    let body = || async {
        match request::body(req.into_body()).await {
            Ok(b) => Ok(b),
            Err(resp) => Err(resp),
        }
    };
    match endpoint {
        Endpoint::ListListeners => listeners::list(app, query).await,
        Endpoint::GetListener(id) => listeners::get(app, &id).await,
        Endpoint::CreateListener => match body().await {
            Ok(b) => listeners::create(app, b, &caller).await,
            Err(resp) => resp,
        },
        Endpoint::UpdateListener(id) => match body().await {
            Ok(b) => listeners::update(app, &id, b, &caller).await,
            Err(resp) => resp,
        },
        Endpoint::DeleteListener(id) => listeners::delete(app, &id, &caller).await,
        Endpoint::TestListener(id) => match body().await {
            Ok(b) => test_event::send(app, &id, b).await,
            Err(resp) => resp,
        },
        Endpoint::ResumeListener(id) => receivers::resume(app, &id).await,
        Endpoint::ListenerEvents(id) => events::list(app, &id, query).await,
        Endpoint::GetEvent(id) => events::get(app, &id).await,
        Endpoint::RetryEvent(id) => events::retry(app, &id, query).await,
        Endpoint::DeleteEvent(id) => events::delete(app, &id).await,
        Endpoint::EventTypes => event_types::list(query),
    }
}
