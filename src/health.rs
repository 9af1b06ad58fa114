//! `/healthz` (the process answers) and `/readyz` (the store takes writes, listeners are loaded).

use crate::app::App;
use crate::http_util::{self, Body};
use http::{Response, StatusCode};
use serde_json::json;
use std::sync::atomic::Ordering;

pub fn healthz() -> Response<Body> {
    http_util::json(StatusCode::OK, &json!({"status": "ok"}))
}

pub fn readyz(app: &App) -> Response<Body> {
    let store_ok = app.store.stats().healthy.load(Ordering::Relaxed);
    let listeners = app.registry.load().config.listeners.len();
    if store_ok {
        http_util::json(
            StatusCode::OK,
            &json!({"status": "ready", "listeners": listeners}),
        )
    } else {
        http_util::json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "unavailable", "reason": "the store's last commit failed", "listeners": listeners}),
        )
    }
}
