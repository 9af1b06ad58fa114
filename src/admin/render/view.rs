//! A listener as the management API answers it: serializable views of the listener document in
//! which every secret is `"***"`. Their schemas (derived) are the OpenAPI document's `Listener`
//! and `Receiver`, so the document describes exactly what is sent.

use super::super::doc::{ListenerDoc, OAuthDoc, RateLimitDoc, ReceiverDoc, ResponseDoc};
use super::{listener_url, ManagedBy, Meta};
use crate::config::Handshake;
use crate::http_util::rfc3339_ms;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// How every secret is shown, and what a PUT sends to keep a stored secret unchanged.
pub const MASK: &str = "***";

/// A secret in an answer: always `"***"`.
#[derive(Debug, Clone, Copy)]
pub struct Masked;

impl Serialize for Masked {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(MASK)
    }
}

impl JsonSchema for Masked {
    fn schema_name() -> Cow<'static, str> {
        "Masked".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "const": MASK})
    }
}

fn mask(secret: Option<&String>) -> Option<Masked> {
    secret.map(|_| Masked)
}

/// A listener as answered: the fields of seed 000 first, in its order, then the rest.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Listener", extend("additionalProperties" = false))]
pub struct ListenerView {
    pub integration_account_webhook_id: String,
    pub name: String,
    pub enabled: bool,
    /// Required inbound headers; values are always "***".
    pub headers: Option<BTreeMap<String, Masked>>,
    /// The first allowed CIDR.
    pub ip_address: Option<String>,
    pub event_subscription: Option<BTreeMap<String, bool>>,
    /// The first receiver's URL.
    pub receiver_url: Option<String>,
    /// The provider-facing URL.
    pub listener_url: Vec<String>,
    pub integration_account_id: String,
    pub integration_definition_id: Option<String>,
    pub workspace_id: Option<String>,
    pub api_support: bool,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: String,
    /// When the listener was deleted (API listeners only).
    #[schemars(extend("format" = "date-time"))]
    pub deleted: Option<String>,
    pub provider: String,
    pub allowed_ips: Vec<String>,
    pub receivers: Vec<ReceiverView>,
    pub basic_auth: Option<BasicAuthView>,
    pub verify_secret: Option<Masked>,
    pub rate_limit: Option<RateLimitView>,
    pub managed_by: ManagedBy,
    /// The provider handshake answered (the provider's preset unless set).
    #[schemars(extend("enum" = ["none", "slack", "meta", "zoom", "microsoft-graph", "twitter", "dropbox"]))]
    pub handshake: String,
    pub handshake_secret: Option<Masked>,
    /// The answer to accepted, filtered and duplicate events, when not the JSON one.
    pub response: Option<ResponseView>,
}

/// A listener's custom answer.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Response", extend("additionalProperties" = false))]
pub struct ResponseView {
    #[schemars(extend("minimum" = 200, "maximum" = 299))]
    pub status: u32,
    pub content_type: String,
    pub body: String,
    pub headers: BTreeMap<String, String>,
}

impl From<&ResponseDoc> for ResponseView {
    fn from(r: &ResponseDoc) -> ResponseView {
        ResponseView {
            status: r.status.unwrap_or(200),
            content_type: r
                .content_type
                .clone()
                .unwrap_or_else(|| "text/plain".into()),
            body: r.body.clone().unwrap_or_default(),
            headers: r.headers.clone(),
        }
    }
}

/// HTTP Basic credentials a provider must send.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "BasicAuth", extend("additionalProperties" = false))]
pub struct BasicAuthView {
    pub username: String,
    pub password: Masked,
}

/// A rate limit with its burst.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "RateLimit", extend("additionalProperties" = false))]
pub struct RateLimitView {
    pub per_second: u32,
    pub burst: u32,
}

/// One receiver as answered.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Receiver", extend("additionalProperties" = false))]
pub struct ReceiverView {
    pub url: String,
    /// Extra headers sent with every delivery; values are always "***".
    pub headers: BTreeMap<String, Masked>,
    pub events: Option<Vec<String>>,
    #[schemars(extend("enum" = ["raw", "envelope"]))]
    pub format: String,
    pub max_retry_count: Option<u32>,
    pub signing_secret: Option<Masked>,
    pub authorization: Option<Masked>,
    pub oauth: Option<OAuthView>,
    pub rate_limit: Option<RateLimitView>,
    pub forward_headers: Vec<String>,
    pub timeout: Option<String>,
    /// "*" or a locator: deliveries with the same key go one after another.
    pub order_by: Option<String>,
    /// Failing for `pause_after`: deliveries are held until resumed.
    pub paused: bool,
    /// jq program: events it does not yield `true` for are not delivered here.
    pub filter: Option<String>,
    /// jq program building the body sent here.
    pub transform: Option<String>,
}

