//! The listener object field by field: the seed-000 shape, one and many, take and skip.

use super::{config, SEED_ACCOUNT, SEED_LISTENER};
use crate::common::admin::{get, listener_path};
use crate::common::Gateway;
use serde_json::{json, Value};

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
    assert_eq!(r["headers"]["x-env"], "***");
}
