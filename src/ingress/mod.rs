//! The provider-facing side: routing, the listener checks, and health on the public address.

pub mod answer;
pub mod auth;
pub mod body;
pub mod event;
pub mod guards;
pub mod handler;
pub mod handshake;
mod pluck;
pub mod refusal;
pub mod source;

use crate::app::App;
use crate::http_util::Body;
use http::{Request, Response};
use hyper::body::Incoming;
use std::net::SocketAddr;
use std::sync::Arc;

/// Routes a request on the public address.
pub async fn route(app: Arc<App>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    let path = req.uri().path();
    if path.starts_with(handler::LISTENER_PREFIX) {
        return handler::handle(app, req, peer).await;
    }
    match path {
        "/healthz" => crate::health::healthz(),
        "/readyz" => crate::health::readyz(&app).await,
        _ => refusal::Refusal::NoSuchPath.into_response(),
    }
}
