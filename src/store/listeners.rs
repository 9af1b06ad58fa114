//! What the store keeps about listeners: those made through the management API, and when each
//! listener of the file was first loaded and last changed.

/// One API-made listener as stored. `doc` is its JSON document with secrets in clear: the store
/// is the only place they are kept, so the gateway can rebuild the listener after a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiListenerRow {
    pub id: String,
    pub provider: String,
    pub account_id: String,
    pub doc: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// Set by a soft delete.
    pub deleted_at: Option<i64>,
}

/// When a listener of `listeners.toml` was first loaded and when its definition last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerTimes {
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a write of an API listener came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerWrite {
    Done,
    /// Another live API listener has the same (provider, account).
    Clash,
    /// No live listener with that id.
    Missing,
}

/// A listener of the file as recorded: id, definition hash, `account.*` data (JSON; `None`
/// when no system webhook takes `account.deleted`, to spare building it for every listener).
#[derive(Debug, Clone)]
pub struct ConfigListenerRow {
    pub id: String,
    pub hash: String,
    pub data: Option<String>,
}

/// What recording the file's listeners found.
#[derive(Debug, Default)]
pub struct ConfigSync {
    /// Ids recorded for the first time.
    pub created: Vec<String>,
    /// Ids whose definition changed.
    pub updated: Vec<String>,
    /// Listeners no longer in the file: id and their last `account.*` data, if recorded.
    pub removed: Vec<(String, Option<String>)>,
}
