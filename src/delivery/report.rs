//! What delivery tells the rest of the gateway about deliveries and receivers, through an
//! observer given at start: delivery does not know who listens (system events do).

use super::DispatchHandle;
use std::future::Future;
use std::pin::Pin;

/// The receiver a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverRef {
    pub listener_id: String,
    /// The account of the event whose attempt made the report.
    pub account_id: String,
    pub url: String,
}

/// Something worth telling about deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryReport {
    /// A delivery failed for good.
    Failed {
        receiver: ReceiverRef,
        event_id: String,
        event_type: Option<String>,
        delivery_id: i64,
        attempts: u32,
    },
    /// A receiver answered 2xx again after failing since `failing_since` (Unix ms).
    Recovered {
        receiver: ReceiverRef,
        failing_since: i64,
    },
    /// A receiver failed without a break for `pause_after` and is paused.
    Paused {
        receiver: ReceiverRef,
        failing_since: i64,
    },
}

/// A future an observer returns; the attempt that made the report waits for it.
pub type Observed<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Takes the dispatcher's reports. `dispatch` lets it hand over deliveries of its own.
pub trait DeliveryObserver: Send + Sync {
    fn observe<'a>(&'a self, report: DeliveryReport, dispatch: &'a DispatchHandle) -> Observed<'a>;
}
