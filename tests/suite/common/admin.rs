//! Calling the management API on a running gateway's admin address.

use super::client::{post_from, Answer};
use bytes::Bytes;
use std::net::SocketAddr;

/// The token every admin test config gives every scope.
pub const ALL: &str = "all-scopes-token";

/// `[[admin.token]]` tables: one with every scope, one per single scope, one with none.
pub const TOKENS: &str = r#"
[[admin.token]]
name = "all"
secret = "all-scopes-token"
scopes = ["WEBHOOKS:VIEW", "WEBHOOKS:ADD", "WEBHOOKS:EDIT", "WEBHOOKS:REMOVE"]

[[admin.token]]
name = "viewer"
secret = "view-token"
scopes = ["WEBHOOKS:VIEW"]

[[admin.token]]
name = "adder"
secret = "add-token"
scopes = ["WEBHOOKS:ADD"]

[[admin.token]]
name = "editor"
secret = "edit-token"
scopes = ["WEBHOOKS:EDIT"]

[[admin.token]]
name = "remover"
secret = "remove-token"
scopes = ["WEBHOOKS:REMOVE"]

[[admin.token]]
name = "nobody"
secret = "no-scope-token"
scopes = []
"#;

/// Sends `method path` with `Authorization: Bearer token` (none when `token` is empty).
pub async fn call(admin: SocketAddr, method: &str, path: &str, token: &str, body: &str) -> Answer {
    let auth = format!("Bearer {token}");
    let headers: Vec<(&str, &str)> = if token.is_empty() {
        Vec::new()
    } else {
        vec![("authorization", auth.as_str())]
    };
    post_from(
        "127.0.0.1".parse().unwrap(),
        admin,
        method,
        path,
        &headers,
        Bytes::from(body.to_string()),
    )
    .await
}

/// GET with the all-scopes token.
pub async fn get(admin: SocketAddr, path: &str) -> Answer {
    call(admin, "GET", path, ALL, "").await
}

/// A method with a JSON body and the all-scopes token.
pub async fn send(admin: SocketAddr, method: &str, path: &str, body: &serde_json::Value) -> Answer {
    call(admin, method, path, ALL, &body.to_string()).await
}

/// The path of a listener, or of the collection when `id` is empty.
pub fn listener_path(id: &str) -> String {
    if id.is_empty() {
        "/api/v1/integration_account_webhook".into()
    } else {
        format!("/api/v1/integration_account_webhook/{id}")
    }
}

/// The `integrationAccountWebhookId` of a listener object.
pub fn listener_id(listener: &serde_json::Value) -> String {
    listener["integrationAccountWebhookId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// GETs `path` until `done` holds for its JSON (5 s at most) and returns the last answer.
pub async fn poll(
    admin: SocketAddr,
    path: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for _ in 0..100 {
        last = get(admin, path).await.json();
        if done(&last) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    last
}

/// The `field` of every entry of a 400 answer's `errors`, in order.
pub fn error_fields(answer: &serde_json::Value) -> Vec<&str> {
    answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

/// The first entry of a 400 answer's `errors` about `field`.
pub fn error_for<'a>(answer: &'a serde_json::Value, field: &str) -> &'a serde_json::Value {
    answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .unwrap()
}
