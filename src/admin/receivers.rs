//! `POST …/{id}/resume`: lifting the pause of receivers that failed for `pause_after`, so what
//! they missed is delivered at once (the operator says the receiver is fixed).

use super::error::{ApiError, ApiResult};
use crate::app::App;
use crate::http_util;
use crate::listeners::receiver_key;
use http::StatusCode;
use serde_json::json;

/// Resumes every paused receiver of a live listener; answers the URLs that were resumed.
pub async fn resume(app: &App, listener_id: &str) -> ApiResult {
    let Some(rt) = app.registry.load().listener(listener_id).cloned() else {
        return Err(ApiError::not_found("no listener in service with this id"));
    };
    let mut resumed = Vec::new();
    for r in &rt.spec.receivers {
        let url = r.url.to_string();
        if resume_one(app, listener_id, &url).await? {
            resumed.push(url);
        }
    }
    Ok(http_util::json(
        StatusCode::OK,
        &json!({"success": true, "resumed": resumed}),
    ))
}

/// Resumes one receiver if it is paused; `Ok(false)` when it was not.
pub async fn resume_one(app: &App, listener_id: &str, url: &str) -> Result<bool, ApiError> {
    if !app
        .dispatcher
        .health
        .is_paused(&receiver_key(listener_id, url))
    {
        return Ok(false);
    }
    Ok(app
        .dispatcher
        .resume_receiver(&app.store, listener_id, url)
        .await?)
}
