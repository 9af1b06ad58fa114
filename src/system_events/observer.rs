//! Turning the dispatcher's reports into `delivery.*` and `receiver.paused` system events.

use super::event::{ReceiverData, SystemEvent};
use crate::delivery::report::Observed;
use crate::delivery::{DeliveryObserver, DeliveryReport, DispatchHandle, ReceiverRef};
use crate::listeners::{Registry, SYSTEM_LISTENER_ID};
use crate::store::Store;
use std::sync::Arc;

/// The dispatcher's observer that sends system events.
pub struct DeliveryEvents {
    store: Store,
    registry: Arc<Registry>,
}

impl DeliveryEvents {
    pub fn new(store: Store, registry: Arc<Registry>) -> DeliveryEvents {
        DeliveryEvents { store, registry }
    }

    fn receiver(&self, r: ReceiverRef) -> ReceiverData {
        let workspace_id = self
            .registry
            .load()
            .listener(&r.listener_id)
            .and_then(|l| l.spec.workspace_id.clone());
        ReceiverData {
            account_id: r.account_id,
            workspace_id,
            listener_id: r.listener_id,
            url: r.url,
        }
    }

    fn event(&self, report: DeliveryReport) -> SystemEvent {
        match report {
            DeliveryReport::Failed {
                receiver,
                event_id,
                event_type,
                delivery_id,
                attempts,
            } => SystemEvent::DeliveryFailed {
                receiver: self.receiver(receiver),
                event_id,
                event_type,
                delivery_id,
                attempts,
            },
            DeliveryReport::Recovered {
                receiver,
                failing_since,
            } => SystemEvent::DeliveryRecovered {
                receiver: self.receiver(receiver),
                failing_since,
            },
            DeliveryReport::Paused {
                receiver,
                failing_since,
            } => SystemEvent::ReceiverPaused {
                receiver: self.receiver(receiver),
                failing_since,
            },
        }
    }
}

fn about(report: &DeliveryReport) -> &ReceiverRef {
    match report {
        DeliveryReport::Failed { receiver, .. }
        | DeliveryReport::Recovered { receiver, .. }
        | DeliveryReport::Paused { receiver, .. } => receiver,
    }
}

impl DeliveryObserver for DeliveryEvents {
    fn observe<'a>(&'a self, report: DeliveryReport, dispatch: &'a DispatchHandle) -> Observed<'a> {
        Box::pin(async move {
            // System receivers get no events about themselves: a failing one would feed itself.
            if about(&report).listener_id == SYSTEM_LISTENER_ID {
                return;
            }
            let event = self.event(report);
            super::send(&self.store, &self.registry, dispatch, event).await;
        })
    }
}
