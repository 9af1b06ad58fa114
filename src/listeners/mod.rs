//! Listeners: the live set the hot path reads (`registry`), every listener with its metadata
//! (`catalog`), and the changes made to them (`edits`): through the management API, at start
//! and at a reload. Changes run one at a time behind these functions; reads never wait.

pub mod catalog;
pub mod edits;
pub mod registry;

pub use catalog::{Entry, ManagedBy, Meta};
pub use edits::EditError;
pub use registry::{receiver_key, ListenerRuntime, Registry, Snapshot, SYSTEM_LISTENER_ID};
