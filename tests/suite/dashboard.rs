//! SPEC section 11: the dashboard's files as a browser gets them (no token, the policy header,
//! every module the page loads), and the two calls it makes besides listeners and events:
//! `whoami` (which buttons to show) and `overview` (the last hour). The page itself is driven
//! in headless Chromium by tests/browser/.

use crate::common::admin::{call, get, ALL, TOKENS};
use crate::common::{get_open, post, Gateway, Receiver};
use serde_json::{json, Value};
use std::time::Duration;

const POLICY: &str = "default-src 'self'";

fn config(failing: &str, working: &str) -> String {
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
id = "orders"
name = "Orders"
provider = "smoobu"
account_id = "orders-acct"
event_subscription = {{ newReservation = true }}

[[listener.receiver]]
url = "{failing}"

[[system_webhook]]
url = "{working}"
events = ["delivery.failed"]
"#
    )
}

fn header<'a>(a: &'a crate::common::Answer, name: &str) -> &'a str {
    a.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The `/assets/…` paths the page loads, and the modules those import.
fn referenced(page: &str) -> Vec<String> {
    page.split(['"', '\''])
        .filter(|s| s.starts_with("/assets/"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_page_and_every_file_it_loads_are_served_without_a_token_under_the_policy() {
    let gw = Gateway::start(&config("http://127.0.0.1:9/r", "http://127.0.0.1:9/s"));
    let page = get_open(gw.admin, "/").await;
    assert_eq!(page.status, 200);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&page, "content-security-policy"), POLICY);
    let html = String::from_utf8(page.body.to_vec()).unwrap();
    assert!(html.contains("<script type=\"module\" src=\"/assets/app.js\">"));
    let mut todo = referenced(&html);
    let mut seen = Vec::new();
    while let Some(path) = todo.pop() {
        if seen.contains(&path) {
            continue;
        }
        let a = get_open(gw.admin, &path).await;
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(header(&a, "content-security-policy"), POLICY, "{path}");
        assert_eq!(header(&a, "x-content-type-options"), "nosniff", "{path}");
        assert!(!a.body.is_empty(), "{path}");
        if path.ends_with(".js") {
            assert_eq!(header(&a, "content-type"), "text/javascript; charset=utf-8");
            let text = String::from_utf8(a.body.to_vec()).unwrap();
            // Imports are relative (`./x.js`): resolved against /assets/.
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let file = line.rsplit("'./").next().unwrap().trim_end_matches("';");
                todo.push(format!("/assets/{file}"));
            }
        }
        seen.push(path);
    }
    for expected in [
        "/assets/app.css",
        "/assets/app.js",
        "/assets/events.js",
        "/assets/detail.js",
    ] {
        assert!(
            seen.iter().any(|s| s == expected),
            "{expected} not loaded: {seen:?}"
        );
    }
    // Only GET and HEAD; anything else under the dashboard is not there.
    let head = call(gw.admin, "HEAD", "/", "", "").await;
    assert_eq!((head.status.as_u16(), head.body.len()), (200, 0));
    assert_eq!(header(&head, "content-security-policy"), POLICY);
    assert_eq!(call(gw.admin, "POST", "/", "", "").await.status, 405);
    assert_eq!(get_open(gw.admin, "/assets/nope.js").await.status, 404);
}

#[tokio::test]
async fn whoami_tells_a_token_its_scopes() {
    let gw = Gateway::start(&config("http://127.0.0.1:9/r", "http://127.0.0.1:9/s"));
    let all = get(gw.admin, "/api/v1/whoami").await;
    assert_eq!(all.status, 200);
    assert_eq!(
        all.json(),
        json!({"name": "all", "scopes": ["WEBHOOKS:VIEW", "WEBHOOKS:ADD", "WEBHOOKS:EDIT", "WEBHOOKS:REMOVE"]})
    );
    let viewer = call(gw.admin, "GET", "/api/v1/whoami", "view-token", "").await;
    assert_eq!(
        viewer.json(),
        json!({"name": "viewer", "scopes": ["WEBHOOKS:VIEW"]})
    );
    let cases = [("", 401), ("wrong", 401), ("no-scope-token", 403)];
    for (token, status) in cases {
        let a = call(gw.admin, "GET", "/api/v1/whoami", token, "").await;
        assert_eq!(a.status, status, "token {token:?}");
    }
    assert_eq!(
        call(gw.admin, "POST", "/api/v1/whoami", ALL, "")
            .await
            .status,
        405
    );
}

async fn smoobu(gw: &Gateway, action: &str) -> u16 {
    let body = json!({"action": action, "data": {"id": 1}}).to_string();
    let a = post(gw.public, &gw.url("smoobu/orders-acct"), &[], body).await;
    a.status.as_u16()
}

async fn overview(gw: &Gateway) -> Value {
    let a = get(gw.admin, "/api/v1/overview").await;
    assert_eq!(a.status, 200);
    a.json()
}

#[tokio::test]
async fn the_overview_counts_the_last_hour_by_outcome() {
    let failing = Receiver::start().await;
    failing.fail_next(1_000, 500);
    let system = Receiver::start().await;
    let gw = Gateway::start(&config(&failing.url("/orders"), &system.url("/system")));
    for _ in 0..3 {
        assert_eq!(smoobu(&gw, "newReservation").await, 200);
    }
    assert_eq!(smoobu(&gw, "cancelReservation").await, 200, "filtered");
    let refused = post(gw.public, &gw.url("smoobu/orders-acct"), &[], "{nope").await;
    assert_eq!(refused.status, 400);
    // Each of the three deliveries fails at its only attempt.
    let mut o = Value::Null;
    for _ in 0..200 {
        o = overview(&gw).await;
        if o["lastHour"]["failed"] == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let hour = &o["lastHour"];
    assert_eq!(
        (
            &hour["accepted"],
            &hour["filtered"],
            &hour["refused"],
            &hour["failed"]
        ),
        (&json!(3), &json!(1), &json!(1), &json!(3)),
        "{o}"
    );
    // The system events about those failures may still be on their way.
    assert!(o["pending"].as_u64().is_some_and(|n| n <= 3), "{o}");
    let minutes = o["perMinute"].as_array().unwrap();
    assert_eq!(minutes.len(), 60);
    let summed: u64 = minutes
        .iter()
        .map(|m| m["accepted"].as_u64().unwrap())
        .sum();
    assert_eq!(summed, 3);
    let receivers = o["unhealthyReceivers"].as_array().unwrap();
    assert!(
        receivers
            .iter()
            .any(|r| r["listenerId"] == "orders" && r["url"] == failing.url("/orders")),
        "{o}"
    );
    // The failures reach the system webhook; the dashboard lists those events too.
    let mut listed = Value::Null;
    for _ in 0..200 {
        let a = get(
            gw.admin,
            "/api/v1/integration_account_webhook/__system__/events",
        )
        .await;
        assert_eq!(a.status, 200);
        listed = a.json();
        if listed["totalEventsCount"] == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(listed["totalEventsCount"], 3, "{listed}");
    assert!(listed["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["eventType"] == "delivery.failed"));
    // Once delivered, nothing is pending.
    for _ in 0..200 {
        o = overview(&gw).await;
        if o["pending"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(o["pending"], 0, "{o}");
}
