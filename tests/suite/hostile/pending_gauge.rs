//! No gauge goes negative: callers that hang up before their answer still have their committed
//! events counted as pending, so delivering them brings the gauge back to 0, not below.

use crate::common::admin::{get, listener_path, TOKENS};
use crate::common::{get_open, Gateway, Receiver};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

fn config(receiver: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]

[[listener]]
id = "l"
provider = "smoobu"
account_id = "a"

[[listener.receiver]]
url = "{receiver}"
{TOKENS}
"#
    )
}

async fn pending(gw: &Gateway) -> f64 {
    let answer = get_open(gw.admin, "/metrics").await;
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("hookgate_pending_deliveries "))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or_else(|| panic!("no pending gauge in\n{text}"))
}

/// Sends a whole request and closes the connection after `n % 8` hundred microseconds, before
/// the answer (the spread makes some hang-ups land while the event is being committed).
async fn hang_up_after_sending(gw: std::net::SocketAddr, path: String, n: usize) {
    let body = format!(r#"{{"action":"x","n":{n}}}"#);
    let request = format!(
        "POST {} HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        path,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(gw).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_micros(100 * (n % 8) as u64)).await;
    drop(stream);
}

#[tokio::test]
async fn callers_hanging_up_never_drive_the_pending_gauge_negative() {
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(&receiver.url("/r")));
    let mut lowest = 0.0f64;
    for round in 0..10 {
        let mut sends = tokio::task::JoinSet::new();
        for i in 0..30 {
            sends.spawn(hang_up_after_sending(
                gw.public,
                gw.url("smoobu/a"),
                round * 30 + i,
            ));
        }
        while sends.join_next().await.is_some() {}
        lowest = lowest.min(pending(&gw).await);
    }
    // Wait until every stored event has been delivered (events the dispatcher was not told
    // about are found by its idle poll of the store, within seconds).
    let mut stored = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        lowest = lowest.min(pending(&gw).await);
        stored = get(gw.admin, &format!("{}/events", listener_path("l")))
            .await
            .json()["totalEventsCount"]
            .as_u64()
            .unwrap() as usize;
        if stored > 0 && receiver.count() >= stored {
            break;
        }
    }
    assert_eq!(
        receiver.count(),
        stored,
        "not every stored event was delivered"
    );
    assert!(receiver.count() > 0, "no hung-up request was stored");
    eprintln!("delivered {}, lowest gauge {lowest}", receiver.count());
    assert!(lowest >= 0.0, "the pending gauge went to {lowest}");
    assert_eq!(pending(&gw).await, 0.0);
}

#[tokio::test]
async fn deleting_an_event_while_its_attempt_runs_does_not_count_it_down_twice() {
    let receiver = Receiver::start().await;
    receiver.set_delay(Duration::from_millis(800));
    let gw = Gateway::start(&config(&receiver.url("/slow")));
    let a = crate::common::post(gw.public, &gw.url("smoobu/a"), &[], r#"{"action":"x"}"#).await;
    let id = a.event_id();
    assert!(crate::common::wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    let path = crate::common::events::event_path(&id);
    let deleted =
        crate::common::admin::call(gw.admin, "DELETE", &path, crate::common::admin::ALL, "").await;
    assert!(deleted.status.is_success(), "{:?}", deleted.body);
    // The attempt finishes after the deletion.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(pending(&gw).await, 0.0);
}
