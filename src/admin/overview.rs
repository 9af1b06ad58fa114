//! What the dashboard asks besides the listener and event calls: who the caller is (its token's
//! scopes, so it shows only the buttons they allow) and the last hour at a glance.

use super::auth::Scope;
use super::error::ApiResult;
use crate::app::App;
use crate::config::AdminToken;
use crate::http_util::{self, rfc3339_ms};
use crate::listeners::receiver_key;
use crate::recent::MinuteCounts;
use crate::store::now_ms;
use http::StatusCode;
use serde_json::{json, Value};

/// GET `/api/v1/whoami`: the token's name and the scopes it has (any known token may ask).
pub fn whoami(token: &AdminToken) -> ApiResult {
    let known = [Scope::View, Scope::Add, Scope::Edit, Scope::Remove];
    let scopes: Vec<&str> = known
        .iter()
        .map(|s| s.name())
        .filter(|name| token.scopes.iter().any(|s| s == name))
        .collect();
    Ok(http_util::json(
        StatusCode::OK,
        &json!({"name": token.name, "scopes": scopes}),
    ))
}

fn minute_json(m: &MinuteCounts) -> Value {
    json!({
        "minute": rfc3339_ms(m.minute * 60_000),
        "accepted": m.accepted,
        "filtered": m.filtered,
        "duplicate": m.duplicate,
        "refused": m.refused,
        "failed": m.failed,
    })
}

/// The receivers (of listeners and system webhooks) that are failing or paused now.
fn unhealthy_receivers(app: &App) -> Vec<Value> {
    let snapshot = app.registry.load();
    let listeners = snapshot.listeners().flat_map(|l| {
        let id = l.spec.id.clone();
        l.spec
            .receivers
            .iter()
            .map(move |r| (id.clone(), r.url.to_string()))
    });
    let system = snapshot.config.system_webhooks.iter().map(|s| {
        let id = crate::listeners::SYSTEM_LISTENER_ID.to_string();
        (id, s.receiver.url.to_string())
    });
    let mut out = Vec::new();
    for (listener_id, url) in listeners.chain(system) {
        let health = app.dispatcher.health.get(&receiver_key(&listener_id, &url));
        if health.failing_since.is_none() && health.paused_at.is_none() {
            continue;
        }
        out.push(json!({
            "listenerId": listener_id,
            "url": url,
            "failingSince": health.failing_since.map(rfc3339_ms),
            "pausedAt": health.paused_at.map(rfc3339_ms),
        }));
    }
    out
}

/// GET `/api/v1/overview`: this process's last hour minute by minute with its totals, the
/// deliveries waiting in the store, and the receivers failing or paused.
pub async fn overview(app: &App) -> ApiResult {
    let pending = app.store.pending_count().await?;
    let minutes = app.metrics.recent.last_hour(now_ms());
    let total = minutes.iter().fold(MinuteCounts::default(), |mut t, m| {
        t.accepted += m.accepted;
        t.filtered += m.filtered;
        t.duplicate += m.duplicate;
        t.refused += m.refused;
        t.failed += m.failed;
        t
    });
    let mut last_hour = minute_json(&total);
    if let Some(o) = last_hour.as_object_mut() {
        o.remove("minute");
    }
    Ok(http_util::json(
        StatusCode::OK,
        &json!({
            "lastHour": last_hour,
            "pending": pending.max(0),
            "perMinute": minutes.iter().map(minute_json).collect::<Vec<Value>>(),
            "unhealthyReceivers": unhealthy_receivers(app),
        }),
    ))
}
