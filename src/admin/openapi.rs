//! `/openapi.json`: the OpenAPI 3.1 description of the admin address, built in code from the
//! same constants the server uses (scopes, statuses, page limits) and from the running
//! configuration (its providers), so the two cannot drift apart.

use super::auth::Scope;
use super::events::STATUSES;
use super::input::ListenerInput;
use super::render::event::{EventDetailOut, EventOut};
use super::render::view::ListenerView;
use super::request::{MAX_SKIP, MAX_TAKE};
use crate::app::App;
use crate::http_util::{self, Body};
use http::{Response, StatusCode};
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

/// The document for the running configuration (built per request: it is small, and a reload
/// may add providers).
pub fn document(app: &App) -> Response<Body> {
    let providers: Vec<String> = app
        .registry
        .load()
        .config
        .providers
        .keys()
        .cloned()
        .collect();
    http_util::json(StatusCode::OK, &build(&providers))
}

fn link(operation: &str, parameter: &str, expression: &str) -> Value {
    json!({"operationId": operation, "parameters": {parameter: expression}})
}

/// Links from a listener answer to what can be done with it (stateful testing follows them).
fn listener_links() -> Value {
    let id = "$response.body#/integrationAccountWebhookId";
    json!({
        "GetListener": link("getListener", "id", id),
        "UpdateListener": link("updateListener", "id", id),
        "DeleteListener": link("deleteListener", "id", id),
        "TestListener": link("testListener", "id", id),
        "ListListenerEvents": link("listListenerEvents", "id", id)
    })
}

