//! Unit tests of `lease`.

use super::*;

#[tokio::test]
async fn held_until_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db"), 16).unwrap();
    let keeper = LeaseKeeper::start(store);
    let a = keeper.hold(1);
    let b = keeper.hold(2);
    assert_eq!(keeper.running.lock().unwrap().len(), 2);
    drop(a);
    let left: Vec<i64> = keeper.running.lock().unwrap().iter().copied().collect();
    assert_eq!(left, vec![2]);
    drop(b);
    assert!(keeper.running.lock().unwrap().is_empty());
}
