//! The `listeners.toml` schema exactly as written, with source spans, before validation.

use serde::Deserialize;
use serde_spanned::Spanned;
use std::collections::BTreeMap;

/// A string with the byte range it came from, so errors can name line and column.
pub type Sp<T> = Spanned<T>;

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
    pub max_connections: Option<Sp<u64>>,
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
    pub queue_capacity: Option<Sp<u64>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDelivery {
    pub timeout: Option<Sp<String>>,
    pub max_retry_count: Option<Sp<u32>>,
    pub retry_schedule: Option<Vec<Sp<String>>>,
    #[serde(default)]
    pub allow_targets: Vec<Sp<String>>,
    /// Delivery attempts in flight at once, across all receivers.
    pub concurrency: Option<Sp<u64>>,
    /// Attempts in flight at once to a single receiver.
    pub receiver_concurrency: Option<Sp<u64>>,
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

/// A secret as written: a literal, `{ env = "VAR" }` or `{ file = "PATH" }`.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum RawSecret {
    Literal(String),
    Env { env: String },
    File { file: String },
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
    pub per_second: u32,
    pub burst: Option<u32>,
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
    pub max_retry_count: Option<u32>,
    pub rate_limit: Option<Sp<RawRateLimit>>,
    pub events: Option<Vec<String>>,
    pub format: Option<Sp<String>>,
    #[serde(default)]
    pub forward_headers: Vec<Sp<String>>,
    pub oauth: Option<Sp<RawOAuth>>,
    pub timeout: Option<Sp<String>>,
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