/// OAuth 2.0 client credentials of a receiver.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "OAuth", extend("additionalProperties" = false))]
pub struct OAuthView {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Masked,
    #[schemars(extend("enum" = ["header", "body"]))]
    pub credentials_location: String,
    pub scope: Option<String>,
}

impl From<&RateLimitDoc> for RateLimitView {
    fn from(r: &RateLimitDoc) -> RateLimitView {
        RateLimitView {
            per_second: r.per_second,
            burst: r.burst.unwrap_or(r.per_second),
        }
    }
}

impl From<&OAuthDoc> for OAuthView {
    fn from(o: &OAuthDoc) -> OAuthView {
        OAuthView {
            token_url: o.token_url.clone(),
            client_id: o.client_id.clone(),
            client_secret: Masked,
            credentials_location: o.credentials_location.clone(),
            scope: o.scope.clone(),
        }
    }
}

impl ReceiverView {
    pub fn new(r: &ReceiverDoc, paused: bool) -> ReceiverView {
        ReceiverView {
            url: r.url.clone(),
            headers: r.headers.keys().map(|k| (k.clone(), Masked)).collect(),
            events: r.events.clone(),
            format: r.format.clone(),
            max_retry_count: r.max_retry_count,
            signing_secret: mask(r.signing_secret.as_ref()),
            authorization: mask(r.authorization.as_ref()),
            oauth: r.oauth.as_ref().map(OAuthView::from),
            rate_limit: r.rate_limit.as_ref().map(RateLimitView::from),
            forward_headers: r.forward_headers.clone(),
            timeout: r.timeout.clone(),
            order_by: r.order_by.clone(),
            paused,
            filter: r.filter.clone(),
            transform: r.transform.clone(),
        }
    }
}

impl ListenerView {
    /// The view of `doc`; `paused` tells whether a receiver (by URL) is paused.
    pub fn new(
        doc: &ListenerDoc,
        meta: &Meta,
        public_url: &str,
        paused: &dyn Fn(&str) -> bool,
    ) -> ListenerView {
        let headers = (!doc.headers.is_empty())
            .then(|| doc.headers.keys().map(|k| (k.clone(), Masked)).collect());
        ListenerView {
            integration_account_webhook_id: meta.id.clone(),
            name: doc.name.clone(),
            enabled: doc.enabled,
            headers,
            ip_address: doc.allowed_ips.first().cloned(),
            event_subscription: doc.event_subscription.clone(),
            receiver_url: doc.receivers.first().map(|r| r.url.clone()),
            listener_url: vec![listener_url(
                public_url,
                &doc.provider,
                &doc.integration_account_id,
            )],
            integration_account_id: doc.integration_account_id.clone(),
            integration_definition_id: doc.integration_definition_id.clone(),
            workspace_id: doc.workspace_id.clone(),
            api_support: doc.api_support,
            created_at: rfc3339_ms(meta.created_at),
            updated_at: rfc3339_ms(meta.updated_at),
            deleted: meta.deleted_at.map(rfc3339_ms),
            provider: doc.provider.clone(),
            allowed_ips: doc.allowed_ips.clone(),
            receivers: doc
                .receivers
                .iter()
                .map(|r| ReceiverView::new(r, paused(&r.url)))
                .collect(),
            basic_auth: doc.basic_auth.as_ref().map(|b| BasicAuthView {
                username: b.username.clone(),
                password: Masked,
            }),
            verify_secret: mask(doc.verify_secret.as_ref()),
            rate_limit: doc.rate_limit.as_ref().map(RateLimitView::from),
            managed_by: meta.managed_by,
            handshake: match &doc.handshake {
                Some(h) => h.clone(),
                None => Handshake::preset_for(&doc.provider).name().to_string(),
            },
            handshake_secret: mask(doc.handshake_secret.as_ref()),
            response: doc.response.as_ref().map(ResponseView::from),
        }
    }
}
