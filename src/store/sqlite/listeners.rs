//! Listeners in SQLite: those made through the management API, and when each listener of the
//! file was first loaded and last changed.

use super::SqliteStore;
use crate::store::{
    ApiListenerRow, ConfigListenerRow, ConfigSync, ListenerTimes, ListenerWrite, StoreError,
};
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::HashMap;

const COLUMNS: &str = "id, provider, account_id, doc, created_at, updated_at, deleted_at";

fn row(r: &Row<'_>) -> rusqlite::Result<ApiListenerRow> {
    Ok(ApiListenerRow {
        id: r.get(0)?,
        provider: r.get(1)?,
        account_id: r.get(2)?,
        doc: r.get(3)?,
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
        deleted_at: r.get(6)?,
    })
}

/// True when a live API listener other than `id` has (provider, account).
fn clashes(conn: &Connection, id: &str, provider: &str, account: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM api_listeners WHERE provider = ?1 AND account_id = ?2 AND deleted_at IS NULL AND id <> ?3",
    )?
    .query_row(params![provider, account, id], |_| Ok(()))
    .optional()
    .map(|found| found.is_some())
}

impl SqliteStore {
    /// Every API listener, deleted ones included, oldest first.
    pub(super) async fn api_listeners(&self) -> Result<Vec<ApiListenerRow>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM api_listeners ORDER BY created_at, id"
            ))?;
            let rows = stmt.query_map([], row)?;
            rows.collect()
        })
        .await
    }

    /// One API listener, deleted or not.
    pub(super) async fn api_listener(
        &self,
        id: &str,
    ) -> Result<Option<ApiListenerRow>, StoreError> {
        let id = id.to_string();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM api_listeners WHERE id = ?1"
            ))?
            .query_row([id], row)
            .optional()
        })
        .await
    }

    /// Stores a new API listener unless a live one already has its (provider, account).
    pub(super) async fn insert_api_listener(
        &self,
        new: ApiListenerRow,
    ) -> Result<ListenerWrite, StoreError> {
        self.write(move |conn| {
            if clashes(conn, &new.id, &new.provider, &new.account_id)? {
                return Ok(ListenerWrite::Clash);
            }
            conn.prepare_cached(&format!(
                "INSERT INTO api_listeners ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)"
            ))?
            .execute(params![
                new.id,
                new.provider,
                new.account_id,
                new.doc,
                new.created_at,
                new.updated_at
            ])?;
            Ok(ListenerWrite::Done)
        })
        .await
    }

    /// Replaces the document of a live API listener (`created_at` and `deleted_at` are kept).
    pub(super) async fn update_api_listener(
        &self,
        changed: ApiListenerRow,
    ) -> Result<ListenerWrite, StoreError> {
        self.write(move |conn| {
            if clashes(conn, &changed.id, &changed.provider, &changed.account_id)? {
                return Ok(ListenerWrite::Clash);
            }
            let n = conn
                .prepare_cached(
                    "UPDATE api_listeners SET provider = ?2, account_id = ?3, doc = ?4, updated_at = ?5
                     WHERE id = ?1 AND deleted_at IS NULL",
                )?
                .execute(params![
                    changed.id,
                    changed.provider,
                    changed.account_id,
                    changed.doc,
                    changed.updated_at
                ])?;
            Ok(if n == 1 {
                ListenerWrite::Done
            } else {
                ListenerWrite::Missing
            })
        })
        .await
    }

    /// Soft-deletes a live API listener: the row stays, with `deleted_at` set.
    pub(super) async fn delete_api_listener(
        &self,
        id: &str,
        at: i64,
    ) -> Result<ListenerWrite, StoreError> {
        let id = id.to_string();
        self.write(move |conn| {
            let n = conn
                .prepare_cached(
                    "UPDATE api_listeners SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL",
                )?
                .execute(params![id, at])?;
            Ok(if n == 1 {
                ListenerWrite::Done
            } else {
                ListenerWrite::Missing
            })
        })
        .await
    }

    /// Records every listener of the file: its definition hash and its `account.*` data. A new
    /// id is created now, a changed hash is updated now, an unchanged one keeps its times (and
    /// costs no write). Listeners recorded before but no longer in the file (removed by a
    /// reload, or while the gateway was stopped) are forgotten and returned with their last
    /// data, to be announced.
    pub(super) async fn sync_config_listeners(
        &self,
        listeners: Vec<ConfigListenerRow>,
        now: i64,
    ) -> Result<ConfigSync, StoreError> {
        self.write(move |conn| {
            // id → (hash, whether data is recorded)
            let mut recorded: HashMap<String, (String, bool)> = conn
                .prepare_cached("SELECT id, hash, data IS NOT NULL FROM config_listeners")?
                .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
                .collect::<Result<_, _>>()?;
            let mut sync = ConfigSync::default();
            for row in listeners {
                match recorded.remove(&row.id) {
                    None => {
                        conn.prepare_cached(
                            "INSERT INTO config_listeners (id, hash, created_at, updated_at, data) VALUES (?1, ?2, ?3, ?3, ?4)",
                        )?
                        .execute(params![row.id, row.hash, now, row.data])?;
                        sync.created.push(row.id);
                    }
                    Some((hash, _)) if hash != row.hash => {
                        conn.prepare_cached(
                            "UPDATE config_listeners SET hash = ?2, updated_at = ?3, data = coalesce(?4, data) WHERE id = ?1",
                        )?
                        .execute(params![row.id, row.hash, now, row.data])?;
                        sync.updated.push(row.id);
                    }
                    // Recorded while nobody took account.deleted: filled in, not a change.
                    Some((_, false)) if row.data.is_some() => {
                        conn.prepare_cached("UPDATE config_listeners SET data = ?2 WHERE id = ?1")?
                            .execute(params![row.id, row.data])?;
                    }
                    Some(_) => {}
                }
            }
            for id in recorded.into_keys() {
                let data: Option<String> = conn
                    .prepare_cached("DELETE FROM config_listeners WHERE id = ?1 RETURNING data")?
                    .query_row([&id], |r| r.get(0))?;
                sync.removed.push((id, data));
            }
            Ok(sync)
        })
        .await
    }

    /// The load history of every listener the file ever had.
    pub(super) async fn config_listener_times(
        &self,
    ) -> Result<HashMap<String, ListenerTimes>, StoreError> {
        self.read(config_times).await
    }
}

fn config_times(conn: &Connection) -> rusqlite::Result<HashMap<String, ListenerTimes>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, created_at, updated_at FROM config_listeners")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            ListenerTimes {
                created_at: r.get(1)?,
                updated_at: r.get(2)?,
            },
        ))
    })?;
    rows.collect()
}
