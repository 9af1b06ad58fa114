//! Nothing acknowledged is lost: across SIGKILL, and across a graceful stop.

use crate::common::ports::free_port;
use crate::common::{post, wait_until, Gateway, Receiver};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

fn config(receiver: SocketAddr) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["200ms"]
max_retry_count = 100

[[listener]]
id = "l1"
provider = "smoobu"
account_id = "acc"

[[listener.receiver]]
url = "http://{receiver}/in"
"#
    )
}

async fn send_events(gw: &Gateway, n: usize) -> HashSet<String> {
    let mut ids = HashSet::new();
    for i in 0..n {
        let body = format!(r#"{{"action":"newReservation","data":{{"id":{i}}}}}"#);
        let a = post(gw.public, &gw.url("smoobu/acc"), &[], body).await;
        assert_eq!(a.status, 200);
        ids.insert(a.event_id());
    }
    ids
}

#[tokio::test]
async fn two_hundred_events_survive_sigkill_and_arrive_after_restart() {
    let addr = free_port();
    let mut gw = Gateway::start(&config(addr));
    let ids = send_events(&gw, 200).await;
    assert_eq!(ids.len(), 200);
    gw.kill9();
    let gw2 = gw.restart();
    let receiver = Receiver::start_on(addr, 0).await;
    assert!(
        wait_until(Duration::from_secs(30), || receiver.webhook_ids().len()
            >= 200)
        .await,
        "only {} of 200 arrived",
        receiver.webhook_ids().len()
    );
    assert_eq!(
        receiver.webhook_ids(),
        ids,
        "every acknowledged event arrives, with its webhook-id"
    );
    drop(gw2);
}

#[tokio::test]
async fn sigterm_exits_zero_and_loses_nothing() {
    let addr = free_port();
    let mut gw = Gateway::start(&config(addr));
    let ids = send_events(&gw, 50).await;
    gw.signal("TERM");
    assert_eq!(
        gw.wait_exit(Duration::from_secs(30)),
        Some(0),
        "{}",
        gw.log_text()
    );
    let receiver = Receiver::start_on(addr, 0).await;
    let _gw2 = gw.restart();
    assert!(
        wait_until(Duration::from_secs(30), || receiver.webhook_ids().len()
            >= 50)
        .await
    );
    assert_eq!(receiver.webhook_ids(), ids);
}
