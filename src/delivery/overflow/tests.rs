use super::*;
use crate::store::StoredEvent;
use std::sync::Arc;

fn job(id: i64, url: &str) -> DeliveryJob {
    DeliveryJob {
        delivery_id: id,
        listener_id: "l".into(),
        receiver_url: url.into(),
        attempt_count: 0,
        event: Arc::new(StoredEvent::received_now("l", "p", "a")),
    }
}

#[test]
fn keeps_each_receivers_order_and_serves_receivers_in_turn() {
    let mut q = Overflow::default();
    for id in 1..=3 {
        q.push("a", job(id, "a")).unwrap();
        q.push("b", job(10 + id, "b")).unwrap();
    }
    assert_eq!(q.len(), 6);
    assert_eq!(q.pop("a").unwrap().delivery_id, 1);
    let (k1, j1) = q.pop_any(|_| true).unwrap();
    let (k2, j2) = q.pop_any(|_| true).unwrap();
    assert_ne!(k1, k2, "both receivers are served in turn");
    let mut ids = [j1.delivery_id, j2.delivery_id];
    ids.sort();
    assert_eq!(ids, [2, 11]);
    assert_eq!(q.pop_any(|k| k == "b").unwrap().1.delivery_id, 12);
    assert!(q.pop_any(|_| false).is_none());
    assert_eq!(q.len(), 2);
}

#[test]
fn a_full_queue_spills_and_queues_nothing_more_until_the_store_is_drained() {
    let mut q = Overflow::default();
    for id in 0..PER_RECEIVER as i64 {
        q.push("a", job(id, "a")).unwrap();
    }
    assert!(q.push("a", job(-1, "a")).is_err());
    assert!(q.is_spilled("a") && q.any_spilled());
    // Even with room again, later deliveries go to the store behind the spilled one.
    q.pop("a").unwrap();
    assert!(q.push("a", job(-2, "a")).is_err());
    // Other receivers are not affected.
    q.push("b", job(-3, "b")).unwrap();
    while q.pop("a").is_some() {}
    assert!(!q.has("a"));
    q.store_drained("a");
    assert!(!q.any_spilled());
    q.push("a", job(-4, "a")).unwrap();
    assert_eq!(q.len(), 2);
}

#[test]
fn the_total_bound_holds_across_receivers() {
    let mut q = Overflow::default();
    let mut refused = 0;
    for id in 0..(TOTAL as i64 + 10) {
        let key = format!("r{}", id % 8);
        if q.push(&key, job(id, &key)).is_err() {
            refused += 1;
        }
    }
    assert_eq!(q.len(), TOTAL);
    assert_eq!(refused, 10);
    assert_eq!(q.forget("r0"), TOTAL / 8);
    assert_eq!(q.len(), TOTAL - TOTAL / 8);
    assert!(!q.has("r0"));
}