/// Links from a test answer to the event it made.
fn event_links() -> Value {
    let id = "$response.body#/eventId";
    json!({
        "GetEvent": link("getEvent", "eventId", id),
        "RetryEvent": link("retryEvent", "eventId", id),
        "DeleteEvent": link("deleteEvent", "eventId", id)
    })
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

fn date_time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// An object schema whose every property is required and which allows nothing else: the
/// server always writes every field of its answers.
fn exact(properties: Value) -> Value {
    let required: Vec<&String> = properties
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": json_content(schema)})
}

fn linked(mut response: Value, links: Value) -> Value {
    response["links"] = links;
    response
}

/// The shared error responses, by status.
fn error_response(status: &str) -> Value {
    json!({"$ref": format!("#/components/responses/E{status}")})
}

/// One operation: its scope (in the description and `x-scope`), parameters, body and answers.
fn operation(
    id: &str,
    summary: &str,
    scope: Scope,
    parameters: Vec<Value>,
    body: Option<Value>,
    success: (&str, Value),
    errors: &[&str],
) -> Value {
    let mut responses = Map::new();
    responses.insert(success.0.to_string(), success.1);
    for status in errors.iter().chain(["401", "403", "503"].iter()) {
        responses.insert(status.to_string(), error_response(status));
    }
    let mut op = json!({
        "operationId": id,
        "summary": summary,
        "description": format!("Needs the {} scope.", scope.name()),
        "x-scope": scope.name(),
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(b) = body {
        op["requestBody"] = b;
    }
    op
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description,
           "schema": {"type": "string", "minLength": 1}})
}

fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn paging() -> Vec<Value> {
    vec![
        query_param(
            "take",
            "Page size (default 100).",
            json!({"type": "integer", "minimum": 0, "maximum": MAX_TAKE}),
        ),
        query_param(
            "skip",
            "Items to skip.",
            json!({"type": "integer", "minimum": 0, "maximum": MAX_SKIP}),
        ),
    ]
}

fn listener_body() -> Value {
    json!({
        "required": true,
        "content": {"application/json": {
            "schema": reference("ListenerInput"),
            "example": {
                "name": "demo-smoobu",
                "provider": "smoobu",
                "integrationAccountId": "demo-account-1",
                "headers": {"X-Api-Key": "a-secret-key"},
                "eventSubscription": {"newReservation": true, "updateReservation": true},
                "receiverUrl": "https://example.com/hooks/smoobu"
            }
        }}
    })
}

fn schemas(providers: &[String]) -> Value {
    let mut all = derived_schemas(providers);
    let written = json!({
        "Error": {
            "type": "object",
            "required": ["code", "message", "errorId", "timestamp"],
            "additionalProperties": false,
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "errorId": {"type": "string", "format": "uuid"},
                "timestamp": date_time(),
                "errors": {"type": "array", "description": "Every problem of a 400, by field.",
                    "items": exact(json!({"field": {"type": "string"}, "message": {"type": "string"}}))}
            }
        },
        "EventList": exact(json!({
            "events": {"type": "array", "items": reference("Event")},
            "totalEventsCount": {"type": "integer", "minimum": 0}
        })),
        "TestRequest": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "eventType": {"type": ["string", "null"], "minLength": 1},
                "payload": {"description": "The body to send (any JSON); null or absent for a default one."}
            }
        },
        "TestResult": exact(json!({
            "success": {"const": true},
            "eventId": {"type": "string"},
            "deliveries": {"type": "integer", "minimum": 0}
        })),
        "Resumed": exact(json!({
            "success": {"const": true},
            "resumed": strings()
        })),
        "RetryResult": exact(json!({
            "success": {"const": true},
            "eventId": {"type": "string"},
            "queued": {"type": "integer", "minimum": 0}
        })),
        "Deleted": exact(json!({
            "success": {"const": true},
            "eventId": {"type": "string"}
        })),
        "Whoami": exact(json!({
            "name": {"type": "string", "description": "The token's name in [[admin.token]]."},
            "scopes": {"type": "array", "items": {"type": "string",
                "enum": [Scope::View.name(), Scope::Add.name(), Scope::Edit.name(), Scope::Remove.name()]}}
        })),
        "Overview": exact(json!({
            "lastHour": activity(false),
            "pending": {"type": "integer", "minimum": 0, "description": "Deliveries waiting in the store."},
            "perMinute": {"type": "array", "minItems": 60, "maxItems": 60, "items": activity(true),
                "description": "The last 60 minutes, oldest first, as seen by this process."},
            "unhealthyReceivers": {"type": "array", "items": exact(json!({
                "listenerId": {"type": "string"},
                "url": {"type": "string"},
                "failingSince": {"type": ["string", "null"], "format": "date-time"},
                "pausedAt": {"type": ["string", "null"], "format": "date-time"}
            }))}
        })),
        "EventTypes": exact(json!({
            "eventTypes": {"type": "array", "items": exact(json!({
                "name": {"type": "string"},
                "description": {"type": "string"},
                "provider": {"type": "string"}
            }))}
        }))
    });
    if let Value::Object(written) = written {
        all.extend(written);
    }
    Value::Object(all)
}

/// The schemas of the listener types, derived from the types the server reads and writes:
/// `Listener` and `Receiver` as answered, `ListenerInput` and `ReceiverInput` as read.
/// Counts of listener requests by outcome and of deliveries that failed for good; with the
/// minute they belong to, or (`minute` false) summed over the hour.
fn activity(minute: bool) -> Value {
    let count = || json!({"type": "integer", "minimum": 0});
    let mut properties = json!({
        "accepted": count(), "filtered": count(), "duplicate": count(),
        "refused": count(), "failed": count()
    });
    if minute {
        properties["minute"] = date_time();
    }
    exact(properties)
}

fn derived_schemas(providers: &[String]) -> Map<String, Value> {
    let settings = || {
        SchemaSettings::draft2020_12().with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
    };
    let mut answers = settings().for_serialize().into_generator();
    answers.subschema_for::<ListenerView>();
    answers.subschema_for::<EventOut>();
    answers.subschema_for::<EventDetailOut>();
    let mut all = answers.take_definitions(true);
    let mut requests = settings().for_deserialize().into_generator();
    requests.subschema_for::<ListenerInput>();
    all.extend(requests.take_definitions(true));
    // The providers are the running configuration's: known only now.
    all["ListenerInput"]["properties"]["provider"] = json!({"type": "string", "enum": providers});
    all
}

