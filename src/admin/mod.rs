//! The admin address: health, metrics and (later) the management API.

use crate::app::App;
use crate::http_util::{self, Body};
use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use std::net::SocketAddr;
use std::sync::Arc;

/// Routes a request on the admin address.
pub async fn route(app: Arc<App>, req: Request<Incoming>, _peer: SocketAddr) -> Response<Body> {
    match req.uri().path() {
        "/healthz" => crate::health::healthz(),
        "/readyz" => crate::health::readyz(&app).await,
        "/metrics" => metrics(&app),
        _ => http_util::error(StatusCode::NOT_FOUND, "not_found", "no such path"),
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
