//! Why the listener endpoint refused a request (SPEC section 3), and the one place such a
//! refusal becomes its HTTP answer.

use crate::http_util::{self, Body};
use http::{header, HeaderValue, Response, StatusCode};

/// How long a caller should wait after the store was unavailable, in seconds.
const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// Every refusal the listener endpoint (and the public address) can answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A path outside the listener URLs and the health checks.
    NoSuchPath,
    /// Check 1: no enabled listener for (provider, account_id).
    ListenerNotFound,
    /// Check 2: the method is not POST.
    MethodNotAllowed,
    /// Check 3: the source address is outside `allowed_ips`.
    IpNotAllowed,
    /// A meta handshake whose verify token is not the listener's `handshake_secret`.
    HandshakeRefused,
    /// Check 4: over the listener's rate limit; whole seconds until a request may pass.
    RateLimited { retry_after_secs: u64 },
    /// The request head is larger than `max_header_bytes` (before any check).
    HeadersTooLarge,
    /// Check 5: the body is larger than `max_body_bytes`.
    PayloadTooLarge,
    /// Check 5: the body did not arrive within `body_timeout`.
    RequestTimeout,
    /// Check 5: the body stream broke off.
    BodyUnreadable(String),
    /// Check 6: a required header, basic auth or the signature is missing or wrong.
    Unauthorized,
    /// Check 7: the body is not JSON where the event type or id is read from it.
    InvalidJson(String),
    /// The store cannot take the event; `busy` when its write queue is full.
    Unavailable { busy: bool },
}

impl Refusal {
    /// One of each variant, for the metric series made up front and for tests.
    pub fn all() -> [Refusal; 13] {
        [
            Refusal::Unavailable { busy: false },
            Refusal::ListenerNotFound,
            Refusal::MethodNotAllowed,
            Refusal::IpNotAllowed,
            Refusal::RateLimited {
                retry_after_secs: 1,
            },
            Refusal::PayloadTooLarge,
            Refusal::Unauthorized,
            Refusal::InvalidJson(String::new()),
            Refusal::RequestTimeout,
            Refusal::NoSuchPath,
            Refusal::BodyUnreadable(String::new()),
            Refusal::HeadersTooLarge,
            Refusal::HandshakeRefused,
        ]
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::NoSuchPath | Refusal::ListenerNotFound => StatusCode::NOT_FOUND,
            Refusal::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::IpNotAllowed | Refusal::HandshakeRefused => StatusCode::FORBIDDEN,
            Refusal::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Refusal::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Refusal::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Refusal::BodyUnreadable(_) | Refusal::InvalidJson(_) => StatusCode::BAD_REQUEST,
            Refusal::Unauthorized => StatusCode::UNAUTHORIZED,
            Refusal::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `code` of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NoSuchPath => "not_found",
            Refusal::ListenerNotFound => "listener_not_found",
            Refusal::MethodNotAllowed => "method_not_allowed",
            Refusal::IpNotAllowed => "ip_not_allowed",
            Refusal::HandshakeRefused => "handshake_refused",
            Refusal::RateLimited { .. } => "rate_limited",
            Refusal::PayloadTooLarge => "payload_too_large",
            Refusal::HeadersTooLarge => "headers_too_large",
            Refusal::RequestTimeout => "request_timeout",
            Refusal::BodyUnreadable(_) | Refusal::InvalidJson(_) => "invalid_payload",
            Refusal::Unauthorized => "unauthorized",
            Refusal::Unavailable { .. } => "unavailable",
        }
    }

    /// The `status` label of `hookgate_events_total`: the code, so a dashboard reads the same
    /// words as a provider's error log.
    pub fn metric_label(&self) -> &'static str {
        self.code()
    }

    /// The human-readable `message`; a 401 never says which check failed.
    pub fn message(&self) -> String {
        match self {
            Refusal::NoSuchPath => "no such path".into(),
            Refusal::ListenerNotFound => "no enabled listener at this URL".into(),
            Refusal::MethodNotAllowed => "listener URLs take POST only".into(),
            Refusal::IpNotAllowed => "the source address is not allowed for this listener".into(),
            Refusal::HandshakeRefused => "the handshake's verify token does not match".into(),
            Refusal::RateLimited { .. } => "too many requests for this listener".into(),
            Refusal::PayloadTooLarge => "the request body is larger than max_body_bytes".into(),
            Refusal::HeadersTooLarge => "the request head is larger than max_header_bytes".into(),
            Refusal::RequestTimeout => "the request body did not arrive in time".into(),
            Refusal::BodyUnreadable(e) => format!("the request body could not be read: {e}"),
            Refusal::Unauthorized => "missing or invalid credentials".into(),
            Refusal::InvalidJson(e) => format!("the body is not valid JSON: {e}"),
            Refusal::Unavailable { busy: true } => "the gateway is busy; retry shortly".into(),
            Refusal::Unavailable { busy: false } => {
                "the event store is unavailable; retry shortly".into()
            }
        }
    }

    /// `Retry-After` in seconds, where the caller may come back.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Refusal::RateLimited { retry_after_secs } => Some((*retry_after_secs).max(1)),
            Refusal::Unavailable { .. } => Some(UNAVAILABLE_RETRY_AFTER),
            _ => None,
        }
    }

    /// Headers besides `Retry-After` that the answer carries.
    pub fn extra_headers(&self) -> Vec<(header::HeaderName, HeaderValue)> {
        match self {
            Refusal::MethodNotAllowed => vec![(header::ALLOW, HeaderValue::from_static("POST"))],
            _ => Vec::new(),
        }
    }

    /// The answer: `{"code","message","errorId","timestamp"}` with the variant's headers.
    pub fn into_response(self) -> Response<Body> {
        let mut resp = http_util::error(self.status(), self.code(), &self.message());
        if let Some(secs) = self.retry_after() {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        for (name, value) in self.extra_headers() {
            resp.headers_mut().insert(name, value);
        }
        resp
    }
}

#[cfg(test)]
mod tests;
