//! The listener object: its seed-000 shape, masked secrets, create/update/delete, validation,
//! file listeners, and what survives a restart.

use super::{api_listener, config, create, smoobu_event, SEED_ACCOUNT, SEED_LISTENER, SIGNING};
use crate::common::admin::{
    call, error_fields, error_for, get, listener_id, listener_path, send, ALL,
};
use crate::common::{post, wait_until, Gateway, Receiver};
use serde_json::{json, Value};
use std::time::Duration;

/// Every secret the file listener holds; none may ever come back.
const CONFIG_SECRETS: [&str; 6] = [
    "config-header-secret",
    "config-basic-password",
    "config-verify-secret",
    "config-receiver-auth",
    "config-oauth-secret",
    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
];

/// The JSON type name of a value, as the shape checks spell it.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[tokio::test]
async fn a_listener_has_the_seed_000_shape_field_by_field() {
    let gw = Gateway::start(&config("http://127.0.0.1:9/r"));
    let a = get(
        gw.admin,
        &format!("{}?integrationAccountId={SEED_ACCOUNT}", listener_path("")),
    )
    .await;
    assert_eq!(a.status, 200);
    let list = a.json();
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), 1, "only the listeners of that account");
    let l = &list[0];
    assert_seed_000_types(l);
    assert_seed_listener_values(l);
    assert_receiver_shape(&l["receivers"][0]);
    // One listener alone has the same shape.
    let one = get(gw.admin, &listener_path(SEED_LISTENER)).await.json();
    assert_eq!(&one, l);
    assert_eq!(get(gw.admin, &listener_path("nope")).await.status, 404);
    // All listeners without the parameter; take/skip page them.
    let all = get(gw.admin, &listener_path("")).await.json();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let page = get(gw.admin, &format!("{}?take=1&skip=1", listener_path("")))
        .await
        .json();
    assert_eq!(page[0]["integrationAccountWebhookId"], "cfg-smoobu");
    assert_eq!(
        get(gw.admin, &format!("{}?take=x", listener_path("")))
            .await
            .status,
        400
    );
}

/// Every field of the seed-000 shape (and ours) has its JSON type.
fn assert_seed_000_types(l: &Value) {
    let expect = [
        ("integrationAccountWebhookId", "string"),
        ("name", "string"),
        ("enabled", "boolean"),
        ("headers", "object"),
        ("ipAddress", "string"),
        ("eventSubscription", "object"),
        ("receiverUrl", "string"),
        ("listenerUrl", "array"),
        ("integrationAccountId", "string"),
        ("integrationDefinitionId", "string"),
        ("workspaceId", "string"),
        ("apiSupport", "boolean"),
        ("createdAt", "string"),
        ("updatedAt", "string"),
        ("deleted", "null"),
        ("provider", "string"),
        ("allowedIps", "array"),
        ("receivers", "array"),
        ("managedBy", "string"),
    ];
    for (field, t) in expect {
        assert_eq!(kind(&l[field]), t, "{field}: {}", l[field]);
    }
}

/// The file listener's values, field by field.
fn assert_seed_listener_values(l: &Value) {
    assert_eq!(l["integrationAccountWebhookId"], SEED_LISTENER);
    assert_eq!(l["name"], "test-hostaway");
    assert_eq!(l["enabled"], true);
    assert_eq!(l["ipAddress"], "127.0.0.1/32");
    assert_eq!(l["allowedIps"], json!(["127.0.0.1/32", "2406:7400::/32"]));
    assert_eq!(
        l["eventSubscription"],
        json!({"conversation.updated": true, "reservation.created": true, "reservation.deleted": false, "reservation.updated": true})
    );
    assert_eq!(l["receiverUrl"], "http://127.0.0.1:9/r");
    assert_eq!(
        l["listenerUrl"],
        json!([format!(
            "https://hooks.example.com/api/v1/listener/hostaway/{SEED_ACCOUNT}"
        )])
    );
    assert_eq!(l["integrationAccountId"], SEED_ACCOUNT);
    assert_eq!(
        l["integrationDefinitionId"],
        "1ea16ec2-c3ac-4ab9-a8d3-4f67063ce03c"
    );
    assert_eq!(l["workspaceId"], "27ac99f3-dce2-41ee-a2c0-5d8c9ddc44a2");
    assert_eq!(l["apiSupport"], true);
    assert_eq!(l["provider"], "hostaway");
    assert_eq!(l["managedBy"], "config");
    let created = l["createdAt"].as_str().unwrap();
    humantime::parse_rfc3339(created).expect("createdAt is RFC 3339");
    assert!(created.ends_with('Z'));
    assert_eq!(l["createdAt"], l["updatedAt"], "never changed since loaded");
}