fn responses() -> Value {
    let error = |description: &str| ok(description, reference("Error"));
    let mut e503 = error("The store is unavailable; retry after `Retry-After` seconds.");
    e503["headers"] = json!({"Retry-After": {"required": true, "schema": {"type": "string"}}});
    let mut e405 = error("The path does not take this method; `Allow` lists those it does.");
    e405["headers"] = json!({"Allow": {"required": true, "schema": {"type": "string"}}});
    json!({
        "E400": error("The request is invalid; `errors` lists every problem."),
        "E401": error("No token, or an unknown one."),
        "E403": error("The token lacks the scope."),
        "E404": error("No such listener or event."),
        "E405": e405,
        "E409": error("`conflict`: the (provider, integrationAccountId) is taken; `managed_by_config`: the listener comes from listeners.toml."),
        "E413": error("The body is larger than 1 MiB."),
        "E503": e503
    })
}

fn paths() -> Value {
    let mut all = api_paths();
    if let (Some(all), Value::Object(open)) = (all.as_object_mut(), open_paths()) {
        all.extend(open);
    }
    if let (Some(all), Value::Object(more)) = (all.as_object_mut(), dashboard_paths()) {
        all.extend(more);
    }
    all
}

/// The paths the dashboard reads besides listeners and events.
fn dashboard_paths() -> Value {
    json!({
        "/api/v1/whoami": {
            "get": operation("whoami", "The calling token's name and scopes (the dashboard shows only what they allow).",
                Scope::View, vec![], None, ("200", ok("The token.", reference("Whoami"))), &[])
        },
        "/api/v1/overview": {
            "get": operation("overview", "The last hour at a glance: requests by outcome, failed deliveries, pending deliveries, unhealthy receivers.",
                Scope::View, vec![], None, ("200", ok("The overview.", reference("Overview"))), &[])
        }
    })
}

/// The paths that need no token.
fn open_paths() -> Value {
    let open = |id: &str, summary: &str, content: Value, extra: Option<(&str, Value)>| {
        let mut responses = json!({"200": {"description": "OK", "content": content}});
        if let Some((status, r)) = extra {
            responses[status] = r;
        }
        responses["405"] = error_response("405");
        json!({"get": {"operationId": id, "summary": summary, "security": [], "responses": responses}})
    };
    let health = exact(json!({"status": {"type": "string"}}));
    let ready = json!({"type": "object", "required": ["status", "listeners"], "properties": {
        "status": {"type": "string"}, "listeners": {"type": "integer"}, "reason": {"type": "string"}}});
    json!({
        "/healthz": open("healthz", "The process answers.", json_content(health), None),
        "/readyz": open("readyz", "The store takes writes and listeners are loaded.", json_content(ready.clone()),
            Some(("503", json!({"description": "The store's last commit failed.", "content": json_content(ready)})))),
        "/metrics": open("metrics", "Prometheus metrics.",
            json!({"application/openmetrics-text": {"schema": {"type": "string"}}}), None),
        "/openapi.json": open("openapi", "This document.", json_content(json!({"type": "object"})), None)
    })
}

