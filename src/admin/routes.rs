//! The management API's route table: method and path segments → endpoint and the scope it needs.

use super::auth::Scope;
use http::Method;

/// One operation of the management API, with its path parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    ListListeners,
    CreateListener,
    GetListener(String),
    UpdateListener(String),
    DeleteListener(String),
    TestListener(String),
    ResumeListener(String),
    ListenerEvents(String),
    GetEvent(String),
    RetryEvent(String),
    DeleteEvent(String),
    EventTypes,
    Whoami,
    Overview,
}

/// What a method and path come to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Found(Endpoint, Scope),
    /// The path exists but not with this method; `Allow` lists the methods it takes.
    WrongMethod(&'static str),
    NotFound,
}

/// The path templates served, for the OpenAPI document's self-check.
#[cfg(test)]
pub const TEMPLATES: [&str; 10] = [
    "/api/v1/integration_account_webhook",
    "/api/v1/integration_account_webhook/{id}",
    "/api/v1/integration_account_webhook/{id}/test",
    "/api/v1/integration_account_webhook/{id}/resume",
    "/api/v1/integration_account_webhook/{id}/events",
    "/api/v1/events/{eventId}",
    "/api/v1/events/{eventId}/retry",
    "/api/v1/event_types",
    "/api/v1/whoami",
    "/api/v1/overview",
];

/// Matches `path` (already without its query) and `method` against the table.
pub fn resolve(method: &Method, path: &str) -> Resolved {
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return Resolved::NotFound;
    };
    let segments: Vec<String> = rest.split('/').map(decode).collect();
    // An empty segment (`//`, a trailing `/`, an empty id) never names anything.
    if segments.iter().any(String::is_empty) {
        return Resolved::NotFound;
    }
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let m = method;
    use Endpoint::*;
    match seg.as_slice() {
        ["integration_account_webhook"] => match *m {
            Method::GET => Resolved::Found(ListListeners, Scope::View),
            Method::POST => Resolved::Found(CreateListener, Scope::Add),
            _ => Resolved::WrongMethod("GET, POST"),
        },
        ["integration_account_webhook", id] => {
            let id = id.to_string();
            match *m {
                Method::GET => Resolved::Found(GetListener(id), Scope::View),
                Method::PUT => Resolved::Found(UpdateListener(id), Scope::Edit),
                Method::DELETE => Resolved::Found(DeleteListener(id), Scope::Remove),
                _ => Resolved::WrongMethod("GET, PUT, DELETE"),
            }
        }
        ["integration_account_webhook", id, "test"] => match *m {
            Method::POST => Resolved::Found(TestListener(id.to_string()), Scope::Edit),
            _ => Resolved::WrongMethod("POST"),
        },
        ["integration_account_webhook", id, "resume"] => match *m {
            Method::POST => Resolved::Found(ResumeListener(id.to_string()), Scope::Edit),
            _ => Resolved::WrongMethod("POST"),
        },
        ["integration_account_webhook", id, "events"] => match *m {
            Method::GET => Resolved::Found(ListenerEvents(id.to_string()), Scope::View),
            _ => Resolved::WrongMethod("GET"),
        },
        ["events", id] => {
            let id = id.to_string();
            match *m {
                Method::GET => Resolved::Found(GetEvent(id), Scope::View),
                Method::DELETE => Resolved::Found(DeleteEvent(id), Scope::Remove),
                _ => Resolved::WrongMethod("GET, DELETE"),
            }
        }
        ["events", id, "retry"] => match *m {
            Method::POST => Resolved::Found(RetryEvent(id.to_string()), Scope::Edit),
            _ => Resolved::WrongMethod("POST"),
        },
        ["event_types"] => match *m {
            Method::GET => Resolved::Found(EventTypes, Scope::View),
            _ => Resolved::WrongMethod("GET"),
        },
        ["whoami"] => match *m {
            Method::GET => Resolved::Found(Whoami, Scope::View),
            _ => Resolved::WrongMethod("GET"),
        },
        ["overview"] => match *m {
            Method::GET => Resolved::Found(Overview, Scope::View),
            _ => Resolved::WrongMethod("GET"),
        },
        _ => Resolved::NotFound,
    }
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests;
