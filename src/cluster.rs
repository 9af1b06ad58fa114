//! One instance among several on a shared store: acting on what the others announce (API
//! listener changes, deliveries left for anyone), and once a second taking in what is shared
//! — the number of live instances (receiver limits are split among them, the metrics show
//! it) and receiver pauses. On a store only one instance can use, it keeps the metrics.

use crate::app::App;
use crate::store::{now_ms, ClusterNotice};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

/// How often shared state is read again.
const TICK: Duration = Duration::from_secs(1);
/// A pause made here this recently may not show in the store yet: it is kept.
const PAUSE_SETTLE_MS: i64 = 5_000;

/// Runs until `stop` fires.
pub fn start(app: Arc<App>, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut notices = app.store.notices();
        let shared = notices.is_some();
        let mut instances = 1;
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                notice = next(&mut notices) => match notice {
                    Ok(notice) => on_notice(&app, notice).await,
                    // Fell behind: what was missed may be anything.
                    Err(RecvError::Lagged(_)) => {
                        on_notice(&app, ClusterNotice::ListenersChanged).await;
                        on_notice(&app, ClusterNotice::DeliveriesDue).await;
                    }
                    Err(RecvError::Closed) => notices = None,
                },
                _ = tick.tick() => {
                    let live = refresh(&app, shared).await;
                    if live < instances {
                        // An instance is gone: its deliveries are free to take now.
                        app.dispatcher.wake();
                    }
                    instances = live;
                }
            }
        }
    })
}

async fn next(
    notices: &mut Option<tokio::sync::broadcast::Receiver<ClusterNotice>>,
) -> Result<ClusterNotice, RecvError> {
    match notices {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn on_notice(app: &App, notice: ClusterNotice) {
    match notice {
        ClusterNotice::ListenersChanged => {
            match crate::listeners::edits::reload_api_listeners(app).await {
                Ok(n) => tracing::debug!(
                    api_listeners = n,
                    "API listeners reloaded: another instance changed them"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot reload the API listeners another instance changed")
                }
            }
        }
        ClusterNotice::DeliveriesDue => app.dispatcher.wake(),
    }
}

/// Takes in the live instances (returned) and, on a shared store, the receivers paused or
/// resumed by other instances.
async fn refresh(app: &App, shared: bool) -> usize {
    let instances = app.store.live_instances();
    app.metrics
        .cluster_set(instances, app.store.leases_taken_over());
    app.registry.set_instances(instances);
    if !shared {
        return instances;
    }
    match app.store.receiver_health_all().await {
        Ok(stored) => {
            let paused = app
                .dispatcher
                .health
                .sync_pauses(stored, now_ms(), PAUSE_SETTLE_MS);
            for key in paused {
                tracing::info!(receiver = %key, "receiver paused by another instance");
            }
        }
        Err(e) => tracing::debug!(error = %e, "cannot read receiver pauses"),
    }
    instances
}
