//! The event log as the management API shows it: filters, events with their deliveries and
//! attempts, and what a retry queued.

use bytes::Bytes;

/// Which events of a listener to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub take: u32,
    pub skip: u64,
    /// Events with at least one delivery in this status (`pending`, `succeeded`, `failed`).
    pub status: Option<String>,
    pub event_type: Option<String>,
}

/// An event with its deliveries; `body` and the attempts are filled in for a single event only.
#[derive(Debug, Clone)]
pub struct EventView {
    pub seq: i64,
    pub id: String,
    pub listener_id: String,
    pub provider: String,
    pub event_type: Option<String>,
    /// Unix milliseconds.
    pub received_at: i64,
    pub source_ip: Option<String>,
    pub body: Option<Bytes>,
    pub deliveries: Vec<DeliveryView>,
}

/// One delivery of an event to one receiver.
#[derive(Debug, Clone)]
pub struct DeliveryView {
    pub id: i64,
    pub receiver_url: String,
    pub status: String,
    pub attempt_count: u32,
    pub next_attempt_at: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub attempts: Vec<AttemptView>,
}

/// One recorded attempt.
#[derive(Debug, Clone)]
pub struct AttemptView {
    pub attempt: u32,
    pub started_at: i64,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    /// The first 1 KiB of the receiver's answer.
    pub response: Option<String>,
}

/// What `retry_event` queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requeued {
    /// Deliveries now due.
    pub queued: usize,
    /// Of those, how many were not pending before (for the pending gauge).
    pub newly_pending: usize,
}
