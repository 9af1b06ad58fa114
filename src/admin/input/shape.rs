//! The shape of a listener in a POST or PUT body, read by serde. Every field is optional here
//! (absent and `null` are the same): what is required is said by the reader, so that one
//! answer can list every missing field. Unknown fields are refused; read-only fields, which a
//! GET answer sent back carries, are taken and ignored.

use super::Problem;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

pub use crate::admin::render::MASK;

/// Past this many shape problems the rest of a body is not read: a hostile body cannot make the
/// reader go over it again and again.
const MAX_SHAPE_PROBLEMS: usize = 50;

/// A field the server sets: a request may carry it (a GET answer sent back) and it is ignored.
pub struct ReadOnly;

impl JsonSchema for ReadOnly {
    fn schema_name() -> Cow<'static, str> {
        "ReadOnly".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"readOnly": true, "description": "Set by the server; ignored in a request."})
    }
}

/// A listener as a request writes it. Secrets in clear; on PUT, "***" keeps the stored secret.
/// `receiverUrl` alone stands for one receiver with defaults; `ipAddress` alone for one allowed
/// CIDR. Unknown fields are refused.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListenerInput {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    /// Required inbound headers: name and secret value.
    #[schemars(extend("propertyNames" = {"pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"}))]
    pub headers: Option<BTreeMap<String, String>>,
    pub ip_address: Option<String>,
    pub event_subscription: Option<BTreeMap<String, bool>>,
    #[schemars(extend("format" = "uri", "pattern" = "^https?://"))]
    pub receiver_url: Option<String>,
    /// Non-empty, without '/' or white space.
    #[schemars(required, with = "String", extend("pattern" = "^[^/\\s]+$"))]
    pub integration_account_id: Option<String>,
    pub integration_definition_id: Option<String>,
    pub workspace_id: Option<String>,
    pub api_support: Option<bool>,
    #[schemars(required, with = "String")]
    pub provider: Option<String>,
    pub allowed_ips: Option<Vec<String>>,
    /// At most 100.
    #[schemars(extend("maxItems" = 100))]
    pub receivers: Option<Vec<ReceiverInput>>,
    pub basic_auth: Option<BasicAuthInput>,
    pub verify_secret: Option<String>,
    pub rate_limit: Option<RateLimitInput>,
    /// The provider handshake answered (absent: the provider's preset).
    #[schemars(extend("enum" = ["none", "slack", "meta", "zoom", "microsoft-graph", "twitter", "dropbox", null]))]
    pub handshake: Option<String>,
    /// For the meta, zoom and twitter handshakes; on PUT "***" keeps the stored secret.
    pub handshake_secret: Option<String>,
    /// Replaces the JSON answer to accepted, filtered and duplicate events.
    pub response: Option<ResponseInput>,
    #[serde(default)]
    #[schemars(with = "ReadOnly")]
    // Read-only: accepted so a client can send back what it got, and ignored.
    #[allow(dead_code)]
    pub integration_account_webhook_id: Option<IgnoredAny>,
    #[serde(default)]
    #[schemars(with = "ReadOnly")]
    // Read-only: accepted so a client can send back what it got, and ignored.
    #[allow(dead_code)]
    pub listener_url: Option<IgnoredAny>,
    #[serde(default)]
    #[schemars(with = "ReadOnly")]
    // Read-only: accepted so a client can send back what it got, and ignored.
    #[allow(dead_code)]
    pub created_at: Option<IgnoredAny>,
    #[serde(default)]
    #[schemars(with = "ReadOnly")]
    // Read-only: accepted so a client can send back what it got, and ignored.
    #[allow(dead_code)]
    pub updated_at: Option<IgnoredAny>,
    #[serde(default)]
    #[schemars(with = "ReadOnly")]
    // Read-only: accepted so a client can send back what it got, and ignored.
    #[allow(dead_code)]
    pub deleted: Option<IgnoredAny>,
    #[serde(default)]
    #[schemars(with = "ReadOnly")]
    // Read-only: accepted so a client can send back what it got, and ignored.
    #[allow(dead_code)]
    pub managed_by: Option<IgnoredAny>,
}

/// A receiver as a request writes it.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReceiverInput {
    #[schemars(required, with = "String", extend("format" = "uri", "pattern" = "^https?://"))]
    pub url: Option<String>,
    /// Extra headers sent with every delivery; values are secrets, and on PUT "***" keeps the
    /// stored value (not for a receiver whose url or oauth.tokenUrl changed: `secret_required`).
    #[schemars(extend(
        "propertyNames" = {"pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"},
        "additionalProperties" = {"type": "string", "pattern": "^[\\t\\x20-\\x7e]*$"}
    ))]
    pub headers: Option<BTreeMap<String, String>>,
    pub events: Option<Vec<String>>,
    #[schemars(extend("enum" = ["raw", "envelope", null]))]
    pub format: Option<String>,
    #[schemars(extend("maximum" = 100))]
    pub max_retry_count: Option<u32>,
    pub signing_secret: Option<String>,
    pub authorization: Option<String>,
    pub oauth: Option<OAuthInput>,
    pub rate_limit: Option<RateLimitInput>,
    #[schemars(extend("items" = {"type": "string", "pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"}))]
    pub forward_headers: Option<Vec<String>>,
    /// A duration like "10s".
    #[schemars(extend("pattern" = "^[0-9]+(ms|s|m|h|d)$"))]
    pub timeout: Option<String>,
    /// "*" (one queue for the receiver) or a locator (body:/pointer, header:Name,
    /// query:name): deliveries with the same key go one after another, in acceptance order.
    #[schemars(extend("pattern" = "^(\\*|(body:/|header:|query:).+)$"))]
    pub order_by: Option<String>,
    /// A jq program: events it does not yield `true` for are not delivered here.
    pub filter: Option<String>,
    /// A jq program building the body sent here.
    pub transform: Option<String>,
    #[serde(default)]
    #[schemars(with = "ReadOnly")]
    // Read-only: accepted so a client can send back what it got, and ignored.
    #[allow(dead_code)]
    pub paused: Option<IgnoredAny>,
}

/// A listener's custom answer; `status` is 2xx.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResponseInput {
    #[schemars(extend("minimum" = 200, "maximum" = 299))]
    pub status: Option<u32>,
    #[schemars(extend("pattern" = "^[\\t\\x20-\\x7e]*$"))]
    pub content_type: Option<String>,
    pub body: Option<String>,
    #[schemars(extend(
        "propertyNames" = {"pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"},
        "additionalProperties" = {"type": "string", "pattern": "^[\\t\\x20-\\x7e]*$"}
    ))]
    pub headers: Option<BTreeMap<String, String>>,
}

/// HTTP Basic credentials a provider must send.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasicAuthInput {
    #[schemars(required, with = "String")]
    pub username: Option<String>,
    #[schemars(required, with = "String")]
    pub password: Option<String>,
}

/// OAuth 2.0 client credentials for a receiver.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OAuthInput {
    #[schemars(required, with = "String", extend("format" = "uri", "pattern" = "^https?://"))]
    pub token_url: Option<String>,
    #[schemars(required, with = "String")]
    pub client_id: Option<String>,
    #[schemars(required, with = "String")]
    pub client_secret: Option<String>,
    #[schemars(extend("enum" = ["header", "body", null]))]
    pub credentials_location: Option<String>,
    pub scope: Option<String>,
}

/// A rate limit; `burst` defaults to `perSecond`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitInput {
    #[schemars(required, with = "u32", extend("maximum" = 4294967295u32))]
    pub per_second: Option<u32>,
    #[schemars(extend("maximum" = 4294967295u32))]
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
