//! Per-receiver isolation: a rate-limited or slow receiver holds back only itself.

use crate::common::{post, wait_until, Gateway, Receiver};
use std::time::{Duration, Instant};

fn two_receivers(limited: &str, free: &str, limited_extra: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]

[[listener]]
id = "l"
provider = "smoobu"
account_id = "a"

[[listener.receiver]]
url = "{limited}"
{limited_extra}

[[listener.receiver]]
url = "{free}"
"#
    )
}

async fn send(gw: &Gateway, n: usize) {
    for i in 0..n {
        let a = post(
            gw.public,
            &gw.url("smoobu/a"),
            &[],
            format!(r#"{{"action":"x","n":{i}}}"#),
        )
        .await;
        assert_eq!(a.json()["deliveries"], 2);
    }
}

fn last_arrival(r: &Receiver) -> Instant {
    r.received().iter().map(|x| x.at).max().unwrap()
}

#[tokio::test]
async fn a_rate_limited_receiver_is_held_back_while_the_other_gets_its_events_at_once() {
    let limited = Receiver::start().await;
    let free = Receiver::start().await;
    let gw = Gateway::start(&two_receivers(
        &limited.url("/slow"),
        &free.url("/fast"),
        "rate_limit = { per_second = 5 }",
    ));
    let started = Instant::now();
    send(&gw, 20).await;
    assert!(
        wait_until(Duration::from_secs(20), || limited.count() == 20
            && free.count() == 20)
        .await
    );
    let limited_took = last_arrival(&limited) - started;
    // A burst of 5, then 15 more at 5/s: at least ~3 s; none dropped.
    assert!(
        limited_took >= Duration::from_millis(2700),
        "20 deliveries at 5/s took only {limited_took:?}"
    );
    assert!(
        last_arrival(&free) + Duration::from_secs(1) < last_arrival(&limited),
        "the free receiver was held back too"
    );
}

#[tokio::test]
async fn a_slow_receiver_does_not_slow_the_others() {
    let slow = Receiver::start().await;
    slow.set_delay(Duration::from_millis(1500));
    let fast = Receiver::start().await;
    let gw = Gateway::start(
        &two_receivers(&slow.url("/slow"), &fast.url("/fast"), "").replace(
            "[delivery]",
            "[delivery]\nreceiver_concurrency = 4\nconcurrency = 8",
        ),
    );
    send(&gw, 30).await;
    assert!(
        wait_until(Duration::from_secs(10), || fast.count() == 30).await,
        "fast got {}",
        fast.count()
    );
    assert!(
        slow.count() < 30,
        "the slow receiver should still be working"
    );
    assert!(
        wait_until(Duration::from_secs(30), || slow.count() == 30).await,
        "slow got {}",
        slow.count()
    );
}

#[tokio::test]
async fn retries_of_a_fast_receiver_are_not_stuck_behind_a_slow_receivers_backlog() {
    let slow = Receiver::start().await;
    slow.set_delay(Duration::from_millis(1000));
    let flaky = Receiver::start().await;
    flaky.fail_next(20, 500);
    let cfg = two_receivers(&slow.url("/slow"), &flaky.url("/flaky"), "").replace(
        "[delivery]",
        "[delivery]\nreceiver_concurrency = 2\nconcurrency = 8\nretry_schedule = [\"100ms\"]",
    );
    let gw = Gateway::start(&cfg);
    // 300 events: the slow receiver's backlog (~2/s) is far longer than one look at the store.
    send(&gw, 300).await;
    // The flaky receiver's 20 retries come from the store, behind the slow receiver's rows.
    assert!(
        wait_until(Duration::from_secs(20), || flaky.count() >= 320).await,
        "the fast receiver got {} of 320 requests",
        flaky.count()
    );
    assert!(
        slow.count() < 100,
        "the slow receiver should still have a backlog"
    );
}

#[tokio::test]
async fn a_busy_receiver_gets_every_delivery_once_in_order_and_within_its_concurrency() {
    let busy = Receiver::start().await;
    busy.set_delay(Duration::from_millis(100));
    let other = Receiver::start().await;
    let gw = Gateway::start(
        &two_receivers(&busy.url("/busy"), &other.url("/other"), "").replace(
            "[delivery]",
            "[delivery]\nreceiver_concurrency = 2\nconcurrency = 8",
        ),
    );
    let started = Instant::now();
    // Far more than two at a time: most wait for the busy receiver's two slots.
    send(&gw, 40).await;
    assert!(
        wait_until(Duration::from_secs(30), || busy.count() == 40).await,
        "the busy receiver got {} of 40",
        busy.count()
    );
    let took = last_arrival(&busy) - started;
    // Two at a time, 100 ms each: the 40th cannot start before 19 rounds have passed.
    assert!(
        took >= Duration::from_millis(1800),
        "40 deliveries of 100 ms, two at a time, all started within {took:?}"
    );
    let order: Vec<i64> = busy
        .received()
        .iter()
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["n"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let mut each = order.clone();
    each.sort_unstable();
    assert_eq!(
        each,
        (0..40).collect::<Vec<i64>>(),
        "each event exactly once"
    );
    for (position, n) in order.iter().enumerate() {
        assert!(
            (position as i64 - n).abs() <= 2,
            "event {n} arrived {position}th: {order:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(busy.count(), 40, "nothing is sent again afterwards");
    assert_eq!(other.count(), 40);
}
