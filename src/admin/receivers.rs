//! `POST …/{id}/resume`: lifting the pause of receivers that failed for `pause_after`, so what
//! they missed is delivered at once (the operator says the receiver is fixed).

use super::request::{not_found, store_failed};
use crate::app::App;
use crate::http_util::{self, Body};
use crate::registry::receiver_key;
use http::{Response, StatusCode};
use serde_json::json;

/// Resumes every paused receiver of a live listener; answers the URLs that were resumed.
pub async fn resume(app: &App, listener_id: &str) -> Response<Body> {
    let Some(rt) = app.registry.load().listener(listener_id).cloned() else {
        return not_found("no listener in service with this id");
    };
    let mut resumed = Vec::new();
    for r in &rt.spec.receivers {
        let url = r.url.to_string();
        match resume_one(app, listener_id, &url).await {
            Ok(true) => resumed.push(url),
            Ok(false) => {}
            Err(resp) => return resp,
        }
    }
    http_util::json(
        StatusCode::OK,
        &json!({"success": true, "resumed": resumed}),
    )
}

/// Resumes one receiver if it is paused; `Ok(false)` when it was not.
pub async fn resume_one(app: &App, listener_id: &str, url: &str) -> Result<bool, Response<Body>> {
    if !app
        .dispatcher
        .health
        .is_paused(&receiver_key(listener_id, url))
    {
        return Ok(false);
    }
    app.dispatcher
        .resume_receiver(&app.store, listener_id, url)
        .await
        .map_err(|e| store_failed(&e))
}
