//! Accepting an event: one pending delivery per matching receiver, committed with the event in
//! a group-committed store job, then handed straight to the dispatcher. The listener endpoint,
//! the management API's test endpoint and hookgate's own system events all come through here.

use crate::config::ReceiverSpec;
use crate::delivery::DispatchHandle;
use crate::store::{now_ms, IngestOutcome, NewEvent, Store, StoreError, StoredEvent};
use bytes::Bytes;

/// An event about to be accepted: everything but its place in the store's order.
#[derive(Debug, Clone)]
pub struct Draft {
    /// hookgate's event id (UUID v7, so ids sort by arrival).
    pub id: String,
    pub listener_id: String,
    pub provider: String,
    pub account_id: String,
    pub event_type: Option<String>,
    pub provider_event_id: Option<String>,
    /// Unix milliseconds.
    pub received_at: i64,
    pub source_ip: Option<String>,
    pub content_type: Option<String>,
    /// Request headers, without credentials.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Draft {
    /// A draft received now, with a fresh id and nothing else known yet.
    pub fn new(listener_id: &str, provider: &str, account_id: &str) -> Draft {
        Draft {
            id: uuid::Uuid::now_v7().to_string(),
            listener_id: listener_id.to_string(),
            provider: provider.to_string(),
            account_id: account_id.to_string(),
            event_type: None,
            provider_event_id: None,
            received_at: now_ms(),
            source_ip: None,
            content_type: None,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    fn into_stored(self) -> StoredEvent {
        StoredEvent {
            seq: 0,
            id: self.id,
            listener_id: self.listener_id,
            provider: self.provider,
            account_id: self.account_id,
            event_type: self.event_type,
            provider_event_id: self.provider_event_id,
            received_at: self.received_at,
            source_ip: self.source_ip,
            content_type: self.content_type,
            headers: self.headers,
            body: self.body,
        }
    }
}

/// What to do when the store's write queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenBusy {
    /// Give up at once: the caller (a provider, an operator) is answered 503 and sends again.
    Refuse,
    /// Wait for room: nobody would send this event again.
    Wait,
}

/// How accepting went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acceptance {
    /// Committed with this many deliveries, already handed to the dispatcher.
    Stored { event_id: String, deliveries: usize },
    /// The provider's event id was seen before: the id of the first copy.
    Duplicate { original_event_id: String },
}

/// The URLs of the receivers that take `event_type`.
pub fn receiver_urls<'a>(
    receivers: impl IntoIterator<Item = &'a ReceiverSpec>,
    event_type: Option<&str>,
) -> Vec<String> {
    receivers
        .into_iter()
        .filter(|r| r.wants(event_type))
        .map(|r| r.url.to_string())
        .collect()
}

/// Stores `draft` with one pending delivery per URL and hands the deliveries to the dispatcher,
/// which counts them in `hookgate_pending_deliveries`.
pub async fn accept(
    store: &Store,
    dispatch: &DispatchHandle,
    draft: Draft,
    receiver_urls: Vec<String>,
    when_busy: WhenBusy,
) -> Result<Acceptance, StoreError> {
    let new = NewEvent {
        event: draft.into_stored(),
        receiver_urls,
    };
    // The commit and the hand-over (which counts the deliveries as pending) run in a task of
    // their own: a caller that hangs up drops this future, but never a committed event's count.
    let (store, dispatch) = (store.clone(), dispatch.clone());
    let committed = tokio::spawn(async move {
        let outcome = match when_busy {
            WhenBusy::Refuse => store.ingest(new).await?,
            WhenBusy::Wait => store.ingest_internal(new).await?,
        };
        Ok::<_, StoreError>(match outcome {
            IngestOutcome::Accepted { event, deliveries } => {
                let count = deliveries.len();
                dispatch.submit_fresh(&event, deliveries);
                Acceptance::Stored {
                    event_id: event.id.clone(),
                    deliveries: count,
                }
            }
            IngestOutcome::Duplicate { original_event_id } => {
                Acceptance::Duplicate { original_event_id }
            }
        })
    });
    committed
        .await
        .map_err(|e| StoreError::Unavailable(format!("the commit task failed: {e}")))?
}
