//! Limits through the management API: the same rules as the file, as 400 answers; receiver
//! header values masked; `"***"` never follows a receiver to a new destination.

use crate::common::admin::{
    error_fields, error_for, get, listener_id, listener_path, send, TOKENS,
};
use crate::common::{post, wait_until, Gateway, Receiver};
use serde_json::{json, Value};
use std::time::Duration;

const SIGNING: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn config(receiver: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]
max_retry_count = 0
{TOKENS}
[[listener]]
id = "file-listener"
provider = "smoobu"
account_id = "file-account"

[[listener.receiver]]
url = "{receiver}"
headers = {{ "X-Receiver-Key" = "file-header-secret" }}
"#
    )
}

/// A smoobu listener made through the API with one receiver carrying every kind of secret.
fn api_listener(account: &str, receiver_url: &str) -> Value {
    json!({
        "provider": "smoobu",
        "integrationAccountId": account,
        "receivers": [{
            "url": receiver_url,
            "headers": {"X-Receiver-Key": "api-header-secret"},
            "signingSecret": SIGNING,
            "authorization": "Bearer api-receiver-auth",
            "oauth": {"tokenUrl": "http://127.0.0.1:9/token", "clientId": "c", "clientSecret": "api-oauth-secret"}
        }]
    })
}

async fn create(gw: &Gateway, body: &Value) -> Value {
    let a = send(gw.admin, "POST", &listener_path(""), body).await;
    assert_eq!(a.status, 201, "{:?}", a.json());
    a.json()
}

#[tokio::test]
async fn receiver_header_values_are_masked_and_stars_keep_them() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/file")));
    let file = get(gw.admin, &listener_path("file-listener")).await.json();
    assert_eq!(
        file["receivers"][0]["headers"],
        json!({"x-receiver-key": "***"})
    );
    let mut body = api_listener("acc-mask", &receiver.url("/api"));
    body["receivers"][0]["oauth"] = Value::Null;
    let made = create(&gw, &body).await;
    assert_eq!(
        made["receivers"][0]["headers"],
        json!({"x-receiver-key": "***"})
    );
    let listed = get(gw.admin, &listener_path("")).await;
    assert!(!String::from_utf8_lossy(&listed.body).contains("header-secret"));

    // Sending back what GET gave keeps the stored header value.
    let id = listener_id(&made);
    let mut edited = made.clone();
    edited["name"] = json!("renamed");
    let a = send(gw.admin, "PUT", &listener_path(&id), &edited).await;
    assert_eq!(a.status, 200, "{:?}", a.json());
    assert_eq!(a.json()["receivers"][0]["headers"]["x-receiver-key"], "***");
    let answer = post(
        gw.public,
        &gw.url("smoobu/acc-mask"),
        &[],
        r#"{"action":"x"}"#,
    )
    .await;
    assert_eq!(answer.json()["status"], "accepted", "{:?}", answer.json());
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    assert_eq!(
        receiver.received()[0].header("x-receiver-key"),
        "api-header-secret"
    );
}

#[tokio::test]
async fn a_masked_secret_never_follows_a_new_url_or_token_url() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/file")));
    let made = create(&gw, &api_listener("acc-move", &receiver.url("/api"))).await;
    let id = listener_id(&made);

    // A new url with the masked secrets sent back: refused, every masked secret named.
    let mut moved = made.clone();
    moved["receivers"][0]["url"] = json!("https://elsewhere.example/steal");
    moved["receiverUrl"] = Value::Null;
    let a = send(gw.admin, "PUT", &listener_path(&id), &moved).await;
    assert_eq!(a.status, 400, "{:?}", a.json());
    let answer = a.json();
    assert_eq!(answer["code"], "secret_required");
    for key in ["code", "message", "errorId", "timestamp"] {
        assert!(answer[key].is_string(), "{key}: {answer}");
    }
    let mut fields = error_fields(&answer);
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "receivers[0].authorization",
            "receivers[0].headers.x-receiver-key",
            "receivers[0].oauth.clientSecret",
            "receivers[0].signingSecret",
        ]
    );

    // A new token URL on the same receiver: the same.
    let mut token_moved = made.clone();
    token_moved["receivers"][0]["oauth"]["tokenUrl"] = json!("http://127.0.0.2:9/token");
    let a = send(gw.admin, "PUT", &listener_path(&id), &token_moved).await;
    assert_eq!(a.status, 400, "{:?}", a.json());
    assert_eq!(a.json()["code"], "secret_required");
    let answer = a.json();
    let message = error_for(&answer, "receivers[0].oauth.clientSecret")["message"].as_str();
    assert!(message.unwrap().contains("in clear"), "{answer}");

    // With the secrets in clear, both changes are taken.
    let mut clear = token_moved.clone();
    clear["receivers"][0]["url"] = json!(receiver.url("/moved"));
    clear["receiverUrl"] = Value::Null;
    let r = &mut clear["receivers"][0];
    r["headers"] = json!({"X-Receiver-Key": "new-header"});
    r["signingSecret"] = json!(SIGNING);
    r["authorization"] = json!("Bearer new-auth");
    r["oauth"]["clientSecret"] = json!("new-oauth");
    let a = send(gw.admin, "PUT", &listener_path(&id), &clear).await;
    assert_eq!(a.status, 200, "{:?}", a.json());
    assert_eq!(a.json()["receivers"][0]["url"], receiver.url("/moved"));
}

#[tokio::test]
async fn the_file_limits_apply_to_listener_objects() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/file")));
    let receivers: Vec<Value> = (0..101)
        .map(|i| json!({"url": format!("https://example.com/{i}")}))
        .collect();
    let body = json!({
        "provider": "smoobu",
        "integrationAccountId": "acc-limits",
        "headers": {"X-Empty": ""},
        "basicAuth": {"username": "", "password": ""},
        "receivers": receivers,
    });
    let a = send(gw.admin, "POST", &listener_path(""), &body).await;
    assert_eq!(a.status, 400, "{:?}", a.json());
    let answer = a.json();
    assert_eq!(answer["code"], "invalid_request");
    for field in [
        "headers.X-Empty",
        "basicAuth.username",
        "basicAuth.password",
    ] {
        assert!(error_fields(&answer).contains(&field), "{field}: {answer}");
    }
    assert!(
        error_for(&answer, "receivers[100]")["message"]
            .as_str()
            .unwrap()
            .contains("from 0 to 100"),
        "{answer}"
    );

    let body = json!({
        "provider": "smoobu",
        "integrationAccountId": "acc-limits",
        "receivers": [
            {"url": "https://user:pw@example.com/a", "maxRetryCount": 101},
            {"url": "https://example.com/b", "timeout": "31d",
             "oauth": {"tokenUrl": "http://169.254.169.254/token", "clientId": "c", "clientSecret": "s"}}
        ]
    });
    let a = send(gw.admin, "POST", &listener_path(""), &body).await;
    assert_eq!(a.status, 400, "{:?}", a.json());
    let answer = a.json();
    let message = |field: &str| {
        error_for(&answer, field)["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        message("receivers[0].url").contains("user info"),
        "{answer}"
    );
    assert!(!answer.to_string().contains(":pw@"), "{answer}");
    assert!(
        message("receivers[0].maxRetryCount").contains("from 0 to 100"),
        "{answer}"
    );
    assert!(
        message("receivers[1].timeout").contains("30 days"),
        "{answer}"
    );
    assert!(
        message("receivers[1].oauth.tokenUrl").contains("link-local"),
        "{answer}"
    );
}
