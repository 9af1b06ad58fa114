//! `filter` runs at acceptance: only matching receivers get a delivery, and the answer's
//! `deliveries` counts them; a body that is not JSON never matches.

use crate::common::admin::TOKENS;
use crate::common::events::deliveries;
use crate::common::{events, post, wait_until, Gateway, Receiver};
use std::time::Duration;

pub fn fixture_body(name: &str) -> String {
    let path = format!("{}/fixtures/hostaway/{name}", env!("CARGO_MANIFEST_DIR"));
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    fixture["body"].to_string()
}

fn config(new: &str, cancelled: &str, headers: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
{TOKENS}

[[listener]]
id = "l1"
provider = "smoobu"
account_id = "acc"

[[listener.receiver]]
url = "{new}"
filter = '.data.status == "new" and .data.channelName != "direct" and $provider == "smoobu" and $account_id == "acc"'

[[listener.receiver]]
url = "{cancelled}"
filter = '.data.status == "cancelled" and $event_type == "reservation.updated"'

[[listener.receiver]]
url = "{headers}"
filter = '$headers["x-channel"] == "vip"'
"#
    )
}

#[tokio::test]
async fn only_matching_receivers_get_a_delivery() {
    let (new, cancelled, vip) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    let gw = Gateway::start(&config(
        &new.url("/n"),
        &cancelled.url("/c"),
        &vip.url("/v"),
    ));
    let url = gw.url("smoobu/acc");
    // smoobu reads `action`: these fixtures have none, so `$event_type` is read from `event`
    // through a body rewritten with an action.
    let created = fixture_body("reservation.created.json").replacen(
        '{',
        r#"{"action":"reservation.created","#,
        1,
    );
    let a = post(gw.public, &url, &[], created.clone()).await;
    assert_eq!(a.json()["status"], "accepted");
    assert_eq!(a.json()["deliveries"], 1);
    let cancelled_body = fixture_body("reservation.cancelled.json").replacen(
        '{',
        r#"{"action":"reservation.updated","#,
        1,
    );
    let b = post(gw.public, &url, &[("X-Channel", "vip")], cancelled_body).await;
    assert_eq!(
        b.json()["deliveries"],
        2,
        "cancelled and vip: {:?}",
        b.json()
    );
    assert!(
        wait_until(Duration::from_secs(5), || new.count() == 1
            && cancelled.count() == 1
            && vip.count() == 1)
        .await
    );
    assert_eq!(
        new.received()[0].body,
        created.as_bytes(),
        "a filter leaves the body as it is"
    );
    let recorded = events::event(gw.admin, &b.event_id()).await;
    assert_eq!(deliveries(&recorded).len(), 2);
}

#[tokio::test]
async fn a_body_that_is_not_json_matches_no_filter() {
    let new = Receiver::start().await;
    let gw = Gateway::start(&format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
{TOKENS}

[[listener]]
id = "l1"
provider = "github"
account_id = "acc"

[[listener.receiver]]
url = "{}"
filter = 'true'

[[listener.receiver]]
url = "{}"
"#,
        new.url("/filtered"),
        new.url("/plain")
    ));
    let a = post(
        gw.public,
        &gw.url("github/acc"),
        &[
            ("X-GitHub-Event", "push"),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        "payload=%7B%7D",
    )
    .await;
    assert_eq!(a.json()["status"], "accepted");
    assert_eq!(
        a.json()["deliveries"],
        1,
        "only the receiver without a filter"
    );
    assert!(wait_until(Duration::from_secs(5), || new.count() == 1).await);
    assert_eq!(new.received()[0].path, "/plain");
}
