//! Receiver health in PostgreSQL: failure runs and pauses, and holding a paused receiver's
//! deliveries out of the due range.

use super::error::pg_error;
use super::PgStore;
use crate::store::health::ReceiverHealth;
use crate::store::StoreError;

/// `next_attempt_at` of deliveries held for a paused receiver: outside every due range.
const HELD: i64 = i64::MAX;

impl PgStore {
    /// Every receiver with a failure run or a pause on record.
    pub(super) async fn receiver_health_all(
        &self,
    ) -> Result<Vec<(String, ReceiverHealth)>, StoreError> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT receiver_key, failing_since, paused_at FROM receiver_health",
                &[],
            )
            .await
            .map_err(pg_error)?;
        Ok(rows
            .iter()
            .map(|r| {
                let health = ReceiverHealth {
                    failing_since: r.get(1),
                    paused_at: r.get(2),
                };
                (r.get(0), health)
            })
            .collect())
    }

    /// Records a receiver's health; a healthy receiver's row is removed. Instances failing
    /// the same receiver share one run: the row keeps the earliest start, and the first pause
    /// recorded stays. False when `health` is a pause and the row already had one.
    pub(super) async fn set_receiver_health(
        &self,
        key: &str,
        health: ReceiverHealth,
    ) -> Result<bool, StoreError> {
        let client = self.conn().await?;
        if health == ReceiverHealth::default() {
            client
                .execute(
                    "DELETE FROM receiver_health WHERE receiver_key = $1",
                    &[&key],
                )
                .await
                .map_err(pg_error)?;
            return Ok(true);
        }
        let row = client
            .query_one(
                "INSERT INTO receiver_health (receiver_key, failing_since, paused_at)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (receiver_key) DO UPDATE
                     SET failing_since = LEAST(receiver_health.failing_since, EXCLUDED.failing_since),
                         paused_at = COALESCE(receiver_health.paused_at, EXCLUDED.paused_at)
                 RETURNING paused_at",
                &[&key, &health.failing_since, &health.paused_at],
            )
            .await
            .map_err(pg_error)?;
        let stored: Option<i64> = row.get(0);
        Ok(health.paused_at.is_none() || stored == health.paused_at)
    }

    /// Takes the pending deliveries of a paused receiver out of the due range (and out of any
    /// lease), so they are neither attempted nor in the way of other receivers' deliveries.
    pub(super) async fn hold_receiver(
        &self,
        listener_id: &str,
        url: &str,
    ) -> Result<usize, StoreError> {
        let client = self.conn().await?;
        let n = client
            .execute(
                "UPDATE deliveries SET next_attempt_at = $3, leased_by = NULL, leased_until = NULL
                 WHERE status = 'pending' AND listener_id = $1 AND receiver_url = $2
                   AND next_attempt_at < $3",
                &[&listener_id, &url, &HELD],
            )
            .await
            .map_err(pg_error)?;
        Ok(n as usize)
    }

    /// Makes the held deliveries of a resumed receiver due now.
    pub(super) async fn release_receiver(
        &self,
        listener_id: &str,
        url: &str,
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        let client = self.conn().await?;
        let n = client
            .execute(
                "UPDATE deliveries SET next_attempt_at = $3
                 WHERE status = 'pending' AND listener_id = $1 AND receiver_url = $2
                   AND next_attempt_at = $4",
                &[&listener_id, &url, &now_ms, &HELD],
            )
            .await
            .map_err(pg_error)?;
        Ok(n as usize)
    }
}
