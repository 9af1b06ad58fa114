//! The listener document: one JSON-shaped model of a listener, with secrets in clear, that every
//! listener — from the file or from the API — is turned into before it is shown or stored.

use crate::config::{
    CredentialsLocation, CustomResponse, Format, Handshake, ListenerSpec, RateLimit, ReceiverSpec,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A listener's writable fields. The store keeps this (as JSON) for API-made listeners; the
/// renderer masks its secrets for every answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerDoc {
    pub name: String,
    pub provider: String,
    pub integration_account_id: String,
    pub workspace_id: Option<String>,
    pub integration_definition_id: Option<String>,
    pub enabled: bool,
    pub api_support: bool,
    pub allowed_ips: Vec<String>,
    /// Required inbound headers: name → secret value.
    pub headers: BTreeMap<String, String>,
    pub basic_auth: Option<BasicAuthDoc>,
    pub verify_secret: Option<String>,
    pub rate_limit: Option<RateLimitDoc>,
    pub event_subscription: Option<BTreeMap<String, bool>>,
    pub receivers: Vec<ReceiverDoc>,
    /// `none`, `slack`, … (absent: the provider's preset). Left out when absent, so the
    /// fingerprint of a listener without it is what it was before the field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseDoc>,
}

/// A listener's custom answer to accepted, filtered and duplicate events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseDoc {
    pub status: Option<u32>,
    pub content_type: Option<String>,
    pub body: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// HTTP Basic credentials a provider must send (the password is a secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BasicAuthDoc {
    pub username: String,
    pub password: String,
}

/// A rate limit; `burst` defaults to `per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitDoc {
    pub per_second: u32,
    pub burst: Option<u32>,
}

/// One receiver's writable fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverDoc {
    pub url: String,
    /// Extra headers sent with every delivery; their values are secrets (masked in answers).
    pub headers: BTreeMap<String, String>,
    pub events: Option<Vec<String>>,
    /// `raw` or `envelope`.
    pub format: String,
    pub max_retry_count: Option<u32>,
    pub signing_secret: Option<String>,
    pub authorization: Option<String>,
    pub oauth: Option<OAuthDoc>,
    pub rate_limit: Option<RateLimitDoc>,
    pub forward_headers: Vec<String>,
    /// A duration like "10s".
    pub timeout: Option<String>,
    /// "*" or a locator. Left out when absent, so that fingerprints made before it existed
    /// still match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_by: Option<String>,
    /// jq programs (SPEC section 13); left out when absent, as `ListenerDoc::handshake`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<String>,
}

/// OAuth 2.0 client credentials for a receiver (the client secret is a secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthDoc {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// `header` or `body`.
    pub credentials_location: String,
    pub scope: Option<String>,
}

impl ReceiverDoc {
    /// A receiver with every default: what `receiverUrl` alone stands for.
    pub fn with_url(url: String) -> ReceiverDoc {
        ReceiverDoc {
            url,
            headers: BTreeMap::new(),
            events: None,
            format: "raw".into(),
            max_retry_count: None,
            signing_secret: None,
            authorization: None,
            oauth: None,
            rate_limit: None,
            forward_headers: Vec::new(),
            timeout: None,
            order_by: None,
            filter: None,
            transform: None,
        }
    }
}

fn rate_limit(r: Option<RateLimit>) -> Option<RateLimitDoc> {
    r.map(|r| RateLimitDoc {
        per_second: r.per_second,
        burst: Some(r.burst),
    })
}

impl From<&ListenerSpec> for ListenerDoc {
    fn from(s: &ListenerSpec) -> ListenerDoc {
        ListenerDoc {
            name: s.name.clone(),
            provider: s.provider.clone(),
            integration_account_id: s.account_id.clone(),
            workspace_id: s.workspace_id.clone(),
            integration_definition_id: s.integration_definition_id.clone(),
            enabled: s.enabled,
            api_support: s.api_support,
            allowed_ips: s.allowed_ips.iter().map(ToString::to_string).collect(),
            headers: s
                .required_headers
                .iter()
                .map(|(h, v)| (h.as_str().to_string(), v.expose().to_string()))
                .collect(),
            basic_auth: s.basic_auth.as_ref().map(|b| BasicAuthDoc {
                username: b.username.clone(),
                password: b.password.expose().to_string(),
            }),
            verify_secret: s.verify_secret.as_ref().map(|v| v.expose().to_string()),
            rate_limit: rate_limit(s.rate_limit),
            event_subscription: s.event_subscription.clone(),
            receivers: s
                .receivers
                .iter()
                .map(|r| ReceiverDoc::from(&**r))
                .collect(),
            handshake: (s.handshake != Handshake::preset_for(&s.provider))
                .then(|| s.handshake.name().to_string()),
            handshake_secret: s.handshake_secret.as_ref().map(|v| v.expose().to_string()),
            response: s.response.as_deref().map(ResponseDoc::from),
        }
    }
}

impl From<&ReceiverSpec> for ReceiverDoc {
    fn from(r: &ReceiverSpec) -> ReceiverDoc {
        ReceiverDoc {
            url: r.url.to_string(),
            headers: r
                .headers
                .iter()
                .map(|(h, v)| {
                    (
                        h.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            events: r.events.clone(),
            format: match r.format {
                Format::Raw => "raw",
                Format::Envelope => "envelope",
            }
            .into(),
            max_retry_count: r.max_retry_count,
            signing_secret: r.signing_secret.as_ref().map(|s| s.expose().to_string()),
            authorization: r.authorization.as_ref().map(|s| s.expose().to_string()),
            oauth: r.oauth.as_ref().map(|o| OAuthDoc {
                token_url: o.token_url.to_string(),
                client_id: o.client_id.clone(),
                client_secret: o.client_secret.expose().to_string(),
                credentials_location: match o.credentials_location {
                    CredentialsLocation::Header => "header",
                    CredentialsLocation::Body => "body",
                }
                .into(),
                scope: o.scope.clone(),
            }),
            rate_limit: rate_limit(r.rate_limit),
            forward_headers: r
                .forward_headers
                .iter()
                .map(|h| h.as_str().to_string())
                .collect(),
            timeout: r.timeout.map(|t| humantime::format_duration(t).to_string()),
            order_by: r.order_by.as_ref().map(ToString::to_string),
            filter: r.filter.as_ref().map(|p| p.source().to_string()),
            transform: r.transform.as_ref().map(|p| p.source().to_string()),
        }
    }
}

impl From<&CustomResponse> for ResponseDoc {
    fn from(r: &CustomResponse) -> ResponseDoc {
        let text = |v: &http::HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned();
        ResponseDoc {
            status: Some(r.status.into()),
            content_type: Some(text(&r.content_type)),
            body: Some(r.body.clone()),
            headers: (r.headers.iter())
                .map(|(k, v)| (k.as_str().to_string(), text(v)))
                .collect(),
        }
    }
}

/// A stable fingerprint of a listener's definition, to tell when a file listener changed.
/// Secrets are part of the definition, so they are hashed (never shown).
pub fn fingerprint(doc: &ListenerDoc) -> String {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_vec(doc).unwrap_or_default();
    hex::encode(Sha256::digest(&text))
}
