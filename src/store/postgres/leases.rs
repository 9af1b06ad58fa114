//! Keeping and giving up leases: an instance renews the leases of the deliveries it is still
//! attempting, and hands deliveries it has no room for to whichever instance has.

use super::error::pg_error;
use super::notify::DUE_CHANNEL;
use super::PgStore;
use crate::store::{now_ms, StoreError};
use std::time::Duration;

impl PgStore {
    /// How often the leases of running attempts are renewed: a third of the lease, so two
    /// renewals may fail before another instance could take one over.
    pub(super) fn lease_renewal(&self) -> Duration {
        Duration::from_millis((self.inner.lease.ms / 3).max(1) as u64)
    }

    /// Extends the leases this instance holds on `ids` by a full lease from now; how many.
    /// A delivery recorded meanwhile, or taken over after its lease ran out, is left alone.
    pub(super) async fn renew_leases(&self, ids: Vec<i64>) -> Result<usize, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let client = self.conn().await?;
        let lease = self.inner.lease;
        let stmt = client
            .prepare_cached(
                "UPDATE deliveries SET leased_until = $3
                 WHERE id = ANY($1) AND leased_by = $2 AND status = 'pending'",
            )
            .await
            .map_err(pg_error)?;
        let renewed = client
            .execute(&stmt, &[&ids, &lease.by, &(now_ms() + lease.ms)])
            .await
            .map_err(pg_error)?;
        Ok(renewed as usize)
    }

    /// Gives up this instance's leases on `ids` (fresh deliveries its dispatcher had no room
    /// for) and wakes the other instances to take them.
    pub(super) async fn hand_over(&self, ids: Vec<i64>) -> Result<(), StoreError> {
        let client = self.conn().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE deliveries SET leased_by = NULL, leased_until = NULL
                 WHERE id = ANY($1) AND leased_by = $2",
            )
            .await
            .map_err(pg_error)?;
        client
            .execute(&stmt, &[&ids, &self.inner.lease.by])
            .await
            .map_err(pg_error)?;
        drop(client);
        self.notify(DUE_CHANNEL).await;
        Ok(())
    }
}
