//! Listeners through the API: validation like `check`, file listeners answering 409, soft
//! delete, and the times of a file listener across restarts.

use super::{api_listener, config, create, smoobu_event, SEED_LISTENER};
use crate::common::admin::{call, error_fields, error_for, get, listener_path, send, ALL};
use crate::common::{post, Gateway};
use serde_json::{json, Value};
use std::time::Duration;

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
