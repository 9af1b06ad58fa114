//! Every listener the management API can show — the file's and the API's — with its metadata,
//! and keeping the registry's API listeners in step with the store.

use crate::admin::doc::{fingerprint, ListenerDoc};
use crate::admin::validation;
use crate::app::App;
use crate::config::{Config, ListenerSpec};
use crate::store::{now_ms, ApiListenerRow, ConfigListenerRow, Store, StoreError};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Where a listener comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ManagedBy {
    Config,
    Api,
}

impl ManagedBy {
    /// The `managedBy` value.
    pub fn name(self) -> &'static str {
        match self {
            ManagedBy::Config => "config",
            ManagedBy::Api => "api",
        }
    }
}

/// What the server knows about a listener beyond its document.
#[derive(Debug, Clone)]
pub struct Meta {
    pub id: String,
    pub managed_by: ManagedBy,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

/// A listener with what the renderer needs.
#[derive(Debug, Clone)]
pub struct Entry {
    pub doc: ListenerDoc,
    pub meta: Meta,
}

/// The document of a stored API listener; a row that does not parse (written by a newer
/// version?) is reported and left out rather than failing every listing.
fn stored_doc(row: &ApiListenerRow) -> Option<ListenerDoc> {
    match serde_json::from_str(&row.doc) {
        Ok(doc) => Some(doc),
        Err(e) => {
            tracing::error!(listener = %row.id, error = %e, "a stored API listener cannot be read");
            None
        }
    }
}

/// The entry of a stored API listener.
pub fn api_entry(row: &ApiListenerRow) -> Option<Entry> {
    Some(Entry {
        doc: stored_doc(row)?,
        meta: Meta {
            id: row.id.clone(),
            managed_by: ManagedBy::Api,
            created_at: row.created_at,
            updated_at: row.updated_at,
            deleted_at: row.deleted_at,
        },
    })
}

fn config_entry(
    spec: &ListenerSpec,
    times: &HashMap<String, crate::store::ListenerTimes>,
) -> Entry {
    // A listener loaded a moment ago may not have its times recorded yet.
    let now = now_ms();
    let t = times.get(&spec.id);
    Entry {
        doc: ListenerDoc::from(spec),
        meta: Meta {
            id: spec.id.clone(),
            managed_by: ManagedBy::Config,
            created_at: t.map_or(now, |t| t.created_at),
            updated_at: t.map_or(now, |t| t.updated_at),
            deleted_at: None,
        },
    }
}

/// Every listener: the file's in file order, then the API's oldest first (deleted ones included).
pub async fn all(app: &App) -> Result<Vec<Entry>, StoreError> {
    let config = app.registry.load().config.clone();
    let times = app.store.config_listener_times().await?;
    let mut out: Vec<Entry> = config
        .listeners
        .iter()
        .map(|s| config_entry(s, &times))
        .collect();
    for row in app.store.api_listeners().await? {
        out.extend(api_entry(&row));
    }
    Ok(out)
}

/// One listener by id, deleted API listeners included.
pub async fn find(app: &App, id: &str) -> Result<Option<Entry>, StoreError> {
    let config = app.registry.load().config.clone();
    if let Some(spec) = config.listeners.iter().find(|l| l.id == id) {
        let times = app.store.config_listener_times().await?;
        return Ok(Some(config_entry(spec, &times)));
    }
    Ok(app
        .store
        .api_listener(id)
        .await?
        .as_ref()
        .and_then(api_entry))
}

/// True when `id` is a listener of the file (it then answers 409 to PUT and DELETE).
pub fn is_config_listener(config: &Config, id: &str) -> bool {
    config.listeners.iter().any(|l| l.id == id)
}

/// The file listener, if any, that has (provider, account).
pub fn config_owner<'a>(config: &'a Config, provider: &str, account: &str) -> Option<&'a str> {
    config
        .listeners
        .iter()
        .find(|l| l.provider == provider && l.account_id == account)
        .map(|l| l.id.as_str())
}

