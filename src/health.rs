//! `/healthz` (the process answers) and `/readyz` (the store takes writes, listeners are loaded).

use crate::app::App;
use crate::http_util::{self, Body};
use http::{Response, StatusCode};
use serde_json::json;
use std::time::Duration;

/// How long the readiness write may take before the store counts as unavailable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub fn healthz() -> Response<Body> {
    http_util::json(StatusCode::OK, &json!({"status": "ok"}))
}

/// Ready when a real write commits (so a full or read-only disk shows at once, not at the next
/// ingest) and the configuration has listeners loaded.
pub async fn readyz(app: &App) -> Response<Body> {
    let listeners = app.registry.load().listeners().count();
    let probe = app.store.probe();
    let reason = match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(format!("the store does not take writes: {e}")),
        Err(_) => Some("the store did not commit a write within 2s".to_string()),
    };
    match reason {
        None => http_util::json(
            StatusCode::OK,
            &json!({"status": "ready", "listeners": listeners}),
        ),
        Some(reason) => http_util::json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "unavailable", "reason": reason, "listeners": listeners}),
        ),
    }
}
