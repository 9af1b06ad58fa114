//! The event log: a listener's events (paged, filtered), one event with every attempt, queueing
//! its deliveries again, deleting it.

use super::error::{ApiError, ApiResult};
use super::render;
use super::request::{Problem, Query};
use crate::app::App;
use crate::http_util;
use crate::listeners::{catalog, SYSTEM_LISTENER_ID};
use crate::store::{now_ms, EventFilter};
use http::StatusCode;
use serde_json::{json, Value};

/// The delivery statuses a `status` filter may name.
pub const STATUSES: [&str; 3] = ["pending", "succeeded", "failed"];

/// GET `…/{id}/events`: newest first, `take`/`skip`, `status` (events with a delivery in that
/// status), `eventType`, and `totalEventsCount` for the whole filtered set.
pub async fn list(app: &App, listener_id: &str, query: Option<&str>) -> ApiResult {
    let q = Query::parse(query);
    let mut problems = Vec::new();
    let (take, skip) = q.paging(&mut problems);
    let status = q.get("status").map(str::to_string);
    if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        problems.push(Problem::new(
            "status",
            "must be pending, succeeded or failed",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    // The gateway's own events (SPEC §6) are listed under the system listener's id.
    let system = listener_id == SYSTEM_LISTENER_ID;
    if !system && catalog::find(app, listener_id).await?.is_none() {
        return Err(ApiError::not_found("no listener with this id"));
    }
    let filter = EventFilter {
        take,
        skip,
        status,
        event_type: q.get("eventType").map(str::to_string),
    };
    let (events, total) = app.store.list_events(listener_id, filter).await?;
    Ok(http_util::json(
        StatusCode::OK,
        &json!({
            "events": events.iter().map(|e| render::event(e, false)).collect::<Vec<Value>>(),
            "totalEventsCount": total,
        }),
    ))
}

fn no_event() -> ApiError {
    ApiError::not_found("no event with this id")
}

/// GET `/api/v1/events/{eventId}`: the event, its payload, deliveries and every attempt.
pub async fn get(app: &App, event_id: &str) -> ApiResult {
    let event = app
        .store
        .event_detail(event_id)
        .await?
        .ok_or_else(no_event)?;
    Ok(http_util::json(
        StatusCode::OK,
        &render::event(&event, true),
    ))
}

/// POST `…/retry`: the failed deliveries (`?all=true`: every one) are due now; 202.
/// A delivery retried after its last allowed attempt gets one more attempt; a paused receiver
/// among them is resumed.
pub async fn retry(app: &App, event_id: &str, query: Option<&str>) -> ApiResult {
    let q = Query::parse(query);
    let mut problems = Vec::new();
    let all = q.flag("all", false, &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let retried = app
        .store
        .retry_event(event_id, all, now_ms())
        .await?
        .ok_or_else(no_event)?;
    // A retry asked for by hand says the receiver is fixed: a paused one is resumed, or it
    // would hold the retried delivery back.
    if let Ok(Some(e)) = app.store.event_detail(event_id).await {
        for d in &e.deliveries {
            super::receivers::resume_one(app, &e.listener_id, &d.receiver_url).await?;
        }
    }
    app.metrics.pending_add(retried.newly_pending as i64);
    app.dispatcher.wake();
    tracing::info!(event = %event_id, queued = retried.queued, all, "deliveries queued again");
    Ok(http_util::json(
        StatusCode::ACCEPTED,
        &json!({"success": true, "eventId": event_id, "queued": retried.queued}),
    ))
}

/// DELETE `/api/v1/events/{eventId}`: the event, its deliveries and their attempts.
pub async fn delete(app: &App, event_id: &str) -> ApiResult {
    let pending = app
        .store
        .delete_event(event_id)
        .await?
        .ok_or_else(no_event)?;
    app.metrics.pending_add(-(pending as i64));
    tracing::info!(event = %event_id, "event deleted");
    Ok(http_util::json(
        StatusCode::OK,
        &json!({"success": true, "eventId": event_id}),
    ))
}
