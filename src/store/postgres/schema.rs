//! The PostgreSQL schema: numbered migrations, each run once, under an advisory lock so that
//! instances starting together neither race nor run one twice.

use super::error::pg_error;
use crate::store::StoreError;
use deadpool_postgres::Object;

/// The advisory lock key held while migrating ("hookgate" in ASCII, cut to 63 bits).
const MIGRATION_LOCK: i64 = 0x686f_6f6b_6761_7465;

/// Brings the schema up to date. The lock is a transaction lock, so a migration that fails
/// (or an instance that dies midway) releases it with the rollback.
pub async fn migrate(client: &mut Object) -> Result<(), StoreError> {
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg_error)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     BIGINT PRIMARY KEY,
             applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(pg_error)?;
    let done: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(pg_error)?
        .get(0);
    for (version, sql) in MIGRATIONS.iter().enumerate() {
        let version = version as i64 + 1;
        if version <= done {
            continue;
        }
        tx.batch_execute(sql).await.map_err(pg_error)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(pg_error)?;
    }
    tx.commit().await.map_err(pg_error)
}

/// Every migration in order; one, once applied, is never edited: a change is a new one.
const MIGRATIONS: &[&str] = &[V1, V2, V3_ORDER];

/// The data model of the SQLite store, plus what several instances need: a lease on each
/// delivery, and de-duplication by a unique key that concurrent inserts wait on.
const V1: &str = r#"
CREATE TABLE events (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    listener_id       TEXT NOT NULL,
    provider          TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    event_type        TEXT,
    provider_event_id TEXT,
    received_at       BIGINT NOT NULL,
    source_ip         TEXT,
    content_type      TEXT,
    headers           TEXT NOT NULL,
    body              BYTEA NOT NULL
);
CREATE INDEX events_by_listener ON events(listener_id, seq);
CREATE INDEX events_by_listener_type ON events(listener_id, event_type, seq);
CREATE INDEX events_by_time ON events(received_at);

CREATE TABLE deliveries (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_seq         BIGINT NOT NULL,
    listener_id       TEXT NOT NULL,
    receiver_url      TEXT NOT NULL,
    status            TEXT NOT NULL,
    attempt_count     BIGINT NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT,
    last_status_code  BIGINT,
    last_error        TEXT,
    -- The instance attempting it, and until when (Unix ms): while that instance lives and
    -- the time has not passed, no other instance takes it.
    leased_by         BIGINT,
    leased_until      BIGINT
);
CREATE INDEX deliveries_by_event ON deliveries(event_seq);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_receiver_due
    ON deliveries(listener_id, receiver_url, next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_listener_status ON deliveries(listener_id, status, event_seq);
CREATE INDEX deliveries_leased ON deliveries(leased_by) WHERE leased_by IS NOT NULL;

CREATE TABLE attempts (
    delivery_id  BIGINT NOT NULL,
    attempt      BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    status_code  BIGINT,
    error        TEXT,
    response     TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

-- One row per (listener, provider event id): the primary key is what makes a second copy,
-- sent to any instance at the same moment, wait for the first and come out a duplicate.
CREATE TABLE dedup (
    listener_id        TEXT NOT NULL,
    provider_event_id  TEXT NOT NULL,
    event_id           TEXT NOT NULL,
    seen_at            BIGINT NOT NULL,
    PRIMARY KEY (listener_id, provider_event_id)
);
CREATE INDEX dedup_by_time ON dedup(seen_at);

-- Events per listener and type ('' for none), kept by statement triggers, so the event log's
-- total is a read of a few rows.
CREATE TABLE event_counts (
    listener_id  TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (listener_id, event_type)
);
CREATE FUNCTION hookgate_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_counts (listener_id, event_type, n)
    SELECT listener_id, coalesce(event_type, ''), count(*) FROM inserted GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (listener_id, event_type) DO UPDATE SET n = event_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE FUNCTION hookgate_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE event_counts c SET n = c.n - d.n
    FROM (SELECT listener_id, coalesce(event_type, '') AS event_type, count(*) AS n
          FROM deleted GROUP BY 1, 2) d
    WHERE c.listener_id = d.listener_id AND c.event_type = d.event_type;
    RETURN NULL;
END $$;
CREATE TRIGGER event_counts_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION hookgate_count_inserted();
CREATE TRIGGER event_counts_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION hookgate_count_deleted();

CREATE TABLE api_listeners (
    id          TEXT PRIMARY KEY,
    provider    TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    doc         TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE UNIQUE INDEX api_listeners_live_account
    ON api_listeners(provider, account_id) WHERE deleted_at IS NULL;

CREATE TABLE config_listeners (
    id          TEXT PRIMARY KEY,
    hash        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    data        TEXT
);

CREATE TABLE receiver_health (
    receiver_key   TEXT PRIMARY KEY,
    failing_since  BIGINT,
    paused_at      BIGINT
);

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
"#;

/// Which instances live: each writes `last_seen` (Unix ms) every second.
const V2: &str = r#"
CREATE TABLE instances (
    id          BIGINT PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL
);
"#;

/// Ordered receivers: a delivery with an order key waits for every earlier pending one with
/// the same receiver and key; the index makes that check one seek.
const V3_ORDER: &str = r#"
ALTER TABLE deliveries ADD COLUMN order_key TEXT;
CREATE INDEX deliveries_order ON deliveries(listener_id, receiver_url, order_key, id)
    WHERE status = 'pending' AND order_key IS NOT NULL;
"#;
