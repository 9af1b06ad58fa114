//! Unit tests of `recent`.

use super::*;

const MINUTE: i64 = 60_000;

#[test]
fn counts_land_in_their_minute_and_the_hour_is_oldest_first() {
    let a = RecentActivity::default();
    let t0 = 1_000 * MINUTE;
    a.request(t0, "accepted");
    a.request(t0 + 10, "accepted");
    a.request(t0 + 20, "filtered");
    a.request(t0 + MINUTE, "unauthorized");
    a.request(t0 + MINUTE, "duplicate");
    a.attempt(t0 + MINUTE, "retrying");
    a.attempt(t0 + MINUTE, "failed");
    a.attempt(t0 + MINUTE, "blocked");
    let hour = a.last_hour(t0 + MINUTE + 5);
    assert_eq!(hour.len(), MINUTES);
    assert_eq!(hour[MINUTES - 1].minute, 1_001);
    assert_eq!(hour[MINUTES - 2].minute, 1_000);
    assert_eq!(
        (hour[MINUTES - 2].accepted, hour[MINUTES - 2].filtered),
        (2, 1)
    );
    let last = hour[MINUTES - 1];
    assert_eq!(
        (last.refused, last.duplicate, last.failed, last.accepted),
        (1, 1, 2, 0)
    );
    assert!(hour[..MINUTES - 2]
        .iter()
        .all(|m| m.accepted + m.refused == 0));
}

#[test]
fn a_minute_older_than_an_hour_is_forgotten() {
    let a = RecentActivity::default();
    let t0 = 5_000 * MINUTE;
    a.request(t0, "accepted");
    let later = t0 + MINUTES as i64 * MINUTE;
    assert!(a.last_hour(later).iter().all(|m| m.accepted == 0));
    // The slot is reused by the new minute, starting from zero.
    a.request(later, "filtered");
    let hour = a.last_hour(later);
    assert_eq!(
        (hour[MINUTES - 1].accepted, hour[MINUTES - 1].filtered),
        (0, 1)
    );
}
