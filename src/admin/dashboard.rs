//! The web dashboard (SPEC §11): a page, a style sheet and a few ES modules from `web/`, built
//! into the binary. They hold no data, so they need no token; every figure the page shows
//! comes from the management API, called with the token the user typed. Every answer carries
//! `Content-Security-Policy: default-src 'self'`: nothing inline, nothing from elsewhere.

use super::error::ApiError;
use crate::http_util::Body;
use bytes::Bytes;
use http::{header, HeaderValue, Method, Response};
use http_body_util::Full;

/// The policy of every dashboard answer.
pub const POLICY: &str = "default-src 'self'";

/// One file of the dashboard.
#[derive(Debug)]
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! asset {
    ($path:literal, $type:expr, $file:literal) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_str!(concat!("../../web/", $file)),
        }
    };
}

/// Every file served, by path.
pub const ASSETS: [Asset; 11] = [
    asset!("/", HTML, "index.html"),
    asset!("/assets/app.css", CSS, "app.css"),
    asset!("/assets/icon.svg", SVG, "icon.svg"),
    asset!("/assets/app.js", JS, "js/app.js"),
    asset!("/assets/api.js", JS, "js/api.js"),
    asset!("/assets/ui.js", JS, "js/ui.js"),
    asset!("/assets/overview.js", JS, "js/overview.js"),
    asset!("/assets/listeners.js", JS, "js/listeners.js"),
    asset!("/assets/events.js", JS, "js/events.js"),
    asset!("/assets/detail.js", JS, "js/detail.js"),
    asset!("/assets/chart.js", JS, "js/chart.js"),
];

/// The dashboard file at `path`, if it is one.
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// Answers GET or HEAD for `asset` (HEAD gets the headers and an empty body).
pub fn serve(asset: &Asset, method: &Method) -> Response<Body> {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return ApiError::WrongMethod("GET, HEAD").into_response();
    }
    let body = if *method == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from_static(asset.body.as_bytes())
    };
    let mut resp = Response::new(Full::new(body));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // The files change with the binary: always ask again (they are small, and a stale module
    // next to a new one would break the page).
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

#[cfg(test)]
mod tests;
