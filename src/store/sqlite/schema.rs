//! The SQLite schema and connection settings.

use rusqlite::Connection;

/// Settings every connection gets. `synchronous=FULL` with WAL means a commit
/// is on disk (fsynced) when `COMMIT` returns: the promise behind a 200.
pub fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -16_000)?;
    Ok(())
}

/// Creates the tables on first use. `auto_vacuum` must be chosen before the
/// first table exists, so retention can hand freed pages back to the OS.
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    // A database from before the event counters gets them filled in once, in the same
    // transaction that creates their triggers, so no insert can slip between the two.
    let tx = conn.unchecked_transaction()?;
    let had_counts = table_exists(&tx, "event_counts")?;
    let had_events = table_exists(&tx, "events")?;
    tx.execute_batch(SCHEMA)?;
    // Stores made before config_listeners kept each listener's data.
    if !column_exists(&tx, "config_listeners", "data")? {
        tx.execute_batch("ALTER TABLE config_listeners ADD COLUMN data TEXT")?;
    }
    // Stores made before ordered receivers: their deliveries have no key, so none waits.
    if !column_exists(&tx, "deliveries", "order_key")? {
        tx.execute_batch("ALTER TABLE deliveries ADD COLUMN order_key TEXT")?;
    }
    tx.execute_batch(ORDER_INDEX)?;
    if had_events && !had_counts {
        tx.execute(
            "INSERT INTO event_counts (listener_id, event_type, n)
             SELECT listener_id, coalesce(event_type, ''), COUNT(*) FROM events GROUP BY 1, 2",
            [],
        )?;
    }
    tx.commit()
}

fn column_exists(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2",
        [table, column],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// Whether an earlier delivery with the same receiver and key is still pending: one seek.
const ORDER_INDEX: &str = "CREATE INDEX IF NOT EXISTS deliveries_order
    ON deliveries(listener_id, receiver_url, order_key, id)
    WHERE status = 'pending' AND order_key IS NOT NULL;";

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS events (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    listener_id       TEXT NOT NULL,
    provider          TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    event_type        TEXT,
    provider_event_id TEXT,
    received_at       INTEGER NOT NULL,
    source_ip         TEXT,
    content_type      TEXT,
    headers           TEXT NOT NULL,
    body              BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_listener ON events(listener_id, seq);
CREATE INDEX IF NOT EXISTS events_by_time ON events(received_at);

CREATE TABLE IF NOT EXISTS deliveries (
    id                INTEGER PRIMARY KEY,
    event_seq         INTEGER NOT NULL,
    listener_id       TEXT NOT NULL,
    receiver_url      TEXT NOT NULL,
    status            TEXT NOT NULL,
    attempt_count     INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER,
    last_status_code  INTEGER,
    last_error        TEXT,
    -- Set for a delivery to an ordered receiver: it waits for earlier pending ones with the key.
    order_key         TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries(event_seq);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
-- Per-receiver due rows: fair polling past a slow receiver's backlog, pause and resume.
CREATE INDEX IF NOT EXISTS deliveries_receiver_due ON deliveries(listener_id, receiver_url, next_attempt_at) WHERE status = 'pending';

CREATE TABLE IF NOT EXISTS attempts (
    delivery_id  INTEGER NOT NULL,
    attempt      INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    duration_ms  INTEGER NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    response     TEXT,
    PRIMARY KEY (delivery_id, attempt)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS dedup (
    listener_id        TEXT NOT NULL,
    provider_event_id  TEXT NOT NULL,
    event_id           TEXT NOT NULL,
    seen_at            INTEGER NOT NULL,
    PRIMARY KEY (listener_id, provider_event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedup_by_time ON dedup(seen_at);

-- Paging the event log of one listener by type or by delivery status (management API).
CREATE INDEX IF NOT EXISTS events_by_listener_type ON events(listener_id, event_type, seq);
CREATE INDEX IF NOT EXISTS deliveries_by_listener_status ON deliveries(listener_id, status, event_seq);

-- How many events each listener has of each type ('' for none), kept up to date, so the event
-- log's totalEventsCount is a read of a few rows instead of a scan of a million.
CREATE TABLE IF NOT EXISTS event_counts (
    listener_id  TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (listener_id, event_type)
) WITHOUT ROWID;
-- Inserts are counted by the writer, once per batch and type (`ingest_batch.rs`): a trigger
-- made every event insert keep a statement journal. Stores from before had one.
DROP TRIGGER IF EXISTS event_counts_insert;
CREATE TRIGGER IF NOT EXISTS event_counts_delete AFTER DELETE ON events BEGIN
    UPDATE event_counts SET n = n - 1
    WHERE listener_id = old.listener_id AND event_type = coalesce(old.event_type, '');
END;

-- Listeners made through the management API; `doc` is their JSON with secrets in clear.
CREATE TABLE IF NOT EXISTS api_listeners (
    id          TEXT PRIMARY KEY,
    provider    TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    doc         TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS api_listeners_live_account
    ON api_listeners(provider, account_id) WHERE deleted_at IS NULL;

-- When each listener of listeners.toml was first loaded and last changed (by definition hash).
CREATE TABLE IF NOT EXISTS config_listeners (
    id          TEXT PRIMARY KEY,
    hash        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- The listener's account.* data (JSON), to announce it when it leaves the file.
    data        TEXT
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS receiver_health (
    receiver_key   TEXT PRIMARY KEY,
    failing_since  INTEGER,
    paused_at      INTEGER
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"#;
