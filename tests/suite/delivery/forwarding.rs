//! Forwarded request headers, and de-duplication of provider deliveries across a restart.

use crate::common::{post, wait_until, Gateway, Receiver};
use std::time::Duration;

#[tokio::test]
async fn forwarded_headers_are_copied_but_never_hop_by_hop_or_host() {
    let receiver = Receiver::start().await;
    let cfg = format!(
        "[store]\nurl = \"{{STORE}}\"\n[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n[[listener]]\nid = \"l\"\nprovider = \"smoobu\"\naccount_id = \"a\"\n[[listener.receiver]]\nurl = \"{}\"\nforward_headers = [\"X-Trace\", \"Host\", \"Connection\", \"Upgrade\"]\n",
        receiver.url("/f")
    );
    let gw = Gateway::start(&cfg);
    post(
        gw.public,
        &gw.url("smoobu/a"),
        &[("x-trace", "abc"), ("upgrade", "websocket")],
        r#"{"action":"x"}"#,
    )
    .await;
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    let got = &receiver.received()[0];
    assert_eq!(got.header("x-trace"), "abc");
    assert_eq!(got.header("upgrade"), "");
    assert_eq!(
        got.header("host"),
        receiver.addr.to_string(),
        "Host is the receiver's own"
    );
}

#[tokio::test]
async fn duplicate_github_deliveries_are_delivered_once_also_across_a_restart() {
    let receiver = Receiver::start().await;
    let cfg = format!(
        "[store]\nurl = \"{{STORE}}\"\n[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n[[listener]]\nid = \"l\"\nprovider = \"github\"\naccount_id = \"org\"\n[[listener.receiver]]\nurl = \"{}\"\n",
        receiver.url("/gh")
    );
    let mut gw = Gateway::start(&cfg);
    let headers = [("x-github-event", "push"), ("x-github-delivery", "d-1")];
    let first = post(gw.public, &gw.url("github/org"), &headers, "{}")
        .await
        .json();
    assert_eq!(first["status"], "accepted");
    gw.kill9();
    let gw2 = gw.restart();
    let again = post(gw2.public, &gw2.url("github/org"), &headers, "{}")
        .await
        .json();
    assert_eq!(again["status"], "duplicate");
    assert_eq!(again["eventId"], first["eventId"]);
    assert!(wait_until(Duration::from_secs(5), || receiver.count() >= 1).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The SIGKILL may fall between sending the first copy and recording it: then it is sent
    // once more after the restart (at least once, same webhook-id). The duplicate request
    // itself must never become a second event.
    let ids = receiver.webhook_ids();
    assert_eq!(ids.len(), 1, "the duplicate became a delivery of its own");
    assert!(ids.contains(first["eventId"].as_str().unwrap()));
}
