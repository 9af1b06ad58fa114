//! `/api/v1/integration_account_webhook`: list, show, create, update and (softly) delete listeners.

use super::catalog::{self, Entry};
use super::doc::ListenerDoc;
use super::input;
use super::render::{self, ManagedBy, Meta};
use super::request::{invalid, not_found, store_failed, Problem, Query};
use super::validation;
use crate::app::App;
use crate::config::{Config, ListenerSpec};
use crate::http_util::{self, Body};
use crate::registry::receiver_key;
use crate::store::{now_ms, ApiListenerRow, ListenerWrite};
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::Value;
use std::sync::Arc;

fn show(app: &App, entry: &Entry) -> Value {
    let public_url = app.registry.load().config.server.public_url.clone();
    let health = &app.dispatcher.health;
    let paused = |url: &str| health.is_paused(&receiver_key(&entry.meta.id, url));
    render::listener(&entry.doc, &entry.meta, &public_url, &paused)
}

/// GET: the live listeners, of one account when `integrationAccountId` is given, paged.
pub async fn list(app: &App, query: Option<&str>) -> Response<Body> {
    let q = Query::parse(query);
    let mut problems = Vec::new();
    let (take, skip) = q.paging(&mut problems);
    if !problems.is_empty() {
        return invalid(&problems);
    }
    let account = q.get("integrationAccountId");
    let entries = match catalog::all(app).await {
        Ok(e) => e,
        Err(e) => return store_failed(&e),
    };
    let page: Vec<Value> = entries
        .iter()
        .filter(|e| e.meta.deleted_at.is_none())
        .filter(|e| account.is_none_or(|a| e.doc.integration_account_id == a))
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(take as usize)
        .map(|e| show(app, e))
        .collect();
    http_util::json(StatusCode::OK, &Value::Array(page))
}

/// GET one: deleted API listeners too, with `deleted` set.
pub async fn get(app: &App, id: &str) -> Response<Body> {
    match catalog::find(app, id).await {
        Ok(Some(entry)) => http_util::json(StatusCode::OK, &show(app, &entry)),
        Ok(None) => not_found("no listener with this id"),
        Err(e) => store_failed(&e),
    }
}

fn managed_by_config() -> Response<Body> {
    http_util::error(
        StatusCode::CONFLICT,
        "managed_by_config",
        "this listener comes from listeners.toml: change it there",
    )
}

fn clash(spec: &ListenerSpec, owner: Option<&str>) -> Response<Body> {
    let message = match owner {
        Some(id) => format!(
            "({}, {}) already has a listener: {id}",
            spec.provider, spec.account_id
        ),
        None => format!(
            "({}, {}) already has a listener",
            spec.provider, spec.account_id
        ),
    };
    http_util::error(StatusCode::CONFLICT, "conflict", &message)
}

/// Reads and validates a body into a listener; `Err` lists every problem: those of the JSON
/// shape, then those the config validator finds in the rest.
fn read(
    body: &[u8],
    id: &str,
    stored: Option<&ListenerDoc>,
    config: &Config,
) -> Result<ListenerSpec, Vec<Problem>> {
    let (doc, mut problems) = input::read_listener(body, id, stored)?;
    match validation::check(id, &doc, config) {
        Ok(spec) if problems.is_empty() => return Ok(spec),
        Ok(_) => {}
        Err(more) => {
            // A field already refused for its shape holds a stand-in value: skip what the
            // validator says about that stand-in.
            let shaped: Vec<String> = problems.iter().map(|p| p.field.clone()).collect();
            problems.extend(more.into_iter().filter(|p| {
                !shaped.iter().any(|f| {
                    p.field == *f
                        || p.field.starts_with(&format!("{f}."))
                        || p.field.starts_with(&format!("{f}["))
                })
            }));
        }
    }
    Err(problems)
}

fn row(spec: &ListenerSpec, created_at: i64, updated_at: i64) -> ApiListenerRow {
    ApiListenerRow {
        id: spec.id.clone(),
        provider: spec.provider.clone(),
        account_id: spec.account_id.clone(),
        // The canonical form of what was validated, so a restart rebuilds the same listener.
        doc: serde_json::to_string(&ListenerDoc::from(spec)).unwrap_or_default(),
        created_at,
        updated_at,
        deleted_at: None,
    }
}

