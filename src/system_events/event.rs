//! `SystemEvent`: every event hookgate sends about itself, and the one place its payload is
//! built, in the shape of seed 001 (SPEC section 6).

use crate::config::ListenerSpec;
use crate::http_util;
use serde_json::{json, Map, Value};

/// A listener lifecycle change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Created,
    Updated,
    Deleted,
}

impl AccountChange {
    /// The change an `account.*` event type names.
    pub fn from_event_type(event_type: &str) -> Option<AccountChange> {
        match event_type {
            "account.created" => Some(AccountChange::Created),
            "account.updated" => Some(AccountChange::Updated),
            "account.deleted" => Some(AccountChange::Deleted),
            _ => None,
        }
    }
}

/// The `data` of a lifecycle event: the listener's fields, or those recorded when it was
/// loaded (a listener removed from the file while the gateway was stopped is gone by now).
#[derive(Debug, Clone, PartialEq)]
pub struct AccountData(Map<String, Value>);

impl AccountData {
    /// The fields of a listener, as its lifecycle events carry them.
    pub fn of(spec: &ListenerSpec, managed_by: &str) -> AccountData {
        let mut m = Map::new();
        m.insert("integrationAccountId".into(), json!(spec.account_id));
        m.insert("workspaceId".into(), json!(spec.workspace_id));
        m.insert("integrationAccountWebhookId".into(), json!(spec.id));
        m.insert("name".into(), json!(spec.name));
        m.insert("provider".into(), json!(spec.provider));
        m.insert("managedBy".into(), json!(managed_by));
        AccountData(m)
    }

    /// Data recorded earlier (by `of`, or by hand with the same keys).
    pub fn recorded(data: Map<String, Value>) -> AccountData {
        AccountData(data)
    }

    /// The fields, e.g. to record them.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

/// The receiver a delivery event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverData {
    pub account_id: String,
    pub workspace_id: Option<String>,
    pub listener_id: String,
    pub url: String,
}

/// One event hookgate sends to its `[[system_webhook]]` receivers.
#[derive(Debug, Clone, PartialEq)]
pub enum SystemEvent {
    /// `account.created`, `account.updated`, `account.deleted`.
    Account {
        change: AccountChange,
        data: AccountData,
    },
    /// `delivery.failed`: a delivery exhausted its retries (or a retry could not help).
    DeliveryFailed {
        receiver: ReceiverData,
        event_id: String,
        event_type: Option<String>,
        delivery_id: i64,
        attempts: u32,
    },
    /// `delivery.recovered`: a receiver answered 2xx again after failing.
    DeliveryRecovered {
        receiver: ReceiverData,
        failing_since: i64,
    },
    /// `receiver.paused`: a receiver failed without a break for `pause_after`.
    ReceiverPaused {
        receiver: ReceiverData,
        failing_since: i64,
    },
}

impl SystemEvent {
    /// The event type, as `[[system_webhook]].events` names it.
    pub fn event_type(&self) -> &'static str {
        match self {
            SystemEvent::Account { change, .. } => match change {
                AccountChange::Created => "account.created",
                AccountChange::Updated => "account.updated",
                AccountChange::Deleted => "account.deleted",
            },
            SystemEvent::DeliveryFailed { .. } => "delivery.failed",
            SystemEvent::DeliveryRecovered { .. } => "delivery.recovered",
            SystemEvent::ReceiverPaused { .. } => "receiver.paused",
        }
    }

    /// `data.result`: whether what happened is good news.
    pub fn success(&self) -> bool {
        matches!(
            self,
            SystemEvent::Account { .. } | SystemEvent::DeliveryRecovered { .. }
        )
    }

    /// The account the event is stored under.
    pub fn account_id(&self) -> String {
        match self {
            SystemEvent::Account { data, .. } => data
                .0
                .get("integrationAccountId")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            SystemEvent::DeliveryFailed { receiver, .. }
            | SystemEvent::DeliveryRecovered { receiver, .. }
            | SystemEvent::ReceiverPaused { receiver, .. } => receiver.account_id.clone(),
        }
    }

    /// `data`: the account fields first, what happened next, `result` last.
    pub fn data(&self) -> Map<String, Value> {
        let mut data = match self {
            SystemEvent::Account { data, .. } => data.0.clone(),
            SystemEvent::DeliveryFailed {
                receiver,
                event_id,
                event_type,
                delivery_id,
                attempts,
            } => {
                let mut m = receiver_fields(receiver);
                m.insert("eventId".into(), json!(event_id));
                m.insert("eventType".into(), json!(event_type));
                m.insert("deliveryId".into(), json!(delivery_id));
                m.insert("attempts".into(), json!(attempts));
                m
            }
            SystemEvent::DeliveryRecovered {
                receiver,
                failing_since,
            }
            | SystemEvent::ReceiverPaused {
                receiver,
                failing_since,
            } => {
                let mut m = receiver_fields(receiver);
                let since = http_util::rfc3339_ms(*failing_since);
                m.insert("failingSince".into(), json!(since));
                m
            }
        };
        let result = if self.success() { "SUCCESS" } else { "FAILURE" };
        data.insert("result".into(), json!(result));
        data
    }

    /// The whole body: `{"data": …, "hook": {"eventType","id","timeStamp","source"}}`.
    pub fn payload(&self, id: &str, at_ms: i64) -> Value {
        json!({
            "data": self.data(),
            "hook": {
                "eventType": self.event_type(),
                "id": id,
                "timeStamp": http_util::rfc3339_ms(at_ms),
                "source": "HOOKGATE",
            }
        })
    }
}

fn receiver_fields(r: &ReceiverData) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("integrationAccountId".into(), json!(r.account_id));
    m.insert("workspaceId".into(), json!(r.workspace_id));
    m.insert("integrationAccountWebhookId".into(), json!(r.listener_id));
    m.insert("receiverUrl".into(), json!(r.url));
    m
}

#[cfg(test)]
mod tests;
