//! The management API and start-up across instances: a listener change on one instance
//! routes on the others within a second, an event id sent to several instances at once is
//! accepted once, each listener of the file is announced once, and instances may start
//! together on an empty database.

use super::{config, metric, start_instances, ClusterDb, Setup};
use crate::common::admin::{call, listener_id, listener_path, send, ALL};
use crate::common::{post, wait_for, wait_until, Gateway, Receiver};
use crate::postgres::{send_at_once, Relay};
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Posts a smoobu event for `account`; the status code.
async fn smoobu(public: SocketAddr, account: &str) -> u16 {
    post(
        public,
        &format!("/api/v1/listener/smoobu/{account}"),
        &[],
        r#"{"action":"newReservation"}"#,
    )
    .await
    .status
    .as_u16()
}

/// How long until `check` holds on every instance after `since`, polled every 20 ms.
async fn seen_everywhere<F, Fut>(gws: &[&Gateway], since: Instant, check: F) -> Duration
where
    F: Fn(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for gw in gws {
        while !check(gw.public).await {
            assert!(since.elapsed() < Duration::from_secs(5), "never seen");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    since.elapsed()
}

/// Three instances on `db` whose receivers and system webhook are all under `url`.
fn three(db: &ClusterDb, url: &str) -> Vec<Gateway> {
    let (a, b) = (format!("{url}/a"), format!("{url}/b"));
    let setup = Setup {
        lease: "5s",
        receivers: [&a, &b],
        system: url,
        delivery: "",
    };
    start_instances(3, &config(db, &setup))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_listener_change_on_one_instance_routes_on_the_others_within_a_second() {
    let Some(db) = ClusterDb::create() else {
        return;
    };
    let r = Receiver::start().await;
    let gws = three(&db, &r.url("/r"));
    let body = json!({"provider": "smoobu", "integrationAccountId": "made-on-one",
                      "receiverUrl": r.url("/api")});
    let made = send(gws[0].admin, "POST", &listener_path(""), &body).await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    let id = listener_id(&made.json());
    let took = seen_everywhere(&[&gws[1], &gws[2]], Instant::now(), |public| async move {
        smoobu(public, "made-on-one").await == 200
    })
    .await;
    eprintln!("created on one instance, routing on the others after {took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");

    // Moved to another account: the old URL stops routing, the new one starts.
    let moved = json!({"provider": "smoobu", "integrationAccountId": "moved",
                       "receiverUrl": r.url("/api")});
    let changed = send(gws[1].admin, "PUT", &listener_path(&id), &moved).await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let took = seen_everywhere(&[&gws[0], &gws[2]], Instant::now(), |public| async move {
        smoobu(public, "moved").await == 200 && smoobu(public, "made-on-one").await == 404
    })
    .await;
    eprintln!("changed on one instance, routing on the others after {took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");

    let deleted = call(gws[2].admin, "DELETE", &listener_path(&id), ALL, "").await;
    assert_eq!(deleted.status, 200);
    let took = seen_everywhere(&[&gws[0], &gws[1]], Instant::now(), |public| async move {
        smoobu(public, "moved").await == 404
    })
    .await;
    eprintln!("deleted on one instance, gone from the others after {took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// Creates a smoobu listener for `account` through `gw`'s API.
async fn create(gw: &Gateway, account: &str) {
    let body = json!({"provider": "smoobu", "integrationAccountId": account,
                      "receiverUrl": "http://127.0.0.1:9/api"});
    let made = send(gw.admin, "POST", &listener_path(""), &body).await;
    assert_eq!(made.status, 201, "{:?}", made.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_cut_off_from_the_database_hears_changes_again_once_it_is_back() {
    let Some(db) = ClusterDb::create() else {
        return;
    };
    let real = url::Url::parse(&db.url).unwrap();
    let target = SocketAddr::new(
        real.host_str().unwrap().parse().unwrap(),
        real.port().unwrap_or(5432),
    );
    let relay = Relay::start(target).await;
    let mut relayed = real.clone();
    relayed.set_port(Some(relay.addr.port())).unwrap();
    let text = config(
        &db,
        &Setup {
            lease: "5s",
            receivers: ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"],
            system: "http://127.0.0.1:9/s",
            delivery: "",
        },
    );
    let direct = start_instances(1, &text).remove(0);
    let cut_off = start_instances(1, &text.replace(&db.url, relayed.as_str())).remove(0);
    relay.cut();
    // Made while the second instance could not hear of it.
    create(&direct, "while-cut-off").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.restore().await;
    let since = Instant::now();
    assert!(
        wait_for(Duration::from_secs(10), || async {
            smoobu(cut_off.public, "while-cut-off").await == 200
        })
        .await,
        "the change made while cut off never routed: {}",
        cut_off.log_text()
    );
    eprintln!("routing {:?} after the database came back", since.elapsed());
    // Listening again: the next change routes within a second.
    create(&direct, "after").await;
    let took = seen_everywhere(&[&cut_off], Instant::now(), |public| async move {
        smoobu(public, "after").await == 200
    })
    .await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    relay.cut();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_id_sent_to_three_instances_at_once_is_accepted_once() {
    let Some(db) = ClusterDb::create() else {
        return;
    };
    let gws = three(&db, "http://127.0.0.1:9/r");
    let addrs: Vec<_> = gws.iter().map(|g| g.public).collect();
    let ids: Vec<String> = (0..10).map(|i| format!("cluster-dup-{i}")).collect();
    for (accepted, duplicate) in send_at_once(&addrs, &ids, 6).await {
        assert_eq!((accepted, duplicate), (1, 5));
    }
    assert_eq!(
        db.count("SELECT count(*) FROM events WHERE listener_id = 'gh'"),
        10
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_loading_one_file_send_one_account_created_per_listener() {
    let Some(db) = ClusterDb::create() else {
        return;
    };
    let system = Receiver::start().await;
    let gws = three(&db, &system.url("/s"));
    // Two listeners in the file: two announcements, whichever instance sends them.
    assert!(wait_until(Duration::from_secs(5), || system.count() >= 2).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut announced: Vec<String> = system
        .received()
        .iter()
        .map(|got| serde_json::from_slice::<serde_json::Value>(&got.body).unwrap())
        .filter(|e| e["hook"]["eventType"] == "account.created")
        .map(|e| {
            e["data"]["integrationAccountWebhookId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    announced.sort();
    assert_eq!(announced, ["gh", "sm"]);
    // A restart of one instance announces nothing new.
    let again = gws[1].restart();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(system.count(), 2);
    drop(again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_start_together_on_an_empty_database_and_see_each_other() {
    let Some(db) = ClusterDb::create() else {
        return;
    };
    let gws = three(&db, "http://127.0.0.1:9/r");
    // Each migration ran once.
    let versions = db.count("SELECT count(*) FROM schema_migrations");
    let distinct = db.count("SELECT count(DISTINCT version) FROM schema_migrations");
    assert_eq!(versions, distinct);
    for gw in &gws {
        assert!(
            wait_for(Duration::from_secs(5), || async {
                metric(gw, "hookgate_cluster_instances").await == 3.0
            })
            .await,
            "instances seen: {}",
            metric(gw, "hookgate_cluster_instances").await
        );
        assert_eq!(smoobu(gw.public, "smoobu-cfg").await, 200);
    }
    assert_eq!(db.count("SELECT count(*) FROM instances"), 3);
}

#[tokio::test]
async fn an_instance_alone_counts_itself_on_either_store() {
    // The suite's own store: SQLite, or a PostgreSQL database of this gateway's alone.
    let gw = Gateway::start(
        "[store]\nurl = \"{STORE}\"\n\n[[listener]]\nid = \"sm\"\nprovider = \"smoobu\"\naccount_id = \"a\"\n",
    );
    assert!(
        wait_for(Duration::from_secs(3), || async {
            metric(&gw, "hookgate_cluster_instances").await == 1.0
        })
        .await
    );
    let all = super::metrics(&gw).await;
    assert_eq!(all.get("hookgate_leases_expired_total"), Some(&0.0));
}
