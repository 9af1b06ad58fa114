//! Deliveries across instances: the load is shared, nothing is lost when an instance is
//! killed, a lease that is renewed keeps a slow attempt from being made twice, and a receiver's
//! pause holds on every instance.

use super::{config, metric, start_instances, ClusterDb, Setup};
use crate::common::admin::{call, listener_path, poll, ALL};
use crate::common::{wait_until, Receiver};
use crate::postgres::send;
use std::collections::HashMap;
use std::time::Duration;

/// How often each webhook id arrived.
fn arrivals(r: &Receiver) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for got in r.received() {
        *seen.entry(got.header("webhook-id")).or_default() += 1;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_share_the_load_and_every_event_reaches_every_receiver() {
    let Some(db) = ClusterDb::create() else {
        return;
    };
    let (r1, r2, system) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    let (u1, u2, us) = (r1.url("/r1"), r2.url("/r2"), system.url("/s"));
    let setup = Setup {
        lease: "5s",
        receivers: [&u1, &u2],
        system: &us,
        delivery: "",
    };
    let gws = start_instances(3, &config(&db, &setup));
    let mut event_ids = Vec::new();
    for i in 0..90 {
        let answer = send(gws[i % 3].public, &format!("spread-{i}")).await;
        assert_eq!(answer.json()["status"], "accepted", "{:?}", answer.body);
        event_ids.push(answer.event_id());
    }
    for r in [&r1, &r2] {
        assert!(
            wait_until(Duration::from_secs(20), || r.webhook_ids().len() == 90).await,
            "{} of 90 events arrived",
            r.webhook_ids().len()
        );
    }
    // Nothing was killed: each event arrived once at each receiver.
    for r in [&r1, &r2] {
        let twice: Vec<_> = arrivals(r).into_iter().filter(|(_, n)| *n > 1).collect();
        assert!(twice.is_empty(), "sent more than once: {twice:?}");
        for id in &event_ids {
            assert!(r.webhook_ids().contains(id), "{id} missing");
        }
    }
    let mut per_instance = Vec::new();
    for gw in &gws {
        let ok = metric(gw, "hookgate_deliveries_total{outcome=\"succeeded\"}").await;
        per_instance.push(ok);
    }
    eprintln!("successful attempts per instance: {per_instance:?}");
    assert!(per_instance.iter().all(|n| *n > 0.0), "{per_instance:?}");
    // 180 deliveries and the system webhook's account.created, each once.
    let system_events = system.count() as f64;
    assert_eq!(per_instance.iter().sum::<f64>(), 180.0 + system_events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_mid_delivery_loses_nothing_and_others_take_its_deliveries() {
    let Some(db) = ClusterDb::create() else {
        return;
    };
    let (r1, r2, system) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    // Slow receivers, at most 3 attempts at once each in the whole cluster.
    r1.set_delay(Duration::from_millis(300));
    r2.set_delay(Duration::from_millis(300));
    let (u1, u2, us) = (r1.url("/r1"), r2.url("/r2"), system.url("/s"));
    let setup = Setup {
        lease: "3s",
        receivers: [&u1, &u2],
        system: &us,
        delivery: "receiver_concurrency = 3",
    };
    let mut gws = start_instances(3, &config(&db, &setup));
    // Every instance sees the others (so each takes one attempt per receiver at a time).
    assert!(
        crate::common::wait_for(Duration::from_secs(5), || async {
            metric(&gws[0], "hookgate_cluster_instances").await == 3.0
        })
        .await
    );
    // All the events go to the first instance, which holds their deliveries.
    let mut event_ids = Vec::new();
    for i in 0..30 {
        let answer = send(gws[0].public, &format!("kill-{i}")).await;
        assert_eq!(answer.json()["status"], "accepted");
        event_ids.push(answer.event_id());
    }
    assert!(wait_until(Duration::from_secs(5), || r1.count() >= 2).await);
    let before = (r1.count(), r2.count());
    gws[0].kill9();
    for r in [&r1, &r2] {
        assert!(
            wait_until(Duration::from_secs(30), || r.webhook_ids().len() == 30).await,
            "{} of 30 events arrived after the kill",
            r.webhook_ids().len()
        );
    }
    let mut duplicates = 0;
    for r in [&r1, &r2] {
        let twice: usize = arrivals(r).values().map(|n| n - 1).sum();
        // Only what was in flight on the killed instance can arrive twice: its one request per
        // receiver at a time (3 across 3 instances), and the attempt before it when that one's
        // record was not yet committed (a slot is free again once the request ends).
        assert!(twice <= 2, "{twice} duplicates at one receiver");
        duplicates += twice;
        for id in &event_ids {
            assert!(r.webhook_ids().contains(id), "{id} lost");
        }
    }
    eprintln!(
        "arrived before the kill: {before:?}; sent again after it (in flight when killed): {duplicates}"
    );
    let taken_over = metric(&gws[1], "hookgate_leases_expired_total").await
        + metric(&gws[2], "hookgate_leases_expired_total").await;
    assert!(taken_over >= 1.0, "no lease was taken over");
    eprintln!("deliveries taken over from the killed instance: {taken_over}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_attempt_keeps_its_lease_and_is_not_made_twice() {
    let Some(db) = ClusterDb::create() else {
        return;
    };
    let (r1, r2, system) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    // Each attempt takes 12 s, twelve times the lease.
    r1.set_delay(Duration::from_secs(12));
    r2.set_delay(Duration::from_secs(12));
    let (u1, u2, us) = (r1.url("/r1"), r2.url("/r2"), system.url("/s"));
    let setup = Setup {
        lease: "1s",
        receivers: [&u1, &u2],
        system: &us,
        delivery: "timeout = \"20s\"",
    };
    let gws = start_instances(2, &config(&db, &setup));
    let answer = send(gws[0].public, "slow").await;
    assert_eq!(answer.json()["status"], "accepted");
    // The other instance looks for due deliveries at least every 5 s: it looks twice while
    // the attempts run, long after their first lease ran out.
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(r1.count(), 1, "the slow delivery was attempted again");
    assert_eq!(r2.count(), 1, "the slow delivery was attempted again");
    let sql = "SELECT count(*) FROM deliveries WHERE listener_id = 'gh' AND status = 'succeeded'";
    assert!(wait_until(Duration::from_secs(5), || db.count(sql) == 2).await);
    assert_eq!((r1.count(), r2.count()), (1, 1));
    for gw in &gws {
        assert_eq!(metric(gw, "hookgate_leases_expired_total").await, 0.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_paused_on_one_instance_is_paused_on_all_and_resumed_from_any() {
    let Some(db) = ClusterDb::create() else {
        return;
    };
    let (r1, r2, system) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    let (u1, u2, us) = (r1.url("/r1"), r2.url("/r2"), system.url("/s"));
    let setup = Setup {
        lease: "5s",
        receivers: [&u1, &u2],
        system: &us,
        delivery: "max_retry_count = 50\npause_after = \"300ms\"",
    };
    let gws = start_instances(2, &config(&db, &setup));
    r1.fail_next(1_000, 500);
    let first = smoobu_event(&gws[0]).await;
    let sm = listener_path("sm");
    let paused = |j: &serde_json::Value| j["receivers"][0]["paused"] == true;
    assert!(
        paused(&poll(gws[0].admin, &sm, paused).await),
        "never paused"
    );
    // The other instance takes the pause from the store, and holds what it is sent.
    assert!(
        paused(&poll(gws[1].admin, &sm, paused).await),
        "not paused on the other"
    );
    let tried = r1.count();
    let second = smoobu_event(&gws[1]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(r1.count(), tried, "a paused receiver got an attempt");
    // Resumed through the other instance: everything it missed goes out.
    r1.fail_next(0, 500);
    let resumed = call(gws[1].admin, "POST", &format!("{sm}/resume"), ALL, "").await;
    assert_eq!(resumed.json()["resumed"], serde_json::json!([u1]));
    for id in [&first, &second] {
        assert!(
            wait_until(Duration::from_secs(10), || r1.webhook_ids().contains(id)).await,
            "{id} not delivered after the resume"
        );
    }
    let running = |j: &serde_json::Value| j["receivers"][0]["paused"] == false;
    let seen = poll(gws[0].admin, &sm, running).await;
    let seen = if running(&seen) {
        seen
    } else {
        // A pause made here stays up to 5 s before the store's word lifts it.
        tokio::time::sleep(Duration::from_secs(3)).await;
        poll(gws[0].admin, &sm, running).await
    };
    assert!(running(&seen), "still paused on the first instance");
}

/// Posts a smoobu event to the file listener `sm`; its event id.
pub(super) async fn smoobu_event(gw: &crate::common::Gateway) -> String {
    let answer = crate::common::post(
        gw.public,
        "/api/v1/listener/smoobu/smoobu-cfg",
        &[],
        r#"{"action":"newReservation"}"#,
    )
    .await;
    assert_eq!(answer.json()["status"], "accepted", "{:?}", answer.body);
    answer.event_id()
}