/// A receiver's fields and types.
fn assert_receiver_shape(r: &Value) {
    for (field, t) in [
        ("url", "string"),
        ("headers", "object"),
        ("events", "null"),
        ("format", "string"),
        ("maxRetryCount", "null"),
        ("signingSecret", "string"),
        ("authorization", "string"),
        ("oauth", "object"),
    ] {
        assert_eq!(kind(&r[field]), t, "receivers[0].{field}");
    }
    assert_eq!(r["format"], "raw");
    assert_eq!(r["headers"]["x-env"], "test");
}

#[tokio::test]
async fn every_secret_is_masked_in_answers_errors_and_logs() {
    let gw = Gateway::start(&config("http://127.0.0.1:9/r"));
    let file = get(gw.admin, &listener_path(SEED_LISTENER)).await.json();
    assert_eq!(file["headers"], json!({"x-api-key": "***"}));
    assert_eq!(
        file["basicAuth"],
        json!({"username": "hostaway", "password": "***"})
    );
    assert_eq!(file["verifySecret"], "***");
    let r = &file["receivers"][0];
    assert_eq!(r["signingSecret"], "***");
    assert_eq!(r["authorization"], "***");
    assert_eq!(r["oauth"]["clientSecret"], "***");
    assert_eq!(r["oauth"]["clientId"], "cid");

    let made = create(
        &gw,
        &json!({
            "provider": "hostaway",
            "integrationAccountId": "acc-secret",
            "headers": {"X-Key": "api-header-secret"},
            "basicAuth": {"username": "u", "password": "api-basic-password"},
            "verifySecret": "api-verify-secret",
            "receivers": [{"url": "http://127.0.0.1:9/x", "signingSecret": SIGNING,
                "authorization": "Bearer api-receiver-auth",
                "oauth": {"tokenUrl": "http://127.0.0.1:9/t", "clientId": "c", "clientSecret": "api-oauth-secret"}}]
        }),
    )
    .await;
    let id = listener_id(&made);
    let api_secrets = [
        "api-header-secret",
        "api-basic-password",
        "api-verify-secret",
        "api-receiver-auth",
        "api-oauth-secret",
    ];
    assert_eq!(made["headers"], json!({"x-key": "***"}));
    assert_eq!(made["basicAuth"]["password"], "***");
    assert_eq!(made["verifySecret"], "***");
    assert_eq!(made["receivers"][0]["signingSecret"], "***");
    assert_eq!(made["receivers"][0]["authorization"], "***");
    assert_eq!(made["receivers"][0]["oauth"]["clientSecret"], "***");

    // A PUT that fails validation does not echo the secrets it carried.
    let bad = send(
        gw.admin,
        "PUT",
        &listener_path(&id),
        &json!({"provider": "hostaway", "integrationAccountId": "acc-secret",
                "receivers": [{"url": "not a url", "signingSecret": "bad-signing-secret!!",
                               "authorization": "Bearer api-receiver-auth"}]}),
    )
    .await;
    assert_eq!(bad.status, 400);
    let text = String::from_utf8_lossy(&bad.body).to_string();
    assert!(text.contains("receivers[0].signingSecret"), "{text}");
    assert!(!text.contains("bad-signing-secret"), "{text}");

    let mut seen = String::new();
    for path in [
        listener_path(""),
        listener_path(&id),
        listener_path(SEED_LISTENER),
    ] {
        seen.push_str(&String::from_utf8_lossy(&get(gw.admin, &path).await.body));
    }
    seen.push_str(&made.to_string());
    seen.push_str(&gw.log_text());
    for secret in CONFIG_SECRETS.iter().chain(api_secrets.iter()) {
        assert!(!seen.contains(secret), "{secret} leaked");
    }
    assert!(!seen.contains("bad-signing-secret"));
}

