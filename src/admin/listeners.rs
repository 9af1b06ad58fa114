//! `/api/v1/integration_account_webhook`: list, show, create, update and (softly) delete listeners.

use super::doc::ListenerDoc;
use super::error::{ApiError, ApiResult};
use super::input;
use super::render;
use super::request::{Problem, Query};
use super::validation;
use crate::app::App;
use crate::config::{Config, ListenerSpec};
use crate::http_util;
use crate::listeners::{catalog, edits, receiver_key, EditError, Entry};
use bytes::Bytes;
use http::StatusCode;
use serde_json::Value;

fn show(app: &App, entry: &Entry) -> Value {
    let public_url = app.registry.load().config.server.public_url.clone();
    let health = &app.dispatcher.health;
    let paused = |url: &str| health.is_paused(&receiver_key(&entry.meta.id, url));
    render::listener(&entry.doc, &entry.meta, &public_url, &paused)
}

/// GET: the live listeners, of one account when `integrationAccountId` is given, paged.
pub async fn list(app: &App, query: Option<&str>) -> ApiResult {
    let q = Query::parse(query);
    let mut problems = Vec::new();
    let (take, skip) = q.paging(&mut problems);
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let account = q.get("integrationAccountId");
    let entries = catalog::all(app).await?;
    let page: Vec<Value> = entries
        .iter()
        .filter(|e| e.meta.deleted_at.is_none())
        .filter(|e| account.is_none_or(|a| e.doc.integration_account_id == a))
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(take as usize)
        .map(|e| show(app, e))
        .collect();
    Ok(http_util::json(StatusCode::OK, &Value::Array(page)))
}

/// GET one: deleted API listeners too, with `deleted` set.
pub async fn get(app: &App, id: &str) -> ApiResult {
    match catalog::find(app, id).await? {
        Some(entry) => Ok(http_util::json(StatusCode::OK, &show(app, &entry))),
        None => Err(ApiError::not_found("no listener with this id")),
    }
}

/// The answer to an edit that did not happen.
fn refused<E>(e: EditError<E>, invalid: impl FnOnce(E) -> ApiError) -> ApiError {
    match e {
        EditError::Invalid(problems) => invalid(problems),
        EditError::Clash {
            provider,
            account,
            owner,
        } => {
            let message = match owner {
                Some(id) => format!("({provider}, {account}) already has a listener: {id}"),
                None => format!("({provider}, {account}) already has a listener"),
            };
            ApiError::Conflict {
                code: "conflict",
                message,
            }
        }
        EditError::ManagedByConfig => ApiError::Conflict {
            code: "managed_by_config",
            message: "this listener comes from listeners.toml: change it there".into(),
        },
        EditError::NotFound => ApiError::not_found("no listener with this id"),
        EditError::Unreadable => ApiError::Conflict {
            code: "unreadable",
            message: "the stored listener cannot be read; delete it and create it again".into(),
        },
        EditError::Store(e) => ApiError::from(e),
    }
}

/// Reads and validates a body into a listener; `Err` lists every problem: those of the JSON
/// shape, then those the config validator finds in the rest. The answer is `secret_required`
/// when a masked secret was sent for a new destination, else `invalid_request`.
pub(crate) fn read(
    body: &[u8],
    id: &str,
    stored: Option<&ListenerDoc>,
    config: &Config,
) -> Result<ListenerSpec, ApiError> {
    let read = input::read_listener(body, id, stored)?;
    let secret_required = read.secret_required;
    validated(id, &read.doc, read.problems, config).map_err(|problems| {
        if secret_required {
            ApiError::SecretRequired(problems)
        } else {
            ApiError::Invalid(problems)
        }
    })
}

/// The listener when `doc` is valid and there were no `problems` before; else every problem.
fn validated(
    id: &str,
    doc: &ListenerDoc,
    mut problems: Vec<Problem>,
    config: &Config,
) -> Result<ListenerSpec, Vec<Problem>> {
    match validation::check(id, doc, config) {
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
pub async fn create(app: &App, body: Bytes, caller: &str) -> ApiResult {
    match edits::create(app, |id, config| read(&body, id, None, config)).await {
        Ok(made) => {
            tracing::info!(listener = %made.meta.id, provider = %made.doc.provider, token = caller, "listener created through the management API");
            Ok(http_util::json(StatusCode::CREATED, &show(app, &made)))
        }
        Err(e) => Err(refused(e, |e| e)),
    }
}

/// PUT: replaces an API listener's definition (`"***"` keeps a stored secret); 200.
pub async fn update(app: &App, id: &str, body: Bytes, caller: &str) -> ApiResult {
    let read = |config: &Config, stored: &ListenerDoc| read(&body, id, Some(stored), config);
    match edits::update(app, id, read).await {
        Ok(changed) => {
            tracing::info!(listener = %id, token = caller, "listener updated through the management API");
            Ok(http_util::json(StatusCode::OK, &show(app, &changed)))
        }
        Err(e) => Err(refused(e, |e| e)),
    }
}

/// DELETE: a soft delete; the row stays with `deleted` set and the listener URL answers 404.
pub async fn delete(app: &App, id: &str, caller: &str) -> ApiResult {
    edits::delete(app, id)
        .await
        .map_err(|e| refused(e, |never| match never {}))?;
    tracing::info!(listener = %id, token = caller, "listener deleted through the management API");
    get(app, id).await
}
