//! The validated configuration the rest of hookgate runs on.

pub use super::answers::{CustomResponse, Handshake};
use super::presets::ProviderSpec;
use super::secret::Secret;
use http::{HeaderName, HeaderValue};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Everything `listeners.toml` says, checked and with secrets resolved.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub source: PathBuf,
    pub server: ServerSettings,
    pub store: StoreSettings,
    pub delivery: DeliverySettings,
    pub admin_tokens: Vec<AdminToken>,
    /// Built-in presets with the file's `[provider.X]` tables applied.
    pub providers: BTreeMap<String, Arc<ProviderSpec>>,
    pub listeners: Vec<Arc<ListenerSpec>>,
    pub system_webhooks: Vec<SystemWebhookSpec>,
    /// Problems that do not stop the gateway (e.g. a signing provider without a secret).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    pub admin_listen: Option<SocketAddr>,
    /// Base of the rendered `listenerUrl`; defaults to `http://<listen>`.
    pub public_url: String,
    pub max_body_bytes: u64,
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    /// An HTTP/1 connection between requests, or HTTP/2 without open streams, closes after this.
    pub idle_timeout: Duration,
    /// The largest request head (request line and headers) taken.
    pub max_header_bytes: usize,
    pub trusted_proxies: Vec<IpNet>,
    pub tls: Option<TlsPaths>,
}

#[derive(Debug, Clone)]
pub struct TlsPaths {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// The SQLite database file (empty for a PostgreSQL store).
    pub path: PathBuf,
    /// The store URL as written (`sqlite://…`, `postgres://…`): what `Store::connect` opens.
    pub url: String,
    pub retention: Duration,
    pub queue_capacity: usize,
    /// PostgreSQL connections kept open at most.
    pub pool_size: usize,
    /// How long an instance holds a delivery it is attempting (PostgreSQL).
    pub lease: Duration,
}

#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub timeout: Duration,
    pub max_retry_count: u32,
    pub retry_schedule: Vec<Duration>,
    pub allow_targets: Vec<IpNet>,
    pub concurrency: usize,
    pub receiver_concurrency: usize,
    /// A receiver whose attempts have all failed for this long is paused until resumed.
    pub pause_after: Duration,
}

#[derive(Debug, Clone)]
pub struct AdminToken {
    pub name: String,
    pub secret: Secret,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub username: String,
    pub password: Secret,
}

/// One integration account's listener URL and everything that happens to its events.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerSpec {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub account_id: String,
    pub workspace_id: Option<String>,
    pub integration_definition_id: Option<String>,
    pub enabled: bool,
    pub api_support: bool,
    pub allowed_ips: Vec<IpNet>,
    pub required_headers: Vec<(HeaderName, Secret)>,
    pub basic_auth: Option<BasicAuth>,
    pub verify_secret: Option<Secret>,
    pub rate_limit: Option<RateLimit>,
    pub event_subscription: Option<BTreeMap<String, bool>>,
    pub receivers: Vec<Arc<ReceiverSpec>>,
    /// The handshake answered (the provider's preset unless set).
    pub handshake: Handshake,
    pub handshake_secret: Option<Secret>,
    /// Replaces the JSON answer to accepted, filtered and duplicate events.
    pub response: Option<Arc<CustomResponse>>,
}

impl ListenerSpec {
    /// SPEC section 2: relayed when the type maps to true, or is absent and `*` maps to true;
    /// no map at all relays everything.
    pub fn subscribes(&self, event_type: Option<&str>) -> bool {
        let Some(map) = &self.event_subscription else {
            return true;
        };
        match event_type.and_then(|t| map.get(t)) {
            Some(on) => *on,
            None => map.get("*").copied().unwrap_or(false),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Raw,
    Envelope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsLocation {
    Header,
    Body,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OAuthSpec {
    pub token_url: url::Url,
    pub client_id: String,
    pub client_secret: Secret,
    pub credentials_location: CredentialsLocation,
    pub scope: Option<String>,
}

/// One place events of a listener are relayed to.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiverSpec {
    pub url: url::Url,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub authorization: Option<Secret>,
    pub signing_secret: Option<Secret>,
    /// `signing_secret` keyed once, to sign each attempt with.
    pub signer: Option<crate::signature::Signer>,
    pub max_retry_count: Option<u32>,
    pub rate_limit: Option<RateLimit>,
    pub events: Option<Vec<String>>,
    pub format: Format,
    pub forward_headers: Vec<HeaderName>,
    pub oauth: Option<OAuthSpec>,
    pub timeout: Option<Duration>,
    /// Deliveries with the same key are attempted one after another, in acceptance order.
    pub order_by: Option<super::OrderBy>,
    /// Events for which this program does not yield `true` get no delivery here.
    pub filter: Option<crate::rules::JqProgram>,
    /// Builds the body sent here from the stored body, at each attempt.
    pub transform: Option<crate::rules::JqProgram>,
}

impl ReceiverSpec {
    /// Whether this receiver takes events of `event_type` (its `events` list, if any).
    pub fn wants(&self, event_type: Option<&str>) -> bool {
        match &self.events {
            None => true,
            Some(list) => event_type.is_some_and(|t| list.iter().any(|e| e == t || e == "*")),
        }
    }
}

/// A receiver of hookgate's own events (SPEC section 6).
#[derive(Debug, Clone, PartialEq)]
pub struct SystemWebhookSpec {
    pub receiver: Arc<ReceiverSpec>,
}
