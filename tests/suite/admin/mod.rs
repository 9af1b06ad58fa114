//! SPEC section 5: the management API as an integrator uses it — auth and scopes, the listener
//! object, secrets, create/update/delete, restarts, the event log, paging and live reload.

mod access;
mod deep_pages;
mod events;
mod listeners;
mod paging;
mod reload;
mod secrets;
mod shape;

use crate::common::admin::{listener_path, send, TOKENS};
use crate::common::{post, Gateway};
use serde_json::{json, Value};

pub(super) const SIGNING: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub(super) const SEED_LISTENER: &str = "dd543113-d904-4ea5-9d3c-97cad062826a";
pub(super) const SEED_ACCOUNT: &str = "6eabebf8-d74c-4175-ae60-df798e62aeec";

pub(super) fn config(receiver: &str) -> String {
    format!(
        r#"
[server]
public_url = "https://hooks.example.com"

[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]
max_retry_count = 0
{TOKENS}
[[listener]]
id = "{SEED_LISTENER}"
name = "test-hostaway"
provider = "hostaway"
account_id = "{SEED_ACCOUNT}"
workspace_id = "27ac99f3-dce2-41ee-a2c0-5d8c9ddc44a2"
integration_definition_id = "1ea16ec2-c3ac-4ab9-a8d3-4f67063ce03c"
api_support = true
allowed_ips = ["127.0.0.1/32", "2406:7400::/32"]
required_headers = {{ "X-Api-Key" = "config-header-secret" }}
basic_auth = {{ username = "hostaway", password = "config-basic-password" }}
verify_secret = "config-verify-secret"
event_subscription = {{ "reservation.created" = true, "reservation.deleted" = false, "reservation.updated" = true, "conversation.updated" = true }}

[[listener.receiver]]
url = "{receiver}"
headers = {{ "X-Env" = "test" }}
authorization = "Bearer config-receiver-auth"
signing_secret = "{SIGNING}"
oauth = {{ token_url = "http://127.0.0.1:9/token", client_id = "cid", client_secret = "config-oauth-secret" }}

[[listener]]
id = "cfg-smoobu"
provider = "smoobu"
account_id = "smoobu-cfg"

[[listener.receiver]]
url = "{receiver}"
"#
    )
}

/// A smoobu listener made through the API, delivering to `receiver` and signing with SIGNING.
pub(super) fn api_listener(account: &str, receiver: &str) -> Value {
    json!({
        "name": "api-smoobu",
        "provider": "smoobu",
        "integrationAccountId": account,
        "workspaceId": "ws-9",
        "headers": {"X-Api-Key": "api-header-secret"},
        "eventSubscription": {"newReservation": true, "updateReservation": true},
        "receivers": [{"url": receiver, "signingSecret": SIGNING, "authorization": "Bearer api-receiver-auth"}]
    })
}

pub(super) async fn create(gw: &Gateway, body: &Value) -> Value {
    let a = send(gw.admin, "POST", &listener_path(""), body).await;
    assert_eq!(a.status, 201, "{:?}", a.json());
    a.json()
}

/// Posts a smoobu event with the API listener's required header.
pub(super) async fn smoobu_event(
    gw: &Gateway,
    account: &str,
    action: &str,
) -> crate::common::Answer {
    post(
        gw.public,
        &gw.url(&format!("smoobu/{account}")),
        &[("x-api-key", "api-header-secret")],
        json!({"action": action, "data": {"id": 1}}).to_string(),
    )
    .await
}
