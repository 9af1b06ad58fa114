//! The shape of a listener in a POST or PUT body, read by serde. Every field is optional here
//! (absent and `null` are the same): what is required is said by the reader, so that one
//! answer can list every missing field. Unknown fields are refused; read-only fields, which a
//! GET answer sent back carries, are taken and ignored.

use super::Problem;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// How every secret is shown, and what a PUT sends to keep a stored secret unchanged.
pub const MASK: &str = "***";

/// Past this many shape problems the rest of a body is not read: a hostile body cannot make the
/// reader go over it again and again.
const MAX_SHAPE_PROBLEMS: usize = 50;

/// A listener as a request writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListenerInput {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub headers: Option<BTreeMap<String, String>>,
    pub ip_address: Option<String>,
    pub event_subscription: Option<BTreeMap<String, bool>>,
    pub receiver_url: Option<String>,
    pub integration_account_id: Option<String>,
    pub integration_definition_id: Option<String>,
    pub workspace_id: Option<String>,
    pub api_support: Option<bool>,
    pub provider: Option<String>,
    pub allowed_ips: Option<Vec<String>>,
    pub receivers: Option<Vec<ReceiverInput>>,
    pub basic_auth: Option<BasicAuthInput>,
    pub verify_secret: Option<String>,
    pub rate_limit: Option<RateLimitInput>,
    // Set by the server: ignored in a request.
    pub integration_account_webhook_id: Option<IgnoredAny>,
    pub listener_url: Option<IgnoredAny>,
    pub created_at: Option<IgnoredAny>,
    pub updated_at: Option<IgnoredAny>,
    pub deleted: Option<IgnoredAny>,
    pub managed_by: Option<IgnoredAny>,
}

/// A receiver as a request writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReceiverInput {
    pub url: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    pub events: Option<Vec<String>>,
    pub format: Option<String>,
    pub max_retry_count: Option<u32>,
    pub signing_secret: Option<String>,
    pub authorization: Option<String>,
    pub oauth: Option<OAuthInput>,
    pub rate_limit: Option<RateLimitInput>,
    pub forward_headers: Option<Vec<String>>,
    pub timeout: Option<String>,
    /// Set by the server: ignored in a request.
    pub paused: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasicAuthInput {
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OAuthInput {
    pub token_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub credentials_location: Option<String>,
    pub scope: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitInput {
    pub per_second: Option<u32>,
    pub burst: Option<u32>,
}

/// Reads the body's shape. A JSON object always gives a listener: a field serde refuses is
/// listed and left out, and the rest is read again, so every shape problem is listed at once.
pub fn read(body: &[u8]) -> Result<(ListenerInput, Vec<Problem>), Vec<Problem>> {
    let mut value: Value = serde_json::from_slice(body)
        .map_err(|e| vec![Problem::new("(body)", format!("not a JSON document: {e}"))])?;
    if !value.is_object() {
        return Err(vec![Problem::new("(body)", "must be a JSON object")]);
    }
    let mut problems = Vec::new();
    while problems.len() < MAX_SHAPE_PROBLEMS {
        let error = match serde_path_to_error::deserialize::<_, ListenerInput>(&value) {
            Ok(input) => return Ok((input, problems)),
            Err(e) => e,
        };
        let (path, message) = refused(&error);
        if !remove(&mut value, &path) {
            break;
        }
        problems.push(Problem::new(field_name(&path), message));
    }
    Ok((ListenerInput::default(), problems))
}

/// One step of the path to a JSON value.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Where serde refused the body and why; an unknown field is named by serde's message, and the
/// path is completed with that name when it ends at the object that holds it.
fn refused(error: &serde_path_to_error::Error<serde_json::Error>) -> (Vec<Step>, String) {
    use serde_path_to_error::Segment;
    let mut path: Vec<Step> = error
        .path()
        .iter()
        .filter_map(|s| match s {
            Segment::Map { key } => Some(Step::Key(key.clone())),
            Segment::Seq { index } => Some(Step::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect();
    let text = error.inner().to_string();
    if let Some(name) = text
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        let named = Step::Key(name.to_string());
        if path.last() != Some(&named) {
            path.push(named);
        }
        return (path, "unknown field".to_string());
    }
    // serde_json adds " at line L column C" to some messages: meaningless for a JSON value.
    let message = text.split(" at line ").next().unwrap_or(&text).to_string();
    (path, message)
}

/// `receivers[0].oauth.tokenUrl`.
fn field_name(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "(body)".to_string()
    } else {
        out
    }
}

/// Takes the refused value out of the document: a field of an object is removed; an array
/// item goes with its whole array (removing it alone would renumber the items after it).
/// False when there is nothing to remove, so reading cannot go round forever.
fn remove(value: &mut Value, path: &[Step]) -> bool {
    let Some(last_key) = path.iter().rposition(|s| matches!(s, Step::Key(_))) else {
        return false;
    };
    let mut parent = value;
    for step in &path[..last_key] {
        let next = match step {
            Step::Key(k) => parent.get_mut(k.as_str()),
            Step::Index(i) => parent.get_mut(*i),
        };
        match next {
            Some(v) => parent = v,
            None => return false,
        }
    }
    let Step::Key(key) = &path[last_key] else {
        return false;
    };
    parent
        .as_object_mut()
        .is_some_and(|o| o.shift_remove(key.as_str()).is_some())
}
