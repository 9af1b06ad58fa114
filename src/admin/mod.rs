//! The admin address: health, metrics, the OpenAPI document and the management API (SPEC §5).
//!
//! Routing is on method and path segments (`routes`), on the same hyper stack as the listener
//! endpoint. Every `/api/` call is authenticated first (`auth`), so an unknown caller learns
//! nothing about which paths or ids exist; then the route, then the token's scope.

mod auth;
mod dashboard;
pub mod doc;
pub mod error;
mod event_types;
mod events;
pub mod input;
pub(crate) mod listeners;
mod openapi;
mod overview;
mod receivers;
pub mod render;
pub(crate) mod request;
pub mod routes;
mod test_event;
pub mod validation;

use crate::app::App;
use crate::http_util::Body;
use bytes::Bytes;
use error::{ApiError, ApiResult};
use http::{header, HeaderValue, Method, Request, Response};
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
        if let Some(asset) = dashboard::asset(path) {
            return dashboard::serve(asset, req.method());
        }
        return ApiError::not_found("no such path").into_response();
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return ApiError::WrongMethod("GET, HEAD").into_response();
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

/// Authenticates, resolves, checks the scope, then runs the endpoint.
async fn api(app: &App, req: Request<Incoming>) -> Response<Body> {
    call(app, req).await.unwrap_or_else(ApiError::into_response)
}

async fn call(app: &App, req: Request<Incoming>) -> ApiResult {
    let config = app.registry.load().config.clone();
    let token =
        auth::identify(req.headers(), &config.admin_tokens).map_err(|_| ApiError::Unauthorized)?;
    let (endpoint, scope) = match routes::resolve(req.method(), req.uri().path()) {
        Resolved::Found(e, s) => (e, s),
        Resolved::WrongMethod(allow) => return Err(ApiError::WrongMethod(allow)),
        Resolved::NotFound => return Err(ApiError::not_found("no such path")),
    };
    auth::permit(token, scope).map_err(|_| ApiError::Forbidden(scope.name()))?;
    let caller = token.name.clone();
    let query = req.uri().query().map(str::to_string);
    let query = query.as_deref();
    tracing::debug!(token = %caller, endpoint = ?endpoint, "management API call");
    let body = || request::body(req.into_body());
    Ok(match endpoint {
        Endpoint::ListListeners => listeners::list(app, query).await?,
        Endpoint::GetListener(id) => listeners::get(app, &id).await?,
        Endpoint::CreateListener => listeners::create(app, body().await?, &caller).await?,
        Endpoint::UpdateListener(id) => listeners::update(app, &id, body().await?, &caller).await?,
        Endpoint::DeleteListener(id) => listeners::delete(app, &id, &caller).await?,
        Endpoint::TestListener(id) => test_event::send(app, &id, body().await?).await?,
        Endpoint::ResumeListener(id) => receivers::resume(app, &id).await?,
        Endpoint::ListenerEvents(id) => events::list(app, &id, query).await?,
        Endpoint::GetEvent(id) => events::get(app, &id).await?,
        Endpoint::RetryEvent(id) => events::retry(app, &id, query).await?,
        Endpoint::DeleteEvent(id) => events::delete(app, &id).await?,
        Endpoint::EventTypes => event_types::list(query),
        Endpoint::Whoami => overview::whoami(token)?,
        Endpoint::Overview => overview::overview(app).await?,
    })
}
