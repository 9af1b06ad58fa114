//! Secrets: masked in every answer, error and log line, kept across restarts and by `"***"`.

use super::{api_listener, config, create, smoobu_event, SEED_LISTENER, SIGNING};
use crate::common::admin::{get, listener_id, listener_path, send};
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
