//! Receiver health in SQLite: failure runs and pauses, and holding a paused receiver's
//! deliveries out of the due range.

use super::SqliteStore;
use crate::store::health::ReceiverHealth;
use crate::store::StoreError;
use rusqlite::params;

/// `next_attempt_at` of deliveries held for a paused receiver: outside every due range.
const HELD: i64 = i64::MAX;

impl SqliteStore {
    /// Every receiver with a failure run or a pause on record.
    pub(super) async fn receiver_health_all(
        &self,
    ) -> Result<Vec<(String, ReceiverHealth)>, StoreError> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare("SELECT receiver_key, failing_since, paused_at FROM receiver_health")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    ReceiverHealth {
                        failing_since: r.get(1)?,
                        paused_at: r.get(2)?,
                    },
                ))
            })?;
            rows.collect()
        })
        .await
    }

    /// Records a receiver's health; a healthy receiver's row is removed.
    pub(super) async fn set_receiver_health(
        &self,
        key: &str,
        health: ReceiverHealth,
    ) -> Result<(), StoreError> {
        let key = key.to_string();
        self.write(move |conn| {
            if health == ReceiverHealth::default() {
                conn.execute("DELETE FROM receiver_health WHERE receiver_key = ?1", [&key])?;
            } else {
                conn.execute(
                    "INSERT OR REPLACE INTO receiver_health (receiver_key, failing_since, paused_at) VALUES (?1, ?2, ?3)",
                    params![key, health.failing_since, health.paused_at],
                )?;
            }
            Ok(())
        })
        .await
    }

    /// Takes the pending deliveries of a paused receiver out of the due range, so they are
    /// neither attempted nor in the way of other receivers' deliveries.
    pub(super) async fn hold_receiver(
        &self,
        listener_id: &str,
        url: &str,
    ) -> Result<usize, StoreError> {
        let (listener_id, url) = (listener_id.to_string(), url.to_string());
        self.write(move |conn| {
            conn.execute(
                "UPDATE deliveries SET next_attempt_at = ?3
                 WHERE status = 'pending' AND listener_id = ?1 AND receiver_url = ?2 AND next_attempt_at < ?3",
                params![listener_id, url, HELD],
            )
        })
        .await
    }

    /// Makes the held deliveries of a resumed receiver due now.
    pub(super) async fn release_receiver(
        &self,
        listener_id: &str,
        url: &str,
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        let (listener_id, url) = (listener_id.to_string(), url.to_string());
        self.write(move |conn| {
            conn.execute(
                "UPDATE deliveries SET next_attempt_at = ?3
                 WHERE status = 'pending' AND listener_id = ?1 AND receiver_url = ?2 AND next_attempt_at = ?4",
                params![listener_id, url, now_ms, HELD],
            )
        })
        .await
    }
}
