//! Unit tests of `event`.

use super::*;

fn receiver() -> ReceiverData {
    ReceiverData {
        account_id: "acc".into(),
        workspace_id: Some("ws".into()),
        listener_id: "l1".into(),
        url: "https://r.example/hook".into(),
    }
}

#[test]
fn payloads_have_the_seed_001_shape() {
    let failed = SystemEvent::DeliveryFailed {
        receiver: receiver(),
        event_id: "e1".into(),
        event_type: Some("a.b".into()),
        delivery_id: 7,
        attempts: 3,
    };
    let p = failed.payload("id-1", 0);
    assert_eq!(p["hook"]["eventType"], "delivery.failed");
    assert_eq!(p["hook"]["source"], "HOOKGATE");
    assert_eq!(p["hook"]["id"], "id-1");
    assert_eq!(p["hook"]["timeStamp"], "1970-01-01T00:00:00.000Z");
    assert_eq!(p["data"]["integrationAccountId"], "acc");
    assert_eq!(p["data"]["workspaceId"], "ws");
    assert_eq!(p["data"]["result"], "FAILURE");
    assert_eq!(p["data"]["attempts"], 3);
    let keys: Vec<&String> = p["data"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys.first().map(|k| k.as_str()),
        Some("integrationAccountId")
    );
    assert_eq!(keys.last().map(|k| k.as_str()), Some("result"));
    let recovered = SystemEvent::DeliveryRecovered {
        receiver: receiver(),
        failing_since: 0,
    };
    assert_eq!(recovered.payload("x", 0)["data"]["result"], "SUCCESS");
}

#[test]
fn every_event_type_is_documented() {
    let events = [
        SystemEvent::Account {
            change: AccountChange::Deleted,
            data: AccountData::recorded(Map::new()),
        },
        SystemEvent::ReceiverPaused {
            receiver: receiver(),
            failing_since: 0,
        },
    ];
    // SPEC section 6's event types, and the pause notice.
    const SPEC_EVENT_TYPES: [&str; 6] = [
        "account.created",
        "account.updated",
        "account.deleted",
        "delivery.failed",
        "delivery.recovered",
        "receiver.paused",
    ];
    for e in events {
        assert!(SPEC_EVENT_TYPES.contains(&e.event_type()));
    }
    for change in ["account.created", "account.updated", "account.deleted"] {
        let c = AccountChange::from_event_type(change).unwrap();
        let e = SystemEvent::Account {
            change: c,
            data: AccountData::recorded(Map::new()),
        };
        assert_eq!(e.event_type(), change);
    }
}