/// The management API's paths.
fn api_paths() -> Value {
    let listener = || reference("Listener");
    let id = || path_param("id", "The listener's integrationAccountWebhookId.");
    let event_id = || path_param("eventId", "The event's id.");
    let mut list_params = vec![query_param(
        "integrationAccountId",
        "Only this account's listeners.",
        json!({"type": "string"}),
    )];
    list_params.extend(paging());
    let mut event_params = vec![id()];
    event_params.extend(paging());
    event_params.push(query_param(
        "status",
        "Only events with a delivery in this status.",
        json!({"type": "string", "enum": STATUSES}),
    ));
    event_params.push(query_param(
        "eventType",
        "Only events of this type.",
        json!({"type": "string"}),
    ));
    json!({
        "/api/v1/integration_account_webhook": {
            "get": operation("listListeners", "List the listeners (not deleted ones), of one account or all.",
                Scope::View, list_params, None,
                ("200", ok("The listeners.", json!({"type": "array", "items": listener()}))), &["400"]),
            "post": operation("createListener", "Create a listener; it is live at once.",
                Scope::Add, vec![], Some(listener_body()),
                ("201", linked(ok("The new listener, secrets masked.", listener()), listener_links())), &["400", "409", "413"])
        },
        "/api/v1/integration_account_webhook/{id}": {
            "get": operation("getListener", "One listener; a deleted API listener shows `deleted`.",
                Scope::View, vec![id()], None, ("200", linked(ok("The listener.", listener()), listener_links())), &["404"]),
            "put": operation("updateListener", "Replace an API listener's definition.",
                Scope::Edit, vec![id()], Some(listener_body()),
                ("200", linked(ok("The listener as now defined.", listener()), listener_links())), &["400", "404", "409", "413"]),
            "delete": operation("deleteListener", "Soft-delete an API listener: its URL answers 404 from now on.",
                Scope::Remove, vec![id()], None,
                ("200", ok("The listener with `deleted` set.", listener())), &["404", "409"])
        },
        "/api/v1/integration_account_webhook/{id}/test": {
            "post": operation("testListener", "Send a synthetic event through the normal delivery path.",
                Scope::Edit, vec![id()],
                Some(json!({"required": false, "content": json_content(reference("TestRequest"))})),
                ("200", linked(ok("The event was stored; its deliveries are under way.", reference("TestResult")), event_links())),
                &["400", "404", "413"])
        },
        "/api/v1/integration_account_webhook/{id}/resume": {
            "post": operation("resumeListener", "Resume the listener's paused receivers: what they missed is due at once.",
                Scope::Edit, vec![id()], None,
                ("200", ok("The receivers resumed (URLs); empty when none was paused.", reference("Resumed"))), &["404"])
        },
        "/api/v1/integration_account_webhook/{id}/events": {
            "get": operation("listListenerEvents", "A listener's events, newest first (`__system__`: the gateway's own events).",
                Scope::View, event_params, None,
                ("200", ok("One page and the filtered total.", reference("EventList"))), &["400", "404"])
        },
        "/api/v1/events/{eventId}": {
            "get": operation("getEvent", "An event with its payload, deliveries and every attempt.",
                Scope::View, vec![event_id()], None, ("200", ok("The event.", reference("EventDetail"))), &["404"]),
            "delete": operation("deleteEvent", "Delete an event with its deliveries and attempts.",
                Scope::Remove, vec![event_id()], None, ("200", ok("Deleted.", reference("Deleted"))), &["404"])
        },
        "/api/v1/events/{eventId}/retry": {
            "post": operation("retryEvent", "Queue the event's failed deliveries again (all of them with all=true).",
                Scope::Edit,
                vec![event_id(), query_param("all", "Every delivery, not only failed ones.", json!({"type": "boolean"}))],
                None, ("202", ok("Queued.", reference("RetryResult"))), &["400", "404"])
        },
        "/api/v1/event_types": {
            "get": operation("listEventTypes", "The event types each built-in provider sends.",
                Scope::View,
                vec![query_param("provider", "Only this provider's types.", json!({"type": "string"}))],
                None, ("200", ok("The event types.", reference("EventTypes"))), &[])
        }
    })
}

fn build(providers: &[String]) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "hookgate management API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Listeners, the event log and delivery retries of a hookgate gateway. Every /api/ path needs `Authorization: Bearer TOKEN` or `x-api-key: TOKEN` from [[admin.token]]; secrets are always answered as \"***\"."
        },
        "security": [{"bearer": []}, {"apiKey": []}],
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}
            },
            "schemas": schemas(providers),
            "responses": responses()
        }
    })
}

#[cfg(test)]
mod tests;
