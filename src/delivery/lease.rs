//! Keeping the leases of running attempts. On a store shared by several instances a delivery
//! is leased to the instance attempting it for `[store] lease`; an attempt may take longer
//! (a slow receiver, a long retry-after wait behind a rate limit), so every running attempt's
//! lease is renewed at a third of the lease, all in one statement. Once an attempt ends its
//! recording ends the lease; if this instance dies, renewals stop and the leases run out.

use crate::store::Store;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio_util::sync::{CancellationToken, DropGuard};

type Running = Mutex<HashSet<i64>>;

/// The deliveries this instance is attempting, renewed in the background while any handle
/// to the keeper lives.
#[derive(Clone)]
pub struct LeaseKeeper {
    running: Arc<Running>,
    /// Ends the renewals (and lets go of the store, so it can close) with the last handle.
    _stop: Arc<DropGuard>,
}

/// Marks a delivery as being attempted until dropped.
pub struct Held {
    running: Arc<Running>,
    delivery_id: i64,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.running
            .lock()
            .expect("running attempts")
            .remove(&self.delivery_id);
    }
}

impl LeaseKeeper {
    /// Starts renewing, if the store has leases.
    pub fn start(store: Store) -> LeaseKeeper {
        let running: Arc<Running> = Arc::default();
        let stop = CancellationToken::new();
        if let Some(every) = store.lease_renewal() {
            tokio::spawn(renew(store, running.clone(), every, stop.clone()));
        }
        LeaseKeeper {
            running,
            _stop: Arc::new(stop.drop_guard()),
        }
    }

    /// Marks `delivery_id` as being attempted until the answer is dropped.
    pub fn hold(&self, delivery_id: i64) -> Held {
        self.running
            .lock()
            .expect("running attempts")
            .insert(delivery_id);
        Held {
            running: self.running.clone(),
            delivery_id,
        }
    }
}

/// Renews every running attempt's lease each `every`, until the keeper is gone.
async fn renew(
    store: Store,
    running: Arc<Running>,
    every: std::time::Duration,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let ids: Vec<i64> = running
            .lock()
            .expect("running attempts")
            .iter()
            .copied()
            .collect();
        if ids.is_empty() {
            continue;
        }
        match store.renew_leases(ids).await {
            Ok(renewed) => tracing::debug!(renewed, "leases renewed"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot renew the leases of running attempts")
            }
        }
    }
}

/// Leaves just-committed deliveries this instance has no room for to the other instances.
pub fn hand_over(store: &Store, ids: Vec<i64>) {
    let store = store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.hand_over(ids).await {
            tracing::warn!(error = %e, "cannot hand deliveries to other instances; they are taken when the lease runs out");
        }
    });
}

#[cfg(test)]
mod tests;
