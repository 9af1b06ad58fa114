//! A receiver failing on several instances is one failure run: counted from the first failure
//! any instance saw, and paused, and announced, once for the cluster.

use super::delivery::smoobu_event;
use super::{config, start_instances, ClusterDb, Setup};
use crate::common::admin::{listener_path, poll};
use crate::common::{wait_until, Gateway, Receiver};
use std::time::{Duration, SystemTime};

/// The cluster configuration with `receiver.paused` sent to the system webhook too, each
/// delivery tried once, and a pause after `pause_after` of failing.
fn paused_setup(db: &ClusterDb, r1: &str, r2: &str, system: &str, pause_after: &str) -> String {
    let delivery = format!("max_retry_count = 0\npause_after = \"{pause_after}\"");
    let setup = Setup {
        lease: "5s",
        receivers: [r1, r2],
        system,
        delivery: &delivery,
    };
    config(db, &setup).replace(
        r#"events = ["account.created"]"#,
        r#"events = ["account.created", "receiver.paused"]"#,
    )
}

/// The `receiver.paused` system events received so far.
fn pauses(system: &Receiver) -> Vec<serde_json::Value> {
    system
        .received()
        .iter()
        .map(|got| serde_json::from_slice::<serde_json::Value>(&got.body).unwrap())
        .filter(|e| e["hook"]["eventType"] == "receiver.paused")
        .collect()
}

/// Sends smoobu events to the given instances in turn, every 100 ms, until the `sm`
/// receiver shows as paused on all of them (or 15 s pass).
async fn fail_until_paused(gws: &[&Gateway]) {
    let sm = listener_path("sm");
    let paused = |j: &serde_json::Value| j["receivers"][0]["paused"] == true;
    for round in 0..150 {
        smoobu_event(gws[round % gws.len()]).await;
        let mut all = true;
        for gw in gws {
            all &= paused(&poll(gw.admin, &sm, |_| true).await);
        }
        if all {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the receiver was never paused on every instance");
}

/// Two instances whose smoobu receiver fails every attempt, and the system webhook's receiver.
/// Fields drop in order: the instances before their database.
struct TwoFailing {
    gws: Vec<Gateway>,
    r1: Receiver,
    _r2: Receiver,
    system: Receiver,
    _db: ClusterDb,
}

/// `TwoFailing` with the given `pause_after`, or `None` when no PostgreSQL answers.
async fn two_failing(pause_after: &str) -> Option<TwoFailing> {
    let db = ClusterDb::create()?;
    let (r1, r2, system) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    let cfg = paused_setup(
        &db,
        &r1.url("/r1"),
        &r2.url("/r2"),
        &system.url("/s"),
        pause_after,
    );
    let gws = start_instances(2, &cfg);
    r1.fail_next(10_000, 500);
    Some(TwoFailing {
        gws,
        r1,
        _r2: r2,
        system,
        _db: db,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_run_begun_on_one_instance_counts_on_another() {
    let Some(c) = two_failing("3s").await else {
        return;
    };
    // The first instance sees one failure, then nothing more: its delivery is not retried.
    let before_first = SystemTime::now();
    smoobu_event(&c.gws[0]).await;
    assert!(wait_until(Duration::from_secs(5), || c.r1.count() >= 1).await);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The second starts failing 1.5 s later; its pause must count from the first failure.
    let second_started = SystemTime::now();
    fail_until_paused(&[&c.gws[1]]).await;
    assert!(wait_until(Duration::from_secs(5), || !pauses(&c.system).is_empty()).await);
    let event = &pauses(&c.system)[0];
    let since = event["data"]["failingSince"].as_str().unwrap();
    let since = humantime::parse_rfc3339(since).unwrap();
    assert!(
        since >= before_first - Duration::from_millis(5) && since < second_started,
        "failingSince {event} is not the first instance's failure"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_on_two_instances_is_paused_and_announced_once() {
    let Some(c) = two_failing("1s").await else {
        return;
    };
    fail_until_paused(&[&c.gws[0], &c.gws[1]]).await;
    // Both instances were failing it at the same time; one announcement.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(pauses(&c.system).len(), 1, "{:?}", pauses(&c.system));
}
