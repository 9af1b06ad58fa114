//! `GET /api/v1/event_types`: the event types each built-in provider is known to send, so an
//! integrator can fill in `eventSubscription` without reading every provider's documentation.

use super::request::Query;
use crate::http_util::{self, Body};
use http::{Response, StatusCode};
use serde_json::{json, Value};

/// (provider, event type, description), from the providers' documentation and the fixtures.
pub const EVENT_TYPES: &[(&str, &str, &str)] = &[
    (
        "hostaway",
        "reservation.created",
        "A reservation was created",
    ),
    (
        "hostaway",
        "reservation.updated",
        "A reservation changed (cancellations arrive as updates)",
    ),
    (
        "hostaway",
        "reservation.deleted",
        "A reservation was deleted",
    ),
    (
        "hostaway",
        "message.received",
        "A guest message arrived in a conversation",
    ),
    (
        "guesty",
        "reservation.new",
        "A reservation or inquiry was created",
    ),
    ("guesty", "reservation.updated", "A reservation changed"),
    (
        "guesty",
        "reservation.created.v2",
        "A reservation was created (v2 payload)",
    ),
    (
        "guesty",
        "reservation.updated.v2",
        "A reservation changed (v2 payload)",
    ),
    ("smoobu", "newReservation", "A reservation was created"),
    ("smoobu", "updateReservation", "A reservation changed"),
    ("smoobu", "cancelReservation", "A reservation was cancelled"),
    ("smoobu", "deleteReservation", "A reservation was deleted"),
    (
        "lodgify",
        "booking_change",
        "A booking was created or changed",
    ),
    ("lodgify", "rate_change", "Rates changed"),
    ("lodgify", "availability_change", "Availability changed"),
    (
        "lodgify",
        "guest_message_received",
        "A guest message arrived",
    ),
    (
        "hospitable",
        "reservation.created",
        "A reservation was created",
    ),
    ("hospitable", "reservation.changed", "A reservation changed"),
    (
        "hospitable",
        "message.created",
        "A message was sent or received",
    ),
    ("beds24", "new", "A booking was created (v1 status)"),
    ("beds24", "modify", "A booking changed (v1 status)"),
    ("beds24", "cancel", "A booking was cancelled (v1 status)"),
    ("beds24", "message", "A guest message arrived (v1 status)"),
    (
        "stripe",
        "payment_intent.succeeded",
        "A payment intent succeeded",
    ),
    (
        "stripe",
        "payment_intent.payment_failed",
        "A payment attempt failed",
    ),
    ("stripe", "charge.refunded", "A charge was refunded"),
    (
        "stripe",
        "checkout.session.completed",
        "A Checkout session completed",
    ),
    ("stripe", "invoice.paid", "An invoice was paid"),
    (
        "stripe",
        "invoice.payment_failed",
        "An invoice payment failed",
    ),
    (
        "stripe",
        "customer.subscription.updated",
        "A subscription changed",
    ),
    ("github", "ping", "The webhook was created or tested"),
    ("github", "push", "Commits were pushed"),
    (
        "github",
        "pull_request",
        "A pull request was opened, closed or changed",
    ),
    ("github", "issues", "An issue was opened, closed or changed"),
    ("github", "release", "A release was published or changed"),
    ("shopify", "orders/create", "An order was created"),
    ("shopify", "orders/paid", "An order was paid"),
    ("shopify", "orders/updated", "An order changed"),
    ("shopify", "products/update", "A product changed"),
    (
        "shopify",
        "app/uninstalled",
        "The app was uninstalled from the shop",
    ),
    (
        "slack",
        "url_verification",
        "Slack checks the request URL (challenge)",
    ),
    ("slack", "app_mention", "The app was mentioned in a channel"),
    (
        "slack",
        "message",
        "A message was posted where the app listens",
    ),
    (
        "standard-webhooks",
        "*",
        "Any type the sender defines (read from body `type`)",
    ),
];

/// Every known event type, or those of `?provider=`.
pub fn list(query: Option<&str>) -> Response<Body> {
    let q = Query::parse(query);
    let provider = q.get("provider");
    let types: Vec<Value> = EVENT_TYPES
        .iter()
        .filter(|(p, _, _)| provider.is_none_or(|want| want == *p))
        .map(|(p, name, description)| {
            json!({"name": name, "description": description, "provider": p})
        })
        .collect();
    http_util::json(StatusCode::OK, &json!({"eventTypes": types}))
}

#[cfg(test)]
mod tests;
