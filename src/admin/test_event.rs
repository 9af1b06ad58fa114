//! `POST /api/v1/integration_account_webhook/{id}/test`: a synthetic event stored and delivered
//! through the same path as a provider's (store, then the dispatcher), so a test proves the whole
//! relay — signing, auth, retries and the attempt log included.

use super::error::{ApiError, ApiResult};
use super::request::Problem;
use crate::accept::{self, Acceptance, WhenBusy};
use crate::app::App;
use crate::config::{ListenerSpec, Locator, ProviderSpec};
use crate::http_util;
use crate::store::StoredEvent;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};

/// The event type of a test without one: the first type the listener subscribes to by name,
/// else this.
pub const DEFAULT_TYPE: &str = "hookgate.test";

/// What the body may say.
struct TestRequest {
    event_type: Option<String>,
    payload: Option<Value>,
}

fn parse(body: &[u8]) -> Result<TestRequest, Vec<Problem>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(TestRequest {
            event_type: None,
            payload: None,
        });
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| vec![Problem::new("(body)", format!("not a JSON document: {e}"))])?;
    let Value::Object(map) = value else {
        return Err(vec![Problem::new("(body)", "must be a JSON object")]);
    };
    let mut problems = Vec::new();
    for key in map.keys() {
        if key != "eventType" && key != "payload" {
            problems.push(Problem::new(key.clone(), "unknown field"));
        }
    }
    let event_type = match map.get("eventType") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => {
            problems.push(Problem::new("eventType", "must be a non-empty string"));
            None
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(TestRequest {
        event_type,
        // `{"payload": null}` asks for the default payload, as in seed 002.
        payload: map.get("payload").filter(|v| !v.is_null()).cloned(),
    })
}

fn default_type(spec: &ListenerSpec) -> String {
    spec.event_subscription
        .as_ref()
        .and_then(|m| m.iter().find(|(k, on)| **on && k.as_str() != "*"))
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| DEFAULT_TYPE.to_string())
}

/// Writes `value` at a JSON pointer, creating objects on the way; gives up where the path runs
/// into something that is not an object.
fn set_pointer(target: &mut Value, pointer: &str, value: Value) {
    let tokens: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, path)) = tokens.split_last() else {
        return;
    };
    let mut here = target;
    for t in path {
        let Value::Object(map) = here else { return };
        here = map.entry(t.clone()).or_insert_with(|| json!({}));
    }
    if let Value::Object(map) = here {
        map.insert(last.clone(), value);
    }
}

/// The body and headers of the synthetic request: the event type where this provider puts it,
/// so receivers see what a real event of that type would carry.
fn synthesize(
    spec: &ListenerSpec,
    provider: &ProviderSpec,
    event_type: &str,
    payload: Option<Value>,
) -> (Bytes, Vec<(String, String)>) {
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("x-hookgate-test".to_string(), "true".to_string()),
    ];
    let body = match payload {
        Some(p) => p,
        None => {
            let mut body = json!({
                "test": true,
                "message": "a test event sent through the hookgate management API",
                "listenerId": spec.id,
                "sentAt": http_util::rfc3339_now(),
            });
            if let Some(Locator::Body(pointer)) = provider.event_type.0.first() {
                set_pointer(&mut body, pointer, json!(event_type));
            }
            body
        }
    };
    if let Some(Locator::Header(name)) = provider.event_type.0.first() {
        headers.push((name.as_str().to_string(), event_type.to_string()));
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    (Bytes::from(bytes), headers)
}

/// A test event takes its turn in ordered receivers' queues like any other event.
fn test_order_keys(
    spec: &ListenerSpec,
    urls: &[String],
    headers: &[(String, String)],
    body: &[u8],
) -> crate::store::OrderKeys {
    let headers: http::HeaderMap = headers
        .iter()
        .filter_map(|(name, value)| Some((name.parse().ok()?, value.parse().ok()?)))
        .collect();
    let source = accept::KeySource {
        headers: &headers,
        query: None,
        body,
    };
    accept::order_keys(spec.receivers.iter().map(|r| &**r), urls, &source)
}

/// Stores a synthetic event for listener `id` and hands its deliveries to the dispatcher.
pub async fn send(app: &App, id: &str, body: Bytes) -> ApiResult {
    let snapshot = app.registry.snapshot();
    let Some(rt) = snapshot.listener(id).cloned() else {
        return Err(ApiError::not_found("no listener in service with this id"));
    };
    let req = parse(&body)?;
    let spec = &rt.spec;
    let event_type = req.event_type.unwrap_or_else(|| default_type(spec));
    let (bytes, headers) = synthesize(spec, &rt.provider, &event_type, req.payload);
    // A test goes to every receiver that takes its type: it is sent on purpose, so the
    // listener's subscription does not filter it.
    let urls = accept::receiver_urls(spec.receivers.iter().map(|r| &**r), Some(&event_type));
    let order_keys = test_order_keys(spec, &urls, &headers, &bytes);
    let draft = StoredEvent {
        event_type: Some(event_type),
        content_type: Some("application/json".into()),
        headers,
        body: bytes,
        ..StoredEvent::received_now(&spec.id, &spec.provider, &spec.account_id)
    };
    let accepted = accept::accept(
        &app.store,
        &app.dispatcher,
        draft,
        urls,
        order_keys,
        WhenBusy::Refuse,
    )
    .await?;
    let (event_id, n) = match accepted {
        Acceptance::Stored {
            event_id,
            deliveries,
        } => {
            tracing::info!(listener = %spec.id, event = %event_id, deliveries, "test event sent");
            (event_id, deliveries)
        }
        // Without a provider event id there is nothing to de-duplicate against.
        Acceptance::Duplicate { original_event_id } => (original_event_id, 0),
    };
    Ok(http_util::json(
        StatusCode::OK,
        &json!({"success": true, "eventId": event_id, "deliveries": n}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_create_the_path() {
        let mut v = json!({"a": 1});
        set_pointer(&mut v, "/event/type", json!("x"));
        assert_eq!(v, json!({"a": 1, "event": {"type": "x"}}));
        let mut v = json!({"a": 1});
        set_pointer(&mut v, "/a/b", json!("x"));
        assert_eq!(v, json!({"a": 1}), "a number is not overwritten");
    }

    #[test]
    fn bodies_are_optional_but_strict() {
        assert!(parse(b"").unwrap().event_type.is_none());
        let r = parse(br#"{"eventType":"a.b","payload":[1]}"#).unwrap();
        assert_eq!(r.event_type.as_deref(), Some("a.b"));
        assert_eq!(r.payload, Some(json!([1])));
        let p = parse(br#"{"eventType":3,"other":1}"#).err().unwrap();
        assert_eq!(p.len(), 2);
    }
}