#[tokio::test]
async fn an_api_listener_delivers_survives_a_restart_and_keeps_its_secrets() {
    let receiver = Receiver::start().await;
    let mut gw = Gateway::start(&config(&receiver.url("/cfg")));
    let made = create(&gw, &api_listener("acc-1", &receiver.url("/api"))).await;
    let id = listener_id(&made);
    assert_eq!(made["managedBy"], "api");
    assert_eq!(made["deleted"], Value::Null);
    assert_eq!(
        made["listenerUrl"],
        json!(["https://hooks.example.com/api/v1/listener/smoobu/acc-1"])
    );
    // Live at once: the required header is enforced and the event is delivered, signed.
    let refused = post(gw.public, &gw.url("smoobu/acc-1"), &[], "{}").await;
    assert_eq!(refused.status, 401);
    let a = smoobu_event(&gw, "acc-1", "newReservation").await;
    assert_eq!(a.json()["status"], "accepted", "{:?}", a.json());
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    let wh = standardwebhooks::Webhook::new(SIGNING).unwrap();
    let got = &receiver.received()[0];
    assert_eq!(got.path, "/api");
    assert_eq!(got.header("authorization"), "Bearer api-receiver-auth");
    wh.verify(&got.body, &got.headers)
        .expect("signed with the stored secret");

    gw.signal("TERM");
    assert_eq!(gw.wait_exit(Duration::from_secs(15)), Some(0));
    let gw = gw.restart();
    let after = get(gw.admin, &listener_path(&id)).await;
    assert_eq!(after.status, 200);
    assert_eq!(after.json(), made, "the same listener after a restart");
    let a = smoobu_event(&gw, "acc-1", "updateReservation").await;
    assert_eq!(a.json()["status"], "accepted");
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 2).await);
    let got = &receiver.received()[1];
    wh.verify(&got.body, &got.headers)
        .expect("the secret survived the restart in clear in the store");
    assert_eq!(got.header("authorization"), "Bearer api-receiver-auth");
    // The file's listener is unaffected and still listed first.
    let all = get(gw.admin, &listener_path("")).await.json();
    let ids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["integrationAccountWebhookId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![SEED_LISTENER, "cfg-smoobu", id.as_str()]);
}

