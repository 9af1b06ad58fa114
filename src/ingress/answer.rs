//! What a listener request comes to (SPEC section 3, rows 8–10 and the refusals), with its HTTP
//! answer and its `hookgate_events_total` label.

use super::refusal::Refusal;
use crate::http_util::{self, Body};
use http::{Response, StatusCode};
use serde_json::json;

/// The end of a listener request.
#[derive(Debug)]
pub enum Answer {
    /// A check failed.
    Refused(Refusal),
    /// Row 8: the event type is not subscribed (or was not found).
    Filtered { event_type: Option<String> },
    /// Row 9: seen before; the id of the first copy.
    Duplicate { event_id: String },
    /// Row 10: stored with one pending delivery per matching receiver.
    Accepted { event_id: String, deliveries: usize },
}

/// The labels of the answers that are not refusals.
pub const PASSED_LABELS: [&str; 3] = ["accepted", "filtered", "duplicate"];

impl From<Refusal> for Answer {
    fn from(r: Refusal) -> Answer {
        Answer::Refused(r)
    }
}

impl Answer {
    /// The `status` label of `hookgate_events_total`.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Answer::Refused(r) => r.metric_label(),
            Answer::Accepted { .. } => PASSED_LABELS[0],
            Answer::Filtered { .. } => PASSED_LABELS[1],
            Answer::Duplicate { .. } => PASSED_LABELS[2],
        }
    }

    /// Every label an answer can have, once each, for the series made up front.
    pub fn all_labels() -> Vec<&'static str> {
        let mut labels = PASSED_LABELS.to_vec();
        for refusal in Refusal::all() {
            if !labels.contains(&refusal.metric_label()) {
                labels.push(refusal.metric_label());
            }
        }
        labels
    }

    /// The HTTP answer.
    pub fn into_response(self) -> Response<Body> {
        let body = match self {
            Answer::Refused(r) => return r.into_response(),
            Answer::Filtered { event_type } => {
                json!({"status": "filtered", "eventType": event_type})
            }
            Answer::Duplicate { event_id } => json!({"status": "duplicate", "eventId": event_id}),
            Answer::Accepted {
                event_id,
                deliveries,
            } => json!({"status": "accepted", "eventId": event_id, "deliveries": deliveries}),
        };
        http_util::json(StatusCode::OK, &body)
    }
}
