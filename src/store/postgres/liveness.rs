//! How instances know which of them live: each holds a session advisory lock on its own key
//! for as long as it runs. A killed instance's connection closes and its lock goes with it at
//! once, so its leases are taken over without waiting for them to run out; a hung one keeps
//! its lock, and then the lease's time limit is what frees its deliveries.

use super::error::{pg_error, pool_error};
use crate::store::StoreError;
use deadpool_postgres::Pool;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The first half of every liveness lock key ("hg"); the second half is the instance key.
pub const LOCK_CLASS: i32 = 0x6867;

/// Who holds the deliveries an instance leases, and for how long each claim holds.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    /// The instance key (`leased_by`).
    pub by: i64,
    /// How long a claim or a renewal holds, in milliseconds.
    pub ms: i64,
}

/// SQL that is true when instance `me` may take a delivery row `d` at `$now` (a parameter
/// named by the caller): never leased, leased by `me` (ingest leases fresh deliveries to the
/// instance that took them; one its dispatcher had no room for is its to take again), run
/// out, or held by an instance whose liveness lock is gone.
pub fn lease_free(now: &str, me: i64) -> String {
    format!(
        "(d.leased_until IS NULL OR d.leased_by = {me} OR d.leased_until < {now} OR d.leased_by NOT IN (
             SELECT objid::bigint FROM pg_locks
             WHERE locktype = 'advisory' AND classid = {LOCK_CLASS} AND objsubid = 2 AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())))"
    )
}

/// A fresh instance key: positive, fits the lock's 32-bit half.
pub fn instance_key() -> i64 {
    rand::Rng::gen_range(&mut rand::thread_rng(), 1..i64::from(i32::MAX))
}

/// Ends a background session (liveness, heartbeat, listening) when dropped.
pub struct Guard(pub CancellationToken);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Takes this instance's lock on a connection of its own, and keeps taking it again whenever
/// that connection is lost, until the guard is dropped.
pub async fn start(pool: Pool, instance: i64) -> Result<Guard, StoreError> {
    let stop = CancellationToken::new();
    let mut session = Some(hold(&pool, instance).await?);
    let token = stop.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            if session.as_ref().is_some_and(|c| !c.is_closed()) {
                continue;
            }
            session = hold(&pool, instance).await.ok();
        }
    });
    Ok(Guard(stop))
}

/// A connection taken out of the pool that holds the lock.
async fn hold(pool: &Pool, instance: i64) -> Result<deadpool_postgres::ClientWrapper, StoreError> {
    let client = pool.get().await.map_err(pool_error)?;
    let key = instance as i32;
    client
        .execute("SELECT pg_advisory_lock($1, $2)", &[&LOCK_CLASS, &key])
        .await
        .map_err(pg_error)?;
    Ok(deadpool_postgres::Object::take(client))
}
