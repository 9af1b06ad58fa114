//! `/api/v1/integration_account_webhook`: list, show, create, update and (softly) delete listeners.

use super::doc::ListenerDoc;
use super::input;
use super::render;
use super::request::{invalid, not_found, store_failed, Problem, Query};
use super::validation;
use crate::app::App;
use crate::config::{Config, ListenerSpec};
use crate::http_util::{self, Body};
use crate::listeners::{catalog, edits, receiver_key, EditError, Entry};
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::Value;

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

/// The answer to an edit that did not happen.
fn refused<E>(e: EditError<E>, invalid_answer: impl FnOnce(E) -> Response<Body>) -> Response<Body> {
    match e {
        EditError::Invalid(problems) => invalid_answer(problems),
        EditError::Clash {
            provider,
            account,
            owner,
        } => {
            let message = match owner {
                Some(id) => format!("({provider}, {account}) already has a listener: {id}"),
                None => format!("({provider}, {account}) already has a listener"),
            };
            http_util::error(StatusCode::CONFLICT, "conflict", &message)
        }
        EditError::ManagedByConfig => http_util::error(
            StatusCode::CONFLICT,
            "managed_by_config",
            "this listener comes from listeners.toml: change it there",
        ),
        EditError::NotFound => not_found("no listener with this id"),
        EditError::Unreadable => http_util::error(
            StatusCode::CONFLICT,
            "unreadable",
            "the stored listener cannot be read; delete it and create it again",
        ),
        EditError::Store(e) => store_failed(&e),
    }
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

/// POST: validates like `hookgate check`, stores, and puts the listener in service; 201.
pub async fn create(app: &App, body: Bytes, caller: &str) -> Response<Body> {
    match edits::create(app, |id, config| read(&body, id, None, config)).await {
        Ok(made) => {
            tracing::info!(listener = %made.meta.id, provider = %made.doc.provider, token = caller, "listener created through the management API");
            http_util::json(StatusCode::CREATED, &show(app, &made))
        }
        Err(e) => refused(e, |problems| invalid(&problems)),
    }
}

/// PUT: replaces an API listener's definition (`"***"` keeps a stored secret); 200.
pub async fn update(app: &App, id: &str, body: Bytes, caller: &str) -> Response<Body> {
    let read = |config: &Config, stored: &ListenerDoc| read(&body, id, Some(stored), config);
    match edits::update(app, id, read).await {
        Ok(changed) => {
            tracing::info!(listener = %id, token = caller, "listener updated through the management API");
            http_util::json(StatusCode::OK, &show(app, &changed))
        }
        Err(e) => refused(e, |problems| invalid(&problems)),
    }
}

/// DELETE: a soft delete; the row stays with `deleted` set and the listener URL answers 404.
pub async fn delete(app: &App, id: &str, caller: &str) -> Response<Body> {
    if let Err(e) = edits::delete(app, id).await {
        return refused(e, |never| match never {});
    }
    tracing::info!(listener = %id, token = caller, "listener deleted through the management API");
    get(app, id).await
}
