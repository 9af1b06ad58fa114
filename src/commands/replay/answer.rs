//! Reading the gateway's answer to one fixture into the line `replay` prints for it.

use http::StatusCode;
use serde_json::Value;

/// The summary column one fixture is counted in.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Accepted,
    Filtered,
    Duplicate,
    Failed,
}

/// How one fixture went: its column, what comes before its name ("200 accepted", "ERR") and
/// what comes after.
pub(super) struct Outcome(pub Kind, pub String, pub String);

pub(super) fn failed(detail: impl Into<String>) -> Outcome {
    Outcome(Kind::Failed, "ERR".into(), detail.into())
}

/// Reads the gateway's answer (SPEC section 3) into a line.
pub(super) fn judge(status: StatusCode, body: &[u8]) -> Outcome {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let field = |key: &str| json.as_ref().and_then(|j| j.get(key));
    let text = |key: &str| field(key).and_then(Value::as_str).map(str::to_string);
    if !status.is_success() {
        let reason = status.canonical_reason().unwrap_or("error");
        let code = text("code").unwrap_or_else(|| reason.to_lowercase().replace(' ', "_"));
        let detail = text("message").unwrap_or_else(|| snippet(body));
        let head = format!("{} {code}", status.as_u16());
        return Outcome(Kind::Failed, head, detail);
    }
    let shown = |key: &str| match field(key) {
        Some(Value::String(s)) => format!("{key}={s}"),
        Some(v) => format!("{key}={v}"),
        None => format!("{key}=null"),
    };
    let (label, kind, detail) = match text("status").as_deref() {
        Some("filtered") => ("filtered", Kind::Filtered, shown("eventType")),
        Some("duplicate") => ("duplicate", Kind::Duplicate, shown("eventId")),
        Some("accepted") => {
            let detail = format!("{} {}", shown("eventId"), shown("deliveries"));
            ("accepted", Kind::Accepted, detail)
        }
        // Not hookgate's answer shape (another server at --url?): a 2xx is still a success.
        _ => ("ok", Kind::Accepted, snippet(body)),
    };
    Outcome(kind, format!("{} {label}", status.as_u16()), detail)
}

/// A non-JSON answer, on one line and short.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