#[tokio::test]
async fn put_changes_an_api_listener_and_stars_keep_its_secrets() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/cfg")));
    let made = create(&gw, &api_listener("acc-put", &receiver.url("/api"))).await;
    let id = made["integrationAccountWebhookId"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    // Send back what GET gave, masked secrets included, with two edits.
    let mut edited = made.clone();
    edited["name"] = json!("renamed");
    edited["eventSubscription"] = json!({"cancelReservation": true});
    let a = send(gw.admin, "PUT", &listener_path(id), &edited).await;
    assert_eq!(a.status, 200, "{:?}", a.json());
    let now = a.json();
    assert_eq!(now["name"], "renamed");
    assert_eq!(now["createdAt"], made["createdAt"]);
    assert_ne!(now["updatedAt"], made["updatedAt"]);
    // The header secret was kept: the old value still opens the listener URL...
    let a = smoobu_event(&gw, "acc-put", "cancelReservation").await;
    assert_eq!(a.json()["status"], "accepted");
    // ...the subscription changed...
    let a = smoobu_event(&gw, "acc-put", "newReservation").await;
    assert_eq!(a.json()["status"], "filtered");
    // ...and the signing secret was kept too.
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    let got = &receiver.received()[0];
    standardwebhooks::Webhook::new(SIGNING)
        .unwrap()
        .verify(&got.body, &got.headers)
        .expect("kept signing secret");
    // A PUT can also replace a secret in clear.
    let mut edited = now.clone();
    edited["headers"] = json!({"X-Api-Key": "new-key"});
    assert_eq!(
        send(gw.admin, "PUT", &listener_path(id), &edited)
            .await
            .status,
        200
    );
    let old = smoobu_event(&gw, "acc-put", "cancelReservation").await;
    assert_eq!(old.status, 401);
    // "***" where nothing is stored is refused.
    let mut edited = now.clone();
    edited["verifySecret"] = json!("***");
    let a = send(gw.admin, "PUT", &listener_path(id), &edited).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["errors"][0]["field"], "verifySecret");
    assert_eq!(
        send(gw.admin, "PUT", &listener_path("nope"), &edited)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn create_validates_like_check_and_lists_every_problem() {
    let gw = Gateway::start(&config("http://127.0.0.1:9/r"));
    let a = send(
        gw.admin,
        "POST",
        &listener_path(""),
        &json!({
            "provider": "nosuch",
            "integrationAccountId": "has space",
            "allowedIps": ["10.0.0.300"],
            "unknownField": 1,
            "enabled": "yes",
            "rateLimit": {"perSecond": 0},
            "receivers": [{"url": "http://10.1.2.3/x", "format": "xml", "signingSecret": "plain"}]
        }),
    )
    .await;
    assert_eq!(a.status, 400);
    let j = a.json();
    assert_eq!(j["code"], "invalid_request");
    let fields: Vec<&str> = error_fields(&j);
    for f in [
        "unknownField",
        "enabled",
        "provider",
        "integrationAccountId",
        "allowedIps[0]",
        "rateLimit.perSecond",
        "receivers[0].url",
        "receivers[0].format",
        "receivers[0].signingSecret",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    // The private address is refused for the reason `check` gives.
    let url_error = error_for(&j, "receivers[0].url");
    assert!(url_error["message"]
        .as_str()
        .unwrap()
        .contains("allow_targets"));
    // Not JSON, not an object, nothing created.
    assert_eq!(
        call(gw.admin, "POST", &listener_path(""), ALL, "{")
            .await
            .status,
        400
    );
    assert_eq!(
        call(gw.admin, "POST", &listener_path(""), ALL, "[]")
            .await
            .status,
        400
    );
    assert_eq!(
        get(gw.admin, &listener_path(""))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // receiverUrl alone is one receiver with defaults; read-only fields are ignored.
    let made = create(
        &gw,
        &json!({"provider": "smoobu", "integrationAccountId": "short", "receiverUrl": "http://127.0.0.1:9/s",
                "integrationAccountWebhookId": "mine", "managedBy": "config", "createdAt": "x",
                "deleted": "2020-01-01T00:00:00Z", "listenerUrl": ["x"]}),
    )
    .await;
    assert_ne!(made["integrationAccountWebhookId"], "mine");
    assert_eq!(made["managedBy"], "api");
    assert_eq!(made["deleted"], Value::Null);
    assert_eq!(made["receivers"].as_array().unwrap().len(), 1);
    assert_eq!(made["receivers"][0]["format"], "raw");
}

#[tokio::test]
async fn file_listeners_answer_409_and_accounts_are_unique() {
    let gw = Gateway::start(&config("http://127.0.0.1:9/r"));
    for body in [
        "{}",
        "garbage",
        r#"{"provider":"smoobu","integrationAccountId":"x"}"#,
    ] {
        let a = call(gw.admin, "PUT", &listener_path(SEED_LISTENER), ALL, body).await;
        assert_eq!(a.status, 409);
        assert_eq!(a.code(), "managed_by_config");
    }
    let a = call(gw.admin, "DELETE", &listener_path("cfg-smoobu"), ALL, "").await;
    assert_eq!(a.status, 409);
    assert_eq!(a.code(), "managed_by_config");
    // The file listener still works.
    let a = post(
        gw.public,
        &gw.url("smoobu/smoobu-cfg"),
        &[],
        r#"{"action":"x"}"#,
    )
    .await;
    assert_eq!(a.json()["status"], "accepted");
    // (provider, account) of a file listener, then of an API listener: 409 conflict.
    let clash = send(
        gw.admin,
        "POST",
        &listener_path(""),
        &json!({"provider": "smoobu", "integrationAccountId": "smoobu-cfg"}),
    )
    .await;
    assert_eq!(clash.status, 409);
    assert_eq!(clash.code(), "conflict");
    create(
        &gw,
        &json!({"provider": "smoobu", "integrationAccountId": "taken"}),
    )
    .await;
    let clash = send(
        gw.admin,
        "POST",
        &listener_path(""),
        &json!({"provider": "smoobu", "integrationAccountId": "taken"}),
    )
    .await;
    assert_eq!(clash.status, 409);
    // Another provider may use the same account id.
    create(
        &gw,
        &json!({"provider": "lodgify", "integrationAccountId": "taken"}),
    )
    .await;
}

#[tokio::test]
async fn delete_is_soft_and_the_listener_url_then_answers_404() {
    let gw = Gateway::start(&config("http://127.0.0.1:9/r"));
    let made = create(&gw, &api_listener("acc-del", "http://127.0.0.1:9/x")).await;
    let id = made["integrationAccountWebhookId"].as_str().unwrap();
    assert_eq!(
        smoobu_event(&gw, "acc-del", "newReservation").await.status,
        200
    );
    let a = call(gw.admin, "DELETE", &listener_path(id), ALL, "").await;
    assert_eq!(a.status, 200);
    let deleted = a.json()["deleted"].as_str().unwrap().to_string();
    humantime::parse_rfc3339(&deleted).unwrap();
    let a = smoobu_event(&gw, "acc-del", "newReservation").await;
    assert_eq!(a.status, 404);
    assert_eq!(a.code(), "listener_not_found");
    // Still visible by id, with the timestamp; gone from the list; its events stay readable.
    let one = get(gw.admin, &listener_path(id)).await.json();
    assert_eq!(one["deleted"], deleted.as_str());
    let list = get(gw.admin, &listener_path("")).await.json();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["integrationAccountWebhookId"] != id));
    let events = get(gw.admin, &format!("{}/events", listener_path(id)))
        .await
        .json();
    assert_eq!(events["totalEventsCount"], 1);
    // No second delete, no edit, no test of a deleted listener.
    assert_eq!(
        call(gw.admin, "DELETE", &listener_path(id), ALL, "")
            .await
            .status,
        404
    );
    assert_eq!(
        send(gw.admin, "PUT", &listener_path(id), &made)
            .await
            .status,
        404
    );
    assert_eq!(
        call(
            gw.admin,
            "POST",
            &format!("{}/test", listener_path(id)),
            ALL,
            ""
        )
        .await
        .status,
        404
    );
    // The account is free again.
    create(&gw, &api_listener("acc-del", "http://127.0.0.1:9/x")).await;
    assert_eq!(
        smoobu_event(&gw, "acc-del", "newReservation").await.status,
        200
    );
}

#[tokio::test]
async fn file_listener_times_follow_its_definition_across_restarts() {
    let mut gw = Gateway::start(&config("http://127.0.0.1:9/r"));
    let first = get(gw.admin, &listener_path("cfg-smoobu")).await.json();
    gw.signal("TERM");
    assert_eq!(gw.wait_exit(Duration::from_secs(15)), Some(0));
    // Unchanged file: the same times after a restart.
    let mut gw = gw.restart();
    let again = get(gw.admin, &listener_path("cfg-smoobu")).await.json();
    assert_eq!(again["createdAt"], first["createdAt"]);
    assert_eq!(again["updatedAt"], first["updatedAt"]);
    gw.signal("TERM");
    assert_eq!(gw.wait_exit(Duration::from_secs(15)), Some(0));
    // A changed definition moves updatedAt only.
    let text = std::fs::read_to_string(&gw.config).unwrap();
    std::fs::write(
        &gw.config,
        text.replace(
            "account_id = \"smoobu-cfg\"",
            "account_id = \"smoobu-cfg\"\nname = \"renamed\"",
        ),
    )
    .unwrap();
    let gw = gw.restart();
    let changed = get(gw.admin, &listener_path("cfg-smoobu")).await.json();
    assert_eq!(changed["name"], "renamed");
    assert_eq!(changed["createdAt"], first["createdAt"]);
    assert_ne!(changed["updatedAt"], first["updatedAt"]);
}
