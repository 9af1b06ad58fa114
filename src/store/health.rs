//! Receiver health as stored: since when a receiver has been failing, and whether it is paused.

/// The health of one receiver ("listener_id receiver_url").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiverHealth {
    /// Unix ms of the first failure of the current unbroken run of failures.
    pub failing_since: Option<i64>,
    /// Unix ms when it was paused.
    pub paused_at: Option<i64>,
}
