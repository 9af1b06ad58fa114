//! Unit tests of `refusal`.

use super::*;
use http_body_util::BodyExt;

/// SPEC section 3's table, plus the 408 for a slow body and the public address's 404.
fn spec_row(r: &Refusal) -> (u16, &'static str) {
    match r {
        Refusal::NoSuchPath => (404, "not_found"),
        Refusal::ListenerNotFound => (404, "listener_not_found"),
        Refusal::MethodNotAllowed => (405, "method_not_allowed"),
        Refusal::IpNotAllowed => (403, "ip_not_allowed"),
        Refusal::HandshakeRefused => (403, "handshake_refused"),
        Refusal::RateLimited { .. } => (429, "rate_limited"),
        Refusal::PayloadTooLarge => (413, "payload_too_large"),
        Refusal::HeadersTooLarge => (431, "headers_too_large"),
        Refusal::RequestTimeout => (408, "request_timeout"),
        Refusal::Unauthorized => (401, "unauthorized"),
        Refusal::BodyUnreadable(_) | Refusal::InvalidJson(_) => (400, "invalid_payload"),
        Refusal::Unavailable { .. } => (503, "unavailable"),
    }
}

#[tokio::test]
async fn every_refusal_answers_its_spec_status_and_code() {
    for refusal in Refusal::all() {
        let (status, code) = spec_row(&refusal);
        assert_eq!(refusal.metric_label(), code);
        let resp = refusal.clone().into_response();
        assert_eq!(resp.status().as_u16(), status, "{refusal:?}");
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["code"], code, "{refusal:?}");
        assert!(body["message"].is_string());
        assert_eq!(body["errorId"].as_str().unwrap().len(), 36);
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    }
}

#[test]
fn headers_follow_the_spec() {
    let allow = Refusal::MethodNotAllowed.into_response();
    assert_eq!(allow.headers()[header::ALLOW], "POST");
    let limited = Refusal::RateLimited {
        retry_after_secs: 0,
    }
    .into_response();
    assert_eq!(limited.headers()[header::RETRY_AFTER], "1");
    let busy = Refusal::Unavailable { busy: true }.into_response();
    assert_eq!(busy.headers()[header::RETRY_AFTER], "5");
    assert!(Refusal::Unauthorized
        .into_response()
        .headers()
        .get(header::RETRY_AFTER)
        .is_none());
}
