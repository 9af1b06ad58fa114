//! What a listener request comes to (SPEC section 3, rows 8–10 and the refusals; section 12's
//! handshakes and custom answers), with its HTTP answer and its `hookgate_events_total` label.

use super::handshake::Reply;
use super::refusal::Refusal;
use crate::config::CustomResponse;
use crate::http_util::{self, Body};
use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde_json::json;

/// The header that carries the event id when a custom answer replaces the JSON one.
pub const EVENT_ID_HEADER: &str = "x-hookgate-event-id";

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
    /// A provider handshake, answered and forgotten.
    Handshake(Reply),
}

/// The labels of the answers that are not refusals.
pub const PASSED_LABELS: [&str; 4] = ["accepted", "filtered", "duplicate", "handshake"];

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
            Answer::Handshake(_) => PASSED_LABELS[3],
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

    /// The HTTP answer: the listener's custom answer (`custom`) replaces the JSON one of an
    /// accepted, filtered or duplicate event.
    pub fn into_response(self, custom: Option<&CustomResponse>) -> Response<Body> {
        let (body, event_id) = match self {
            Answer::Refused(r) => return r.into_response(),
            Answer::Handshake(reply) => return handshake_response(reply),
            Answer::Filtered { event_type } => {
                (json!({"status": "filtered", "eventType": event_type}), None)
            }
            Answer::Duplicate { event_id } => (
                json!({"status": "duplicate", "eventId": event_id}),
                Some(event_id),
            ),
            Answer::Accepted {
                event_id,
                deliveries,
            } => (
                json!({"status": "accepted", "eventId": event_id, "deliveries": deliveries}),
                Some(event_id),
            ),
        };
        match custom {
            None => http_util::json(StatusCode::OK, &body),
            Some(custom) => custom_response(custom, event_id.as_deref()),
        }
    }
}

fn custom_response(custom: &CustomResponse, event_id: Option<&str>) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(custom.body.clone())));
    *resp.status_mut() = StatusCode::from_u16(custom.status).unwrap_or(StatusCode::OK);
    let headers = resp.headers_mut();
    for (name, value) in &custom.headers {
        headers.append(name.clone(), value.clone());
    }
    headers.insert(header::CONTENT_TYPE, custom.content_type.clone());
    if let Some(v) = event_id.and_then(|id| HeaderValue::from_str(id).ok()) {
        headers.insert(HeaderName::from_static(EVENT_ID_HEADER), v);
    }
    resp
}

fn handshake_response(reply: Reply) -> Response<Body> {
    let text = |body: String| {
        let mut resp = Response::new(Full::new(Bytes::from(body)));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        resp
    };
    match reply {
        Reply::Json(value) => http_util::json(StatusCode::OK, &value),
        Reply::Text(body) => text(body),
        Reply::TextNoSniff(body) => {
            let mut resp = text(body);
            resp.headers_mut().insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            resp
        }
    }
}
