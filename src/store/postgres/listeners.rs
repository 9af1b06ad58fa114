//! Listeners in PostgreSQL: those made through the management API, and when each listener of
//! the file was first loaded and last changed.

use super::error::pg_error;
use super::PgStore;
use crate::store::{
    ApiListenerRow, ConfigListenerRow, ConfigSync, ListenerTimes, ListenerWrite, StoreError,
};
use std::collections::HashMap;
use tokio_postgres::{Error, GenericClient, Row};

const COLUMNS: &str = "id, provider, account_id, doc, created_at, updated_at, deleted_at";

fn row(r: &Row) -> ApiListenerRow {
    ApiListenerRow {
        id: r.get(0),
        provider: r.get(1),
        account_id: r.get(2),
        doc: r.get(3),
        created_at: r.get(4),
        updated_at: r.get(5),
        deleted_at: r.get(6),
    }
}

/// Whether an error is the live-account unique index refusing a second live listener.
fn is_clash(e: &Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        db.code().code() == "23505" && db.constraint() == Some("api_listeners_live_account")
    })
}

impl PgStore {
    /// Every API listener, deleted ones included, oldest first.
    pub(super) async fn api_listeners(&self) -> Result<Vec<ApiListenerRow>, StoreError> {
        let client = self.conn().await?;
        let sql = format!("SELECT {COLUMNS} FROM api_listeners ORDER BY created_at, id");
        let rows = client.query(sql.as_str(), &[]).await.map_err(pg_error)?;
        Ok(rows.iter().map(row).collect())
    }

    /// One API listener, deleted or not.
    pub(super) async fn api_listener(
        &self,
        id: &str,
    ) -> Result<Option<ApiListenerRow>, StoreError> {
        let client = self.conn().await?;
        let sql = format!("SELECT {COLUMNS} FROM api_listeners WHERE id = $1");
        let found = client
            .query_opt(sql.as_str(), &[&id])
            .await
            .map_err(pg_error)?;
        Ok(found.as_ref().map(row))
    }

    /// Stores a new API listener unless a live one already has its (provider, account): the
    /// unique index decides, so two instances creating the same account at once get one each
    /// of `Done` and `Clash`.
    pub(super) async fn insert_api_listener(
        &self,
        new: ApiListenerRow,
    ) -> Result<ListenerWrite, StoreError> {
        let client = self.conn().await?;
        let sql =
            format!("INSERT INTO api_listeners ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL)");
        let done = client
            .execute(
                sql.as_str(),
                &[
                    &new.id,
                    &new.provider,
                    &new.account_id,
                    &new.doc,
                    &new.created_at,
                    &new.updated_at,
                ],
            )
            .await;
        match done {
            Ok(_) => Ok(ListenerWrite::Done),
            Err(e) if is_clash(&e) => Ok(ListenerWrite::Clash),
            Err(e) => Err(pg_error(e)),
        }
    }

    /// Replaces the document of a live API listener (`created_at` and `deleted_at` are kept).
    pub(super) async fn update_api_listener(
        &self,
        changed: ApiListenerRow,
    ) -> Result<ListenerWrite, StoreError> {
        let client = self.conn().await?;
        let done = client
            .execute(
                "UPDATE api_listeners SET provider = $2, account_id = $3, doc = $4, updated_at = $5
                 WHERE id = $1 AND deleted_at IS NULL",
                &[
                    &changed.id,
                    &changed.provider,
                    &changed.account_id,
                    &changed.doc,
                    &changed.updated_at,
                ],
            )
            .await;
        match done {
            Ok(1) => Ok(ListenerWrite::Done),
            Ok(_) => Ok(ListenerWrite::Missing),
            Err(e) if is_clash(&e) => Ok(ListenerWrite::Clash),
            Err(e) => Err(pg_error(e)),
        }
    }

    /// Soft-deletes a live API listener: the row stays, with `deleted_at` set.
    pub(super) async fn delete_api_listener(
        &self,
        id: &str,
        at: i64,
    ) -> Result<ListenerWrite, StoreError> {
        let client = self.conn().await?;
        let n = client
            .execute(
                "UPDATE api_listeners SET deleted_at = $2, updated_at = $2
                 WHERE id = $1 AND deleted_at IS NULL",
                &[&id, &at],
            )
            .await
            .map_err(pg_error)?;
        Ok(if n == 1 {
            ListenerWrite::Done
        } else {
            ListenerWrite::Missing
        })
    }

    /// Records every listener of the file (see `Store::sync_config_listeners`), in one
    /// transaction that holds the table against another instance syncing at the same time.
    pub(super) async fn sync_config_listeners(
        &self,
        listeners: Vec<ConfigListenerRow>,
        now: i64,
    ) -> Result<ConfigSync, StoreError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        let sync = sync(&*tx, listeners, now).await.map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
        Ok(sync)
    }

    /// The load history of every listener the file ever had.
    pub(super) async fn config_listener_times(
        &self,
    ) -> Result<HashMap<String, ListenerTimes>, StoreError> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT id, created_at, updated_at FROM config_listeners",
                &[],
            )
            .await
            .map_err(pg_error)?;
        Ok(rows
            .iter()
            .map(|r| {
                let times = ListenerTimes {
                    created_at: r.get(1),
                    updated_at: r.get(2),
                };
                (r.get(0), times)
            })
            .collect())
    }
}

async fn sync(
    c: &impl GenericClient,
    listeners: Vec<ConfigListenerRow>,
    now: i64,
) -> Result<ConfigSync, Error> {
    c.execute("LOCK TABLE config_listeners IN EXCLUSIVE MODE", &[])
        .await?;
    // id → (hash, whether data is recorded)
    let mut recorded: HashMap<String, (String, bool)> = c
        .query(
            "SELECT id, hash, data IS NOT NULL FROM config_listeners",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let mut sync = ConfigSync::default();
    let (mut new_ids, mut new_hashes, mut new_data) = (Vec::new(), Vec::new(), Vec::new());
    for row in listeners {
        match recorded.remove(&row.id) {
            None => {
                new_ids.push(row.id.clone());
                new_hashes.push(row.hash);
                new_data.push(row.data);
                sync.created.push(row.id);
            }
            Some((hash, _)) if hash != row.hash => {
                c.execute(
                    "UPDATE config_listeners SET hash = $2, updated_at = $3, data = coalesce($4, data)
                     WHERE id = $1",
                    &[&row.id, &row.hash, &now, &row.data],
                )
                .await?;
                sync.updated.push(row.id);
            }
            // Recorded while nobody took account.deleted: filled in, not a change.
            Some((_, false)) if row.data.is_some() => {
                c.execute(
                    "UPDATE config_listeners SET data = $2 WHERE id = $1",
                    &[&row.id, &row.data],
                )
                .await?;
            }
            Some(_) => {}
        }
    }
    if !new_ids.is_empty() {
        // Many thousands of listeners on a first start: one statement, not one each.
        c.execute(
            "INSERT INTO config_listeners (id, hash, created_at, updated_at, data)
             SELECT i, h, $3, $3, d FROM unnest($1::text[], $2::text[], $4::text[]) AS t(i, h, d)",
            &[&new_ids, &new_hashes, &now, &new_data],
        )
        .await?;
    }
    let gone: Vec<String> = recorded.into_keys().collect();
    if !gone.is_empty() {
        for r in c
            .query(
                "DELETE FROM config_listeners WHERE id = ANY($1) RETURNING id, data",
                &[&gone],
            )
            .await?
        {
            sync.removed.push((r.get(0), r.get(1)));
        }
    }
    Ok(sync)
}
