//! Changes to the set of listeners. Each runs alone: an API edit's clash checks, store write and
//! registry update cannot interleave with another edit, a reload, or the recording of the file
//! listeners' load times. Readers (the hot path) never wait for any of them.

use super::catalog::{self, Entry, ManagedBy, Meta};
use crate::admin::doc::ListenerDoc;
use crate::app::App;
use crate::config::{Config, ListenerSpec};
use crate::store::{now_ms, ApiListenerRow, ListenerWrite, StoreError};
use std::sync::Arc;

/// Why an edit did not happen. `E` is what the caller's reading of the request refused.
#[derive(Debug)]
pub enum EditError<E> {
    /// The request does not describe a valid listener.
    Invalid(E),
    /// (provider, account) already has a listener: `owner` when it is a file listener.
    Clash {
        provider: String,
        account: String,
        owner: Option<String>,
    },
    /// The listener comes from listeners.toml.
    ManagedByConfig,
    NotFound,
    /// The stored listener cannot be read.
    Unreadable,
    Store(StoreError),
}

impl<E> From<StoreError> for EditError<E> {
    fn from(e: StoreError) -> Self {
        EditError::Store(e)
    }
}

fn clash<E>(spec: &ListenerSpec, owner: Option<&str>) -> EditError<E> {
    EditError::Clash {
        provider: spec.provider.clone(),
        account: spec.account_id.clone(),
        owner: owner.map(str::to_string),
    }
}

/// An API listener may not take the (provider, account) of a file listener.
fn free_of_file<E>(config: &Config, spec: &ListenerSpec) -> Result<(), EditError<E>> {
    match catalog::config_owner(config, &spec.provider, &spec.account_id) {
        Some(owner) => Err(clash(spec, Some(owner))),
        None => Ok(()),
    }
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

/// Creates an API listener: `read` turns the request into a listener with the new id under
/// the running configuration. Stored, announced and in service when this returns.
pub async fn create<E>(
    app: &App,
    read: impl FnOnce(&str, &Config) -> Result<ListenerSpec, E>,
) -> Result<Entry, EditError<E>> {
    let _edit = app.registry.edits.lock().await;
    let config = app.registry.load().config.clone();
    let id = uuid::Uuid::new_v4().to_string();
    let spec = read(&id, &config).map_err(EditError::Invalid)?;
    free_of_file(&config, &spec)?;
    let now = now_ms();
    match app.store.insert_api_listener(row(&spec, now, now)).await? {
        ListenerWrite::Done => {}
        _ => return Err(clash(&spec, None)),
    }
    let made = entry(&spec, now, now);
    catalog::announce(app, "account.created", &spec, ManagedBy::Api);
    app.registry.upsert_api_listener(Arc::new(spec));
    Ok(made)
}

/// Replaces an API listener's definition: `read` gets the stored document (whose secrets a
/// `"***"` keeps).
pub async fn update<E>(
    app: &App,
    id: &str,
    read: impl FnOnce(&Config, &ListenerDoc) -> Result<ListenerSpec, E>,
) -> Result<Entry, EditError<E>> {
    if catalog::is_config_listener(&app.registry.load().config, id) {
        return Err(EditError::ManagedByConfig);
    }
    let _edit = app.registry.edits.lock().await;
    let config = app.registry.load().config.clone();
    // A file listener added by a reload while we waited for the lock.
    if catalog::is_config_listener(&config, id) {
        return Err(EditError::ManagedByConfig);
    }
    let stored = match app.store.api_listener(id).await? {
        Some(r) if r.deleted_at.is_none() => r,
        _ => return Err(EditError::NotFound),
    };
    let old = catalog::api_entry(&stored).ok_or(EditError::Unreadable)?;
    let spec = read(&config, &old.doc).map_err(EditError::Invalid)?;
    free_of_file(&config, &spec)?;
    let now = now_ms();
    match app
        .store
        .update_api_listener(row(&spec, stored.created_at, now))
        .await?
    {
        ListenerWrite::Done => {}
        ListenerWrite::Clash => return Err(clash(&spec, None)),
        ListenerWrite::Missing => return Err(EditError::NotFound),
    }
    let changed = entry(&spec, stored.created_at, now);
    catalog::announce(app, "account.updated", &spec, ManagedBy::Api);
    app.registry.upsert_api_listener(Arc::new(spec));
    Ok(changed)
}

/// Soft-deletes an API listener: the row stays with `deleted` set; its URL answers 404.
pub async fn delete(app: &App, id: &str) -> Result<(), EditError<std::convert::Infallible>> {
    if catalog::is_config_listener(&app.registry.load().config, id) {
        return Err(EditError::ManagedByConfig);
    }
    let _edit = app.registry.edits.lock().await;
    if catalog::is_config_listener(&app.registry.load().config, id) {
        return Err(EditError::ManagedByConfig);
    }
    match app.store.delete_api_listener(id, now_ms()).await? {
        ListenerWrite::Done => {}
        _ => return Err(EditError::NotFound),
    }
    if let Some(live) = app.registry.load().listener(id) {
        catalog::announce(app, "account.deleted", &live.spec, ManagedBy::Api);
    }
    app.registry.remove_api_listener(id);
    Ok(())
}

/// Puts a newly read file in service: the API listeners are built again under it (its
/// providers and `allow_targets` decide what they may be; when the store cannot be read, the
/// ones in service stay), then the file listeners' load times are recorded. Returns how many
/// API listeners are in service.
pub async fn apply_config(app: &App, config: Config) -> usize {
    let n = config.listeners.len();
    // No API edit may land between reading the API listeners and swapping.
    let _edit = app.registry.edits.lock().await;
    let api = match catalog::api_listener_specs(&app.store, &config).await {
        Ok(api) => Some(api),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the API listeners; keeping the ones in service");
            None
        }
    };
    app.registry.replace(config, api);
    crate::memory::release_free_memory();
    let api = app.registry.load().listeners().count().saturating_sub(n);
    if let Err(e) = catalog::sync_config(app).await {
        tracing::error!(error = %e, "cannot record the listeners' load times");
    }
    api
}

/// Records when each file listener was first loaded and last changed, announcing the changes
/// (see `catalog::sync_config`); ordered with edits and reloads.
pub async fn record_file_listeners(app: &App) -> Result<(), StoreError> {
    let _edit = app.registry.edits.lock().await;
    catalog::sync_config(app).await
}

/// Builds the API listeners again from the store, under the running file: another instance
/// created, changed or deleted one. Returns how many are in service.
pub async fn reload_api_listeners(app: &App) -> Result<usize, StoreError> {
    let _edit = app.registry.edits.lock().await;
    let config = app.registry.load().config.clone();
    let api = catalog::api_listener_specs(&app.store, &config).await?;
    let n = api.len();
    app.registry.replace_api(api);
    Ok(n)
}
