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
use crate::store::now_ms;
use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use std::net::SocketAddr;
use std::sync::Arc;

/// Routes a request on the public address.
pub async fn route(app: Arc<App>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    route_at(app, req, peer, now_ms).await
}

/// Routes a request with any body type; `clock` gives the time of receipt in Unix milliseconds.
pub(crate) async fn route_at<B>(
    app: Arc<App>,
    req: Request<B>,
    peer: SocketAddr,
    clock: fn() -> i64,
) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let path = req.uri().path();
    if path.starts_with(handler::LISTENER_PREFIX) {
        return handler::handle(app, req, peer, clock).await;
    }
    match path {
        "/healthz" => crate::health::healthz(),
        "/readyz" => crate::health::readyz(&app).await,
        _ => refusal::Refusal::NoSuchPath.into_response(),
    }
}
