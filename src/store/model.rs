//! What the store keeps: events, deliveries and attempts, and what the dispatcher asks for.

use bytes::Bytes;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// How long a provider's event id is remembered for de-duplication.
pub const DEDUP_WINDOW_MS: i64 = 24 * 3600 * 1000;

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

impl StoredEvent {
    /// An event received now, with a fresh id and nothing else known yet; `seq` is given by the
    /// store when it is committed.
    pub fn received_now(listener_id: &str, provider: &str, account_id: &str) -> StoredEvent {
        StoredEvent {
            seq: 0,
            id: uuid::Uuid::now_v7().to_string(),
            listener_id: listener_id.to_string(),
            provider: provider.to_string(),
            account_id: account_id.to_string(),
            event_type: None,
            provider_event_id: None,
            received_at: super::now_ms(),
            source_ip: None,
            content_type: None,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }
}

/// A new event with the receivers it goes to.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event: StoredEvent,
    pub receiver_urls: Vec<String>,
    /// The order key of the delivery to each ordered receiver (by URL) that has one: such a
    /// delivery waits until every earlier pending one with the same receiver and key is done.
    pub order_keys: OrderKeys,
}

/// Order keys by receiver URL (see `NewEvent::order_keys`).
pub type OrderKeys = HashMap<String, String>;

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

/// What the dispatcher can take: how many jobs, which deliveries are already running, and how
/// many more each receiver may have in flight.
#[derive(Debug, Default)]
pub struct DuePlan {
    pub now_ms: i64,
    /// Jobs wanted at most.
    pub limit: usize,
    /// Deliveries already running: skipped without loading their events.
    pub running: HashSet<i64>,
    /// Room left per receiver key ("listener_id receiver_url") that has something running or is
    /// paused (0); receivers not listed have `default_room`.
    pub room: HashMap<String, usize>,
    pub default_room: usize,
    /// Also look past a long run of rows of receivers without room (costs one index seek per
    /// receiver with pending deliveries, so the dispatcher asks for it only now and then).
    pub deep: bool,
    /// Receivers (listener id, URL) an earlier deep pass found hidden rows for: asked directly.
    pub hinted: Vec<(String, String)>,
}

/// Jobs to start, and the receivers (listener id, URL) whose due rows were found only by
/// asking them one by one.
pub type DueBatch = (Vec<DeliveryJob>, Vec<(String, String)>);

/// Rows removed by one retention pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub events: usize,
    pub dedup: usize,
}
