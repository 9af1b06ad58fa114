//! Accepting an event: one pending delivery per matching receiver, committed with the event in
//! a group-committed store job, then handed straight to the dispatcher. The listener endpoint,
//! the management API's test endpoint and hookgate's own system events all come through here.

use crate::config::ReceiverSpec;
use crate::delivery::DispatchHandle;
use crate::store::{IngestOutcome, NewEvent, OrderKeys, Store, StoreError, StoredEvent};

mod order_keys;

pub use order_keys::{order_keys, KeySource};

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
/// which counts them in `hookgate_pending_deliveries`. A delivery with an order key (see
/// `order_keys`) is left to the store, which starts it only in its turn.
pub async fn accept(
    store: &Store,
    dispatch: &DispatchHandle,
    draft: StoredEvent,
    receiver_urls: Vec<String>,
    order_keys: OrderKeys,
    when_busy: WhenBusy,
) -> Result<Acceptance, StoreError> {
    let new = NewEvent {
        event: draft,
        receiver_urls,
        order_keys,
    };
    // The commit and the hand-over (which counts the deliveries as pending) run in a task of
    // their own: a caller that hangs up drops this future, but never a committed event's count.
    let (store, dispatch) = (store.clone(), dispatch.clone());
    let committed = tokio::spawn(async move {
        let ordered: Vec<String> = new.order_keys.keys().cloned().collect();
        let outcome = match when_busy {
            WhenBusy::Refuse => store.ingest(new).await?,
            WhenBusy::Wait => store.ingest_internal(new).await?,
        };
        Ok::<_, StoreError>(match outcome {
            IngestOutcome::Accepted { event, deliveries } => {
                let count = deliveries.len();
                let (in_turn, fresh): (Vec<_>, Vec<_>) = deliveries
                    .into_iter()
                    .partition(|(_, url)| ordered.contains(url));
                dispatch.submit_fresh(&event, fresh);
                dispatch.submit_ordered(in_turn.len());
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
