//! Reading the gateway's SQLite file directly, to see what it recorded.

use std::path::Path;

/// One recorded attempt: (attempt number, status code, error).
pub type AttemptRow = (u32, Option<u16>, Option<String>);

/// Every attempt recorded for deliveries of `event_id`, in order.
pub fn attempts(db: &Path, event_id: &str) -> Vec<AttemptRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT a.attempt, a.status_code, a.error FROM attempts a
             JOIN deliveries d ON d.id = a.delivery_id JOIN events e ON e.seq = d.event_seq
             WHERE e.id = ?1 ORDER BY d.id, a.attempt",
        )
        .unwrap();
    let rows = stmt
        .query_map([event_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// Status of every delivery of `event_id`.
pub fn delivery_statuses(db: &Path, event_id: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT d.status FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE e.id = ?1 ORDER BY d.id")
        .unwrap();
    let rows = stmt.query_map([event_id], |r| r.get(0)).unwrap();
    rows.map(Result::unwrap).collect()
}
