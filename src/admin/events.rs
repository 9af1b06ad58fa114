//! The event log: a listener's events (paged, filtered), one event with every attempt, queueing
//! its deliveries again, deleting it.

use super::catalog;
use super::render;
use super::request::{invalid, not_found, store_failed, Problem, Query};
use crate::app::App;
use crate::http_util::{self, Body};
use crate::store::{now_ms, EventFilter};
use http::{Response, StatusCode};
use serde_json::{json, Value};

/// The delivery statuses a `status` filter may name.
pub const STATUSES: [&str; 3] = ["pending", "succeeded", "failed"];

/// GET `…/{id}/events`: newest first, `take`/`skip`, `status` (events with a delivery in that
/// status), `eventType`, and `totalEventsCount` for the whole filtered set.
pub async fn list(app: &App, listener_id: &str, query: Option<&str>) -> Response<Body> {
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
        return invalid(&problems);
    }
    match catalog::find(app, listener_id).await {
        Ok(Some(_)) => {}
        Ok(None) => return not_found("no listener with this id"),
        Err(e) => return store_failed(&e),
    }
    let filter = EventFilter {
        take,
        skip,
        status,
        event_type: q.get("eventType").map(str::to_string),
    };
    match app.store.list_events(listener_id, filter).await {
        Ok((events, total)) => http_util::json(
            StatusCode::OK,
            &json!({
                "events": events.iter().map(|e| render::event(e, false)).collect::<Vec<Value>>(),
                "totalEventsCount": total,
            }),
        ),
        Err(e) => store_failed(&e),
    }
}

/// GET `/api/v1/events/{eventId}`: the event, its payload, deliveries and every attempt.
pub async fn get(app: &App, event_id: &str) -> Response<Body> {
    match app.store.event_detail(event_id).await {
        Ok(Some(e)) => http_util::json(StatusCode::OK, &render::event(&e, true)),
        Ok(None) => not_found("no event with this id"),
        Err(e) => store_failed(&e),
    }
}

/// POST `…/retry`: the failed deliveries (`?all=true`: every one) are due now; 202.
/// A delivery retried after its last allowed attempt gets one more attempt; a paused receiver
/// among them is resumed.
pub async fn retry(app: &App, event_id: &str, query: Option<&str>) -> Response<Body> {
    let q = Query::parse(query);
    let mut problems = Vec::new();
    let all = q.flag("all", false, &mut problems);
    if !problems.is_empty() {
        return invalid(&problems);
    }
    match app.store.retry_event(event_id, all, now_ms()).await {
        Ok(Some(r)) => {
            // A retry asked for by hand says the receiver is fixed: a paused one is resumed,
            // or it would hold the retried delivery back.
            if let Ok(Some(e)) = app.store.event_detail(event_id).await {
                for d in &e.deliveries {
                    if let Err(resp) =
                        super::receivers::resume_one(app, &e.listener_id, &d.receiver_url).await
                    {
                        return resp;
                    }
                }
            }
            app.metrics.pending_add(r.newly_pending as i64);
            app.dispatcher.wake();
            tracing::info!(event = %event_id, queued = r.queued, all, "deliveries queued again");
            http_util::json(
                StatusCode::ACCEPTED,
                &json!({"success": true, "eventId": event_id, "queued": r.queued}),
            )
        }
        Ok(None) => not_found("no event with this id"),
        Err(e) => store_failed(&e),
    }
}

/// DELETE `/api/v1/events/{eventId}`: the event, its deliveries and their attempts.
pub async fn delete(app: &App, event_id: &str) -> Response<Body> {
    match app.store.delete_event(event_id).await {
        Ok(Some(pending)) => {
            app.metrics.pending_add(-(pending as i64));
            tracing::info!(event = %event_id, "event deleted");
            http_util::json(
                StatusCode::OK,
                &json!({"success": true, "eventId": event_id}),
            )
        }
        Ok(None) => not_found("no event with this id"),
        Err(e) => store_failed(&e),
    }
}
