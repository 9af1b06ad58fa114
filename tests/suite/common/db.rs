//! Reading the gateway's SQLite file directly, for facts the management API does not show.
//! SQLite-only: the tests calling this return early on another backend.

use std::path::Path;

/// Deliveries whose event is gone (retention must delete them with their event).
pub fn orphan_deliveries(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT COUNT(*) FROM deliveries WHERE event_seq NOT IN (SELECT seq FROM events)",
        [],
        |r| r.get(0),
    )
    .unwrap()
}