fn entry(spec: &ListenerSpec, created_at: i64, updated_at: i64) -> Entry {
    Entry {
        doc: ListenerDoc::from(spec),
        meta: Meta {
            id: spec.id.clone(),
            managed_by: ManagedBy::Api,
            created_at,
            updated_at,
            deleted_at: None,
        },
    }
}

/// POST: validates like `hookgate check`, stores, and puts the listener in service; 201.
pub async fn create(app: &App, body: Bytes, caller: &str) -> Response<Body> {
    let _edit = app.registry.edits.lock().await;
    let config = app.registry.load().config.clone();
    let id = uuid::Uuid::new_v4().to_string();
    let spec = match read(&body, &id, None, &config) {
        Ok(s) => s,
        Err(problems) => return invalid(&problems),
    };
    if let Some(owner) = catalog::config_owner(&config, &spec.provider, &spec.account_id) {
        return clash(&spec, Some(owner));
    }
    let now = now_ms();
    match app.store.insert_api_listener(row(&spec, now, now)).await {
        Ok(ListenerWrite::Done) => {}
        Ok(_) => return clash(&spec, None),
        Err(e) => return store_failed(&e),
    }
    tracing::info!(listener = %id, provider = %spec.provider, token = caller, "listener created through the management API");
    let shown = show(app, &entry(&spec, now, now));
    catalog::announce(app, "account.created", &spec, ManagedBy::Api);
    app.registry.upsert_api_listener(Arc::new(spec));
    http_util::json(StatusCode::CREATED, &shown)
}

/// PUT: replaces an API listener's definition (`"***"` keeps a stored secret); 200.
pub async fn update(app: &App, id: &str, body: Bytes, caller: &str) -> Response<Body> {
    if catalog::is_config_listener(&app.registry.load().config, id) {
        return managed_by_config();
    }
    let _edit = app.registry.edits.lock().await;
    let config = app.registry.load().config.clone();
    // A file listener added by a reload while we waited for the lock.
    if catalog::is_config_listener(&config, id) {
        return managed_by_config();
    }
    let stored = match app.store.api_listener(id).await {
        Ok(Some(r)) if r.deleted_at.is_none() => r,
        Ok(_) => return not_found("no listener with this id"),
        Err(e) => return store_failed(&e),
    };
    let Some(old) = catalog::api_entry(&stored) else {
        return http_util::error(
            StatusCode::CONFLICT,
            "unreadable",
            "the stored listener cannot be read; delete it and create it again",
        );
    };
    let spec = match read(&body, id, Some(&old.doc), &config) {
        Ok(s) => s,
        Err(problems) => return invalid(&problems),
    };
    if let Some(owner) = catalog::config_owner(&config, &spec.provider, &spec.account_id) {
        return clash(&spec, Some(owner));
    }
    let now = now_ms();
    match app
        .store
        .update_api_listener(row(&spec, stored.created_at, now))
        .await
    {
        Ok(ListenerWrite::Done) => {}
        Ok(ListenerWrite::Clash) => return clash(&spec, None),
        Ok(ListenerWrite::Missing) => return not_found("no listener with this id"),
        Err(e) => return store_failed(&e),
    }
    tracing::info!(listener = %id, token = caller, "listener updated through the management API");
    let shown = show(app, &entry(&spec, stored.created_at, now));
    catalog::announce(app, "account.updated", &spec, ManagedBy::Api);
    app.registry.upsert_api_listener(Arc::new(spec));
    http_util::json(StatusCode::OK, &shown)
}

/// DELETE: a soft delete; the row stays with `deleted` set and the listener URL answers 404.
pub async fn delete(app: &App, id: &str, caller: &str) -> Response<Body> {
    if catalog::is_config_listener(&app.registry.load().config, id) {
        return managed_by_config();
    }
    let _edit = app.registry.edits.lock().await;
    if catalog::is_config_listener(&app.registry.load().config, id) {
        return managed_by_config();
    }
    match app.store.delete_api_listener(id, now_ms()).await {
        Ok(ListenerWrite::Done) => {}
        Ok(_) => return not_found("no listener with this id"),
        Err(e) => return store_failed(&e),
    }
    if let Some(live) = app.registry.load().listener(id) {
        catalog::announce(app, "account.deleted", &live.spec, ManagedBy::Api);
    }
    app.registry.remove_api_listener(id);
    tracing::info!(listener = %id, token = caller, "listener deleted through the management API");
    get(app, id).await
}