/// Records when each file listener was first loaded and last changed, and tells the system
/// webhooks: `account.created` for a listener loaded for the first time, `account.updated` for
/// one whose definition changed, `account.deleted` for one no longer in the file, whether a
/// reload removed it or it was taken out while the gateway was stopped.
pub(super) async fn sync_config(app: &App) -> Result<(), StoreError> {
    let config = app.registry.load().config.clone();
    // With 100,000 listeners the data is tens of megabytes: kept only for someone to tell.
    let keep_data = crate::system_events::wanted(&app.registry, "account.deleted");
    let rows = config
        .listeners
        .iter()
        .map(|l| ConfigListenerRow {
            id: l.id.clone(),
            hash: fingerprint(&ListenerDoc::from(&**l)),
            data: keep_data.then(|| {
                Value::Object(crate::system_events::listener_data(
                    l,
                    ManagedBy::Config.name(),
                ))
                .to_string()
            }),
        })
        .collect();
    let sync = app.store.sync_config_listeners(rows, now_ms()).await?;
    let by_id: HashMap<&str, &Arc<ListenerSpec>> = config
        .listeners
        .iter()
        .map(|l| (l.id.as_str(), l))
        .collect();
    for (event, ids) in [
        ("account.created", &sync.created),
        ("account.updated", &sync.updated),
    ] {
        for spec in ids.iter().filter_map(|id| by_id.get(id.as_str())) {
            announce(app, event, spec, ManagedBy::Config);
        }
    }
    for (id, data) in sync.removed.into_iter().filter(|_| keep_data) {
        let data = data
            .and_then(|d| serde_json::from_str::<Map<String, Value>>(&d).ok())
            .unwrap_or_else(|| {
                // Recorded while no system webhook took account.deleted: the id is all there is
                // (the account fields stay, empty, so the shape is the usual one).
                let mut m = Map::new();
                m.insert("integrationAccountId".into(), Value::Null);
                m.insert("workspaceId".into(), Value::Null);
                m.insert("integrationAccountWebhookId".into(), Value::String(id));
                m.insert("managedBy".into(), ManagedBy::Config.name().into());
                m
            });
        announce_data(app, "account.deleted", data);
    }
    Ok(())
}

/// Sends a listener lifecycle event to the system webhooks, off the caller's path.
pub fn announce(app: &App, event_type: &'static str, spec: &ListenerSpec, by: ManagedBy) {
    // At start every file listener is announced: with no system webhook, do nothing per listener.
    if !crate::system_events::wanted(&app.registry, event_type) {
        return;
    }
    announce_data(
        app,
        event_type,
        crate::system_events::listener_data(spec, by.name()),
    );
}

/// Sends a lifecycle event with its data already built, off the caller's path (callers have
/// checked that a system webhook wants it).
fn announce_data(app: &App, event_type: &'static str, data: Map<String, Value>) {
    let (store, registry, dispatcher) = (
        app.store.clone(),
        app.registry.clone(),
        app.dispatcher.clone(),
    );
    tokio::spawn(async move {
        crate::system_events::emit(&store, &registry, &dispatcher, event_type, true, data).await;
    });
}

/// Builds every live API listener of the store under `config`. Runs at start (before delivery
/// starts, so pending deliveries find their receivers) and at every reload, since the file's
/// providers and `allow_targets` decide what an API listener may be.
pub async fn api_listener_specs(
    store: &Store,
    config: &Config,
) -> Result<Vec<Arc<ListenerSpec>>, StoreError> {
    let mut specs = Vec::new();
    for row in store.api_listeners().await? {
        if row.deleted_at.is_some() {
            continue;
        }
        let Some(doc) = stored_doc(&row) else {
            continue;
        };
        match validation::check(&row.id, &doc, config) {
            Ok(spec) => specs.push(Arc::new(spec)),
            Err(problems) => {
                for p in problems {
                    tracing::error!(
                        listener = %row.id,
                        "API listener not active under the current configuration: {}: {}",
                        p.field,
                        p.message
                    );
                }
            }
        }
    }
    Ok(specs)
}
