//! What the store keeps: events, deliveries and attempts.

use bytes::Bytes;
use std::sync::Arc;

/// An accepted webhook as stored: the raw bytes are the truth.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
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

/// A new event with the receivers it goes to.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event: StoredEvent,
    pub receiver_urls: Vec<String>,
}

/// The answer to an ingest.
#[derive(Debug, Clone)]
pub enum IngestOutcome {
    /// Committed: the event with its sequence number filled in, and one delivery id per receiver.
    Accepted {
        event: Arc<StoredEvent>,
        deliveries: Vec<(i64, String)>,
    },
    /// The provider's event id was seen within the de-duplication window.
    Duplicate { original_event_id: String },
}

/// A delivery that is due: everything an attempt needs.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    pub delivery_id: i64,
    pub listener_id: String,
    pub receiver_url: String,
    /// Attempts already made.
    pub attempt_count: u32,
    pub event: Arc<StoredEvent>,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Succeeded,
    /// Try again at this Unix millisecond.
    RetryAt(i64),
    Failed,
}

/// One attempt, as recorded.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub delivery_id: i64,
    /// 1-based.
    pub attempt: u32,
    pub started_at: i64,
    pub duration_ms: i64,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    /// The first 1 KiB of the response body.
    pub response: Option<String>,
    pub next: NextStep,
}

impl NextStep {
    pub fn status(&self) -> &'static str {
        match self {
            NextStep::Succeeded => "succeeded",
            NextStep::RetryAt(_) => "pending",
            NextStep::Failed => "failed",
        }
    }
}
