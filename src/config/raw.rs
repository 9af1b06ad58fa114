//! The `listeners.toml` schema exactly as written, with source spans, before validation.

use serde::Deserialize;
use serde_spanned::Spanned;
use std::collections::BTreeMap;

/// A string with the byte range it came from, so errors can name line and column.
pub type Sp<T> = Spanned<T>;

/// A whole number as written, negative or huge included: the validator, not serde, says that
/// it is out of range, and names the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole(pub i128);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct WholeVisitor;
        impl serde::de::Visitor<'_> for WholeVisitor {
            type Value = Whole;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E>(self, n: i64) -> Result<Whole, E> {
                Ok(Whole(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Whole, E> {
                Ok(Whole(n.into()))
            }
            fn visit_i128<E>(self, n: i128) -> Result<Whole, E> {
                Ok(Whole(n))
            }
            fn visit_u128<E>(self, n: u128) -> Result<Whole, E> {
                Ok(Whole(i128::try_from(n).unwrap_or(i128::MAX)))
            }
        }
        d.deserialize_any(WholeVisitor)
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub store: RawStore,
    #[serde(default)]
    pub delivery: RawDelivery,
    #[serde(default)]
    pub admin: RawAdmin,
    #[serde(default)]
    pub provider: BTreeMap<String, Sp<RawProvider>>,
    #[serde(default)]
    pub listener: Vec<Sp<RawListener>>,
    #[serde(default)]
    pub system_webhook: Vec<Sp<RawSystemWebhook>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<Sp<String>>,
    pub admin_listen: Option<Sp<String>>,
    pub public_url: Option<Sp<String>>,
    pub max_body_bytes: Option<Sp<u64>>,
    pub max_connections: Option<Sp<Whole>>,
    pub header_timeout: Option<Sp<String>>,
    pub body_timeout: Option<Sp<String>>,
    pub idle_timeout: Option<Sp<String>>,
    pub max_header_bytes: Option<Sp<u64>>,
    #[serde(default)]
    pub trusted_proxies: Vec<Sp<String>>,
    pub tls: Option<Sp<RawTls>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    pub cert: Sp<String>,
    pub key: Sp<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    pub url: Option<Sp<String>>,
    pub retention: Option<Sp<String>>,
    /// Ingest requests that may wait for the writer before new ones get 503.
    pub queue_capacity: Option<Sp<Whole>>,
    /// PostgreSQL connections kept open at most.
    pub pool_size: Option<Sp<Whole>>,
    /// How long an instance holds a delivery it is attempting (PostgreSQL).
    pub lease: Option<Sp<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDelivery {
    pub timeout: Option<Sp<String>>,
    pub max_retry_count: Option<Sp<Whole>>,
    pub retry_schedule: Option<Vec<Sp<String>>>,
    #[serde(default)]
    pub allow_targets: Vec<Sp<String>>,
    /// Delivery attempts in flight at once, across all receivers.
    pub concurrency: Option<Sp<Whole>>,
    /// Attempts in flight at once to a single receiver.
    pub receiver_concurrency: Option<Sp<Whole>>,
    /// A receiver failing without a break for this long is paused.
    pub pause_after: Option<Sp<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    #[serde(default)]
    pub token: Vec<Sp<RawAdminToken>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdminToken {
    pub name: Sp<String>,
    pub secret: Sp<RawSecret>,
    #[serde(default)]
    pub scopes: Vec<Sp<String>>,
}

/// A secret as written: a literal, or a table that should be `{ env = "VAR" }` or
/// `{ file = "PATH" }`. The table is read whole so that the validator, not serde, names what is
/// wrong with it (both keys, another key, a value that is not a string).
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum RawSecret {
    Literal(String),
    Table(BTreeMap<String, toml::Value>),
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    pub event_type: Option<Sp<String>>,
    pub event_id: Option<Sp<String>>,
    pub verify: Option<Sp<String>>,
    pub signature_header: Option<Sp<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRateLimit {
    pub per_second: Sp<u32>,
    pub burst: Option<Sp<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBasicAuth {
    pub username: Sp<String>,
    pub password: Sp<RawSecret>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawListener {
    pub id: Sp<String>,
    pub name: Option<Sp<String>>,
    pub provider: Sp<String>,
    pub account_id: Sp<String>,
    pub workspace_id: Option<Sp<String>>,
    pub integration_definition_id: Option<Sp<String>>,
    pub enabled: Option<bool>,
    pub api_support: Option<bool>,
    #[serde(default)]
    pub allowed_ips: Vec<Sp<String>>,
    #[serde(default)]
    pub required_headers: BTreeMap<String, Sp<RawSecret>>,
    pub basic_auth: Option<Sp<RawBasicAuth>>,
    pub verify_secret: Option<Sp<RawSecret>>,
    pub rate_limit: Option<Sp<RawRateLimit>>,
    pub event_subscription: Option<BTreeMap<String, bool>>,
    #[serde(default)]
    pub receiver: Vec<Sp<RawReceiver>>,
    /// SPEC section 12: the provider handshake answered on this listener's URL.
    pub handshake: Option<Sp<String>>,
    pub handshake_secret: Option<Sp<RawSecret>>,
    /// SPEC section 12: the answer to accepted, filtered and duplicate events.
    pub response: Option<Sp<RawResponse>>,
}

/// A listener's custom answer as written.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    pub status: Option<Sp<Whole>>,
    pub content_type: Option<Sp<String>>,
    pub body: Option<Sp<String>>,
    #[serde(default)]
    pub headers: BTreeMap<String, Sp<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOAuth {
    pub token_url: Sp<String>,
    pub client_id: Sp<String>,
    pub client_secret: Sp<RawSecret>,
    pub credentials_location: Option<Sp<String>>,
    pub scope: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReceiver {
    pub url: Sp<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, Sp<String>>,
    pub authorization: Option<Sp<RawSecret>>,
    pub signing_secret: Option<Sp<RawSecret>>,
    pub max_retry_count: Option<Sp<Whole>>,
    pub rate_limit: Option<Sp<RawRateLimit>>,
    pub events: Option<Vec<String>>,
    pub format: Option<Sp<String>>,
    #[serde(default)]
    pub forward_headers: Vec<Sp<String>>,
    pub oauth: Option<Sp<RawOAuth>>,
    pub timeout: Option<Sp<String>>,
    /// `"*"` or a locator: deliveries with the same key go one after another.
    pub order_by: Option<Sp<String>>,
    /// SPEC section 13: jq programs.
    pub filter: Option<Sp<String>>,
    pub transform: Option<Sp<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSystemWebhook {
    pub url: Sp<String>,
    #[serde(default)]
    pub events: Vec<String>,
    pub signing_secret: Option<Sp<RawSecret>>,
    #[serde(default)]
    pub headers: BTreeMap<String, Sp<String>>,
}
