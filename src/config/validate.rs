//! Turns the raw file into a `Config`, collecting every problem with its location.

use super::errors::{Collector, Positions};
use super::locator::Locators;
use super::model::*;
use super::order::OrderBy;
use super::presets::{self, ProviderSpec};
use super::raw::*;
use super::secret::Secret;
use crate::netguard;
use crate::signature::Scheme;
use http::{HeaderName, HeaderValue};
use ipnet::IpNet;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod answers;
mod ranges;
mod rules;
mod secrets;

pub use ranges::MAX_RECEIVERS;
pub use secrets::{read_secret_file, MAX_SECRET_FILE_BYTES};

/// The default `[server] idle_timeout`.
const MINUTE: Duration = Duration::from_secs(60);

/// Admin token scopes (as in the 8x8 API).
pub const SCOPES: [&str; 4] = [
    "WEBHOOKS:VIEW",
    "WEBHOOKS:ADD",
    "WEBHOOKS:EDIT",
    "WEBHOOKS:REMOVE",
];

/// Validation state: the collector plus where relative paths are resolved.
pub struct Validator<'a> {
    pub errs: Collector<'a>,
    base_dir: PathBuf,
    pub warnings: Vec<String>,
}

impl<'a> Validator<'a> {
    pub fn new(source: &'a str, path: &Path) -> Self {
        let base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Validator {
            errs: Collector::new(source),
            base_dir,
            warnings: Vec::new(),
        }
    }

    /// A validator of values built from a JSON document, whose positions index `fields`
    /// (see `Positions::Fields`); relative secret files resolve from the working directory.
    pub fn for_fields(fields: &'a [String]) -> Self {
        Validator {
            errs: Collector::at(Positions::Fields(fields)),
            base_dir: PathBuf::from("."),
            warnings: Vec::new(),
        }
    }

    fn duration(&mut self, value: &Option<Sp<String>>, key: &str, default: Duration) -> Duration {
        match value {
            None => default,
            Some(v) => self.parse_duration(v, key).unwrap_or(default),
        }
    }

    /// A duration of at most 30 days.
    fn parse_duration(&mut self, v: &Sp<String>, key: &str) -> Option<Duration> {
        self.parse_duration_up_to(v, key, ranges::MAX_DURATION)
    }

    fn parse_duration_up_to(
        &mut self,
        v: &Sp<String>,
        key: &str,
        max: Duration,
    ) -> Option<Duration> {
        match humantime::parse_duration(v.get_ref()) {
            Ok(d) => self.within(v, key, d, max),
            Err(e) => {
                self.errs.push(
                    v.span(),
                    key,
                    format!(
                        "`{}` is not a duration like \"250ms\", \"5s\", \"2h\": {e}",
                        v.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn cidrs(&mut self, list: &[Sp<String>], key: &str) -> Vec<IpNet> {
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let text = item.get_ref().trim();
            let parsed = text
                .parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from));
            match parsed {
                Ok(net) => out.push(net.trunc()),
                Err(_) => self.errs.push(
                    item.span(),
                    format!("{key}[{i}]"),
                    format!("`{text}` is not a CIDR (like 203.0.113.0/24) or an IP address"),
                ),
            }
        }
        out
    }

    fn socket_addr(&mut self, v: &Option<Sp<String>>, key: &str, default: &str) -> SocketAddr {
        let fallback: SocketAddr = default.parse().expect("default address");
        match v {
            None => fallback,
            Some(v) => v.get_ref().parse().unwrap_or_else(|_| {
                self.errs.push(
                    v.span(),
                    key,
                    format!("`{}` is not an address like 0.0.0.0:8080", v.get_ref()),
                );
                fallback
            }),
        }
    }

    fn rate_limit(&mut self, v: &Option<Sp<RawRateLimit>>, key: &str) -> Option<RateLimit> {
        let r = v.as_ref()?.get_ref();
        let per_second = *r.per_second.get_ref();
        if per_second == 0 {
            self.errs.push(
                r.per_second.span(),
                format!("{key}.per_second"),
                "must be at least 1",
            );
            return None;
        }
        let burst = r.burst.as_ref().map_or(per_second, |b| *b.get_ref());
        if burst == 0 {
            let span = r.burst.as_ref().map(Sp::span).unwrap_or_default();
            self.errs
                .push(span, format!("{key}.burst"), "must be at least 1");
            return None;
        }
        Some(RateLimit { per_second, burst })
    }

    fn header_name(
        &mut self,
        name: &str,
        span: std::ops::Range<usize>,
        key: &str,
    ) -> Option<HeaderName> {
        match HeaderName::from_bytes(name.as_bytes()) {
            Ok(h) => Some(h),
            Err(_) => {
                self.errs
                    .push(span, key, format!("`{name}` is not a valid header name"));
                None
            }
        }
    }

    fn resolve_path(&self, p: &str) -> PathBuf {
        self.base_dir.join(p)
    }

    fn server(&mut self, raw: &RawServer) -> ServerSettings {
        let listen = self.socket_addr(&raw.listen, "server.listen", "0.0.0.0:8080");
        let admin_listen =
            Some(self.socket_addr(&raw.admin_listen, "server.admin_listen", "127.0.0.1:8081"));
        let public_url = match &raw.public_url {
            Some(u) => match url::Url::parse(u.get_ref()) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {
                    u.get_ref().trim_end_matches('/').to_string()
                }
                _ => {
                    self.errs.push(
                        u.span(),
                        "server.public_url",
                        format!("`{}` is not an http(s) URL", u.get_ref()),
                    );
                    String::new()
                }
            },
            None => format!("http://{listen}"),
        };
        let max_body_bytes = raw
            .max_body_bytes
            .as_ref()
            .map(|v| *v.get_ref())
            .unwrap_or(1_048_576);
        if max_body_bytes == 0 {
            let span = raw
                .max_body_bytes
                .as_ref()
                .map(|v| v.span())
                .unwrap_or(0..0);
            self.errs
                .push(span, "server.max_body_bytes", "must be at least 1");
        }
        let max_connections = self.number(
            &raw.max_connections,
            "server.max_connections",
            10_000,
            ranges::CONNECTIONS,
        ) as usize;
        let tls = raw.tls.as_ref().map(|t| {
            let t = t.get_ref();
            TlsPaths {
                cert: self.resolve_path(t.cert.get_ref()),
                key: self.resolve_path(t.key.get_ref()),
            }
        });
        ServerSettings {
            listen,
            admin_listen,
            public_url,
            max_body_bytes,
            max_connections,
            header_timeout: self.duration(
                &raw.header_timeout,
                "server.header_timeout",
                Duration::from_secs(10),
            ),
            body_timeout: self.duration(
                &raw.body_timeout,
                "server.body_timeout",
                Duration::from_secs(30),
            ),
            idle_timeout: self.duration(&raw.idle_timeout, "server.idle_timeout", MINUTE),
            max_header_bytes: raw
                .max_header_bytes
                .as_ref()
                .map_or(16_384, |v| *v.get_ref() as _),
            trusted_proxies: self.cidrs(&raw.trusted_proxies, "server.trusted_proxies"),
            tls,
        }
    }

    fn store(&mut self, raw: &RawStore) -> StoreSettings {
        let default_url = "sqlite://data/hookgate.db";
        let (path, url) = match &raw.url {
            None => (PathBuf::from("data/hookgate.db"), default_url.to_string()),
            Some(u) => match crate::store::StoreUrl::parse(u.get_ref()) {
                Ok(crate::store::StoreUrl::Sqlite(p)) => (p, u.get_ref().clone()),
                Ok(crate::store::StoreUrl::Postgres(_)) => (PathBuf::new(), u.get_ref().clone()),
                Err(e) => {
                    self.errs.push(
                        u.span(),
                        "store.url",
                        format!(
                            "`{}` is not a store URL like {default_url}: {e}",
                            u.get_ref()
                        ),
                    );
                    (PathBuf::new(), String::new())
                }
            },
        };
        StoreSettings {
            path,
            url,
            retention: raw
                .retention
                .as_ref()
                .and_then(|v| {
                    self.parse_duration_up_to(v, "store.retention", ranges::MAX_RETENTION)
                })
                .unwrap_or(Duration::from_secs(30 * 86_400)),
            queue_capacity: self.number(
                &raw.queue_capacity,
                "store.queue_capacity",
                8192,
                ranges::QUEUE_CAPACITY,
            ) as usize,
            pool_size: self.number(&raw.pool_size, "store.pool_size", 16, ranges::POOL_SIZE)
                as usize,
            lease: self.duration(&raw.lease, "store.lease", Duration::from_secs(30)),
        }
    }

    fn delivery(&mut self, raw: &RawDelivery) -> DeliverySettings {
        let default_schedule = ["5s", "30s", "2m", "10m", "30m", "1h", "3h", "6h"];
        let retry_schedule = match &raw.retry_schedule {
            None => default_schedule
                .iter()
                .map(|s| humantime::parse_duration(s).expect("default schedule"))
                .collect(),
            Some(list) if list.is_empty() => vec![Duration::from_secs(5)],
            Some(list) => list
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    self.parse_duration(s, &format!("delivery.retry_schedule[{i}]"))
                })
                .collect(),
        };
        DeliverySettings {
            timeout: self.duration(&raw.timeout, "delivery.timeout", Duration::from_secs(15)),
            max_retry_count: self.number(
                &raw.max_retry_count,
                "delivery.max_retry_count",
                8,
                ranges::RETRY_COUNT,
            ) as u32,
            retry_schedule,
            allow_targets: self.cidrs(&raw.allow_targets, "delivery.allow_targets"),
            concurrency: self.number(
                &raw.concurrency,
                "delivery.concurrency",
                256,
                ranges::CONCURRENCY,
            ) as usize,
            pause_after: self.duration(
                &raw.pause_after,
                "delivery.pause_after",
                Duration::from_secs(5 * 86_400),
            ),
            receiver_concurrency: self.number(
                &raw.receiver_concurrency,
                "delivery.receiver_concurrency",
                32,
                ranges::CONCURRENCY,
            ) as usize,
        }
    }

    fn admin_tokens(&mut self, raw: &RawAdmin) -> Vec<AdminToken> {
        let mut out = Vec::new();
        for (i, t) in raw.token.iter().enumerate() {
            let key = format!("admin.token[{i}]");
            let tok = t.get_ref();
            for s in &tok.scopes {
                if !SCOPES.contains(&s.get_ref().as_str()) {
                    self.errs.push(
                        s.span(),
                        format!("{key}.scopes"),
                        format!(
                            "unknown scope `{}`; known: {}",
                            s.get_ref(),
                            SCOPES.join(", ")
                        ),
                    );
                }
            }
            if let Some(secret) = self.secret(&tok.secret, &format!("{key}.secret")) {
                out.push(AdminToken {
                    name: tok.name.get_ref().clone(),
                    secret,
                    scopes: tok.scopes.iter().map(|s| s.get_ref().clone()).collect(),
                });
            }
        }
        out
    }

    fn providers(
        &mut self,
        raw: &BTreeMap<String, Sp<RawProvider>>,
    ) -> BTreeMap<String, Arc<ProviderSpec>> {
        let mut map: BTreeMap<String, ProviderSpec> = presets::builtin()
            .into_iter()
            .map(|p| (p.name.clone(), p))
            .collect();
        for (name, table) in raw {
            let key = format!("provider.{name}");
            let p = table.get_ref();
            let base = map.get(name).cloned();
            let event_type = match (&p.event_type, &base) {
                (Some(v), _) => self.locators(v, &format!("{key}.event_type")),
                (None, Some(b)) => Some(b.event_type.clone()),
                (None, None) => {
                    self.errs.push(
                        table.span(),
                        format!("{key}.event_type"),
                        "a new provider needs `event_type`",
                    );
                    None
                }
            };
            let event_id = match (&p.event_id, &base) {
                (Some(v), _) if v.get_ref().is_empty() => None,
                (Some(v), _) => self.locators(v, &format!("{key}.event_id")),
                (None, Some(b)) => b.event_id.clone(),
                (None, None) => None,
            };
            let header = p.signature_header.as_ref().map(|h| h.get_ref().as_str());
            let scheme = match (&p.verify, &base) {
                (Some(v), _) => match Scheme::parse(v.get_ref(), header) {
                    Ok(s) => s,
                    Err(e) => {
                        self.errs.push(v.span(), format!("{key}.verify"), e);
                        Scheme::None
                    }
                },
                (None, Some(b)) => match (&b.scheme, header) {
                    (Scheme::HmacSha256 { .. }, Some(h)) => Scheme::HmacSha256 {
                        header: h.to_string(),
                    },
                    (s, _) => s.clone(),
                },
                (None, None) => Scheme::None,
            };
            if let Some(event_type) = event_type {
                map.insert(
                    name.clone(),
                    ProviderSpec {
                        name: name.clone(),
                        event_type,
                        event_id,
                        scheme,
                    },
                );
            }
        }
        map.into_iter().map(|(k, v)| (k, Arc::new(v))).collect()
    }

    fn locators(&mut self, v: &Sp<String>, key: &str) -> Option<Locators> {
        match Locators::parse(v.get_ref()) {
            Ok(l) => Some(l),
            Err(e) => {
                self.errs.push(v.span(), key, e.to_string());
                None
            }
        }
    }

    fn url(&mut self, v: &Sp<String>, key: &str, allow_targets: &[IpNet]) -> Option<url::Url> {
        let parsed = match url::Url::parse(v.get_ref()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
            Ok(_) => {
                self.errs.push(
                    v.span(),
                    key,
                    format!("`{}` is not an http(s) URL", v.get_ref()),
                );
                return None;
            }
            Err(e) => {
                self.errs.push(
                    v.span(),
                    key,
                    format!("`{}` is not a URL: {e}", v.get_ref()),
                );
                return None;
            }
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            // The URL is not repeated: its user info may be a password.
            self.errs.push(
                v.span(),
                key,
                "a URL with user info (user:password@) is refused; send credentials with `authorization` or `oauth`",
            );
            return None;
        }
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal {
            if let Some(reason) = netguard::forbidden_reason(ip, allow_targets) {
                self.errs.push(
                    v.span(),
                    key,
                    format!("{ip} is a {reason} address; add it to delivery.allow_targets to deliver there"),
                );
                return None;
            }
        }
        Some(parsed)
    }

    fn receiver_headers(&mut self, r: &RawReceiver, key: &str) -> Vec<(HeaderName, HeaderValue)> {
        let mut headers = Vec::new();
        for (name, value) in &r.headers {
            let hkey = format!("{key}.headers.{name}");
            let Some(hn) = self.header_name(name, value.span(), &hkey) else {
                continue;
            };
            match HeaderValue::from_str(value.get_ref()) {
                Ok(hv) => headers.push((hn, hv)),
                Err(_) => self
                    .errs
                    .push(value.span(), hkey, "not a valid header value"),
            }
        }
        headers
    }

    pub fn receiver(
        &mut self,
        raw: &Sp<RawReceiver>,
        key: &str,
        allow_targets: &[IpNet],
    ) -> Option<ReceiverSpec> {
        let r = raw.get_ref();
        let url = self.url(&r.url, &format!("{key}.url"), allow_targets);
        let headers = self.receiver_headers(r, key);
        let authorization = r
            .authorization
            .as_ref()
            .and_then(|s| self.secret(s, &format!("{key}.authorization")));
        let signing = r.signing_secret.as_ref().and_then(|s| {
            let secret = self.secret(s, &format!("{key}.signing_secret"))?;
            match crate::signature::Signer::new(secret.expose()) {
                Ok(signer) => Some((secret, signer)),
                Err(e) => {
                    self.errs.push(
                        s.span(),
                        format!("{key}.signing_secret"),
                        format!("{e} (expected whsec_ followed by base64)"),
                    );
                    None
                }
            }
        });
        let (signing_secret, signer) = signing.unzip();
        let format = match r.format.as_ref().map(|f| (f.get_ref().as_str(), f.span())) {
            None | Some(("raw", _)) => Format::Raw,
            Some(("envelope", _)) => Format::Envelope,
            Some((other, span)) => {
                self.errs.push(
                    span,
                    format!("{key}.format"),
                    format!("`{other}` is not raw or envelope"),
                );
                Format::Raw
            }
        };
        let forward_headers = r
            .forward_headers
            .iter()
            .filter_map(|h| {
                self.header_name(h.get_ref(), h.span(), &format!("{key}.forward_headers"))
            })
            .collect();
        let oauth = r
            .oauth
            .as_ref()
            .and_then(|o| self.oauth(o, &format!("{key}.oauth"), allow_targets));
        let timeout = r
            .timeout
            .as_ref()
            .and_then(|t| self.parse_duration(t, &format!("{key}.timeout")));
        let rate_limit = self.rate_limit(&r.rate_limit, &format!("{key}.rate_limit"));
        let order_by = self.order_by(r, key);
        let max_retry_count = r.max_retry_count.as_ref().map(|_| {
            let key = format!("{key}.max_retry_count");
            self.number(&r.max_retry_count, &key, 0, ranges::RETRY_COUNT) as u32
        });
        let filter = self.program(&r.filter, &format!("{key}.filter"));
        let transform = self.program(&r.transform, &format!("{key}.transform"));
        Some(ReceiverSpec {
            filter,
            transform,
            url: url?,
            headers,
            authorization,
            signing_secret,
            signer,
            max_retry_count,
            rate_limit,
            events: r.events.clone(),
            format,
            forward_headers,
            oauth,
            timeout,
            order_by,
        })
    }

    /// A receiver's `order_by`: `"*"` or a locator.
    fn order_by(&mut self, r: &RawReceiver, key: &str) -> Option<OrderBy> {
        let v = r.order_by.as_ref()?;
        match OrderBy::parse(v.get_ref()) {
            Ok(order) => Some(order),
            Err(e) => {
                let message = format!("{e}, or \"*\" for one queue for the receiver");
                self.errs.push(v.span(), format!("{key}.order_by"), message);
                None
            }
        }
    }

    /// A receiver's OAuth settings; the token URL gets the receiver URL's checks, as hookgate
    /// connects to it on the receiver's behalf.
    fn oauth(
        &mut self,
        raw: &Sp<RawOAuth>,
        key: &str,
        allow_targets: &[IpNet],
    ) -> Option<OAuthSpec> {
        let o = raw.get_ref();
        let token_url = self.url(&o.token_url, &format!("{key}.token_url"), allow_targets);
        let credentials_location = match o
            .credentials_location
            .as_ref()
            .map(|c| (c.get_ref().as_str(), c.span()))
        {
            None | Some(("header", _)) => CredentialsLocation::Header,
            Some(("body", _)) => CredentialsLocation::Body,
            Some((other, span)) => {
                self.errs.push(
                    span,
                    format!("{key}.credentials_location"),
                    format!("`{other}` is not header or body"),
                );
                CredentialsLocation::Header
            }
        };
        let client_secret = self.secret(&o.client_secret, &format!("{key}.client_secret"));
        Some(OAuthSpec {
            token_url: token_url?,
            client_id: o.client_id.get_ref().clone(),
            client_secret: client_secret?,
            credentials_location,
            scope: o.scope.clone(),
        })
    }

    /// The listener's provider, checking it and the listener's `id` and `account_id`.
    fn listener_provider<'p>(
        &mut self,
        l: &RawListener,
        key: &str,
        providers: &'p BTreeMap<String, Arc<ProviderSpec>>,
    ) -> Option<&'p Arc<ProviderSpec>> {
        let provider = providers.get(l.provider.get_ref());
        if provider.is_none() {
            let known: Vec<&str> = providers.keys().map(String::as_str).collect();
            self.errs.push(
                l.provider.span(),
                format!("{key}.provider"),
                format!(
                    "unknown provider `{}`; known: {} (or add a [provider.X] table)",
                    l.provider.get_ref(),
                    known.join(", ")
                ),
            );
        }
        for (field, value) in [("id", &l.id), ("account_id", &l.account_id)] {
            let v = value.get_ref();
            if v.is_empty() || v.contains('/') || v.chars().any(char::is_whitespace) {
                self.errs.push(
                    value.span(),
                    format!("{key}.{field}"),
                    "must be non-empty, without '/' or spaces",
                );
            }
        }
        provider
    }

    fn required_headers(&mut self, l: &RawListener, key: &str) -> Vec<(HeaderName, Secret)> {
        let mut out = Vec::new();
        for (name, value) in &l.required_headers {
            let hkey = format!("{key}.required_headers.{name}");
            let hn = self.header_name(name, value.span(), &hkey);
            let secret = self.secret(value, &hkey);
            if let (Some(hn), Some(secret)) = (hn, secret) {
                out.push((hn, secret));
            }
        }
        out
    }

    /// The `verify_secret`, checked for the provider's scheme; a signing provider without one
    /// is a warning.
    fn verify_secret(
        &mut self,
        l: &RawListener,
        key: &str,
        provider: Option<&Arc<ProviderSpec>>,
    ) -> Option<Secret> {
        let raw = l.verify_secret.as_ref();
        let secret = raw.and_then(|s| self.secret(s, &format!("{key}.verify_secret")));
        if let (Some(p), Some(secret), Some(raw)) = (provider, &secret, raw) {
            if p.scheme == Scheme::StandardWebhooks {
                if let Err(e) =
                    crate::signature::sign_standard_webhooks(secret.expose(), "probe", 0, b"")
                {
                    self.errs
                        .push(raw.span(), format!("{key}.verify_secret"), e.to_string());
                }
            }
        }
        if let Some(p) = provider.filter(|p| p.scheme.signs() && secret.is_none()) {
            self.warnings.push(format!(
                "{key} ({}): provider `{}` signs its webhooks ({}) but no verify_secret is set; unsigned requests will be accepted",
                l.id.get_ref(),
                p.name,
                p.scheme.name()
            ));
        }
        secret
    }

    fn listener_receivers(
        &mut self,
        l: &RawListener,
        key: &str,
        allow_targets: &[IpNet],
    ) -> Vec<Arc<ReceiverSpec>> {
        let mut receivers = Vec::new();
        let mut urls = HashSet::new();
        if let Some(extra) = l.receiver.get(MAX_RECEIVERS) {
            self.errs.push(
                extra.span(),
                format!("{key}.receiver[{MAX_RECEIVERS}]"),
                format!(
                    "{} receivers is out of range: a listener has from 0 to {MAX_RECEIVERS}",
                    l.receiver.len()
                ),
            );
        }
        for (i, r) in l.receiver.iter().enumerate() {
            let rkey = format!("{key}.receiver[{i}]");
            if !urls.insert(r.get_ref().url.get_ref().clone()) {
                self.errs.push(
                    r.get_ref().url.span(),
                    format!("{rkey}.url"),
                    "the same URL twice in one listener",
                );
            }
            if let Some(spec) = self.receiver(r, &rkey, allow_targets) {
                receivers.push(Arc::new(spec));
            }
        }
        receivers
    }

    /// Validates one `[[listener]]` (also used for listeners made through the management API).
    pub fn listener(
        &mut self,
        raw: &Sp<RawListener>,
        key: &str,
        providers: &BTreeMap<String, Arc<ProviderSpec>>,
        delivery: &DeliverySettings,
    ) -> Option<ListenerSpec> {
        let l = raw.get_ref();
        let provider = self.listener_provider(l, key, providers);
        let allowed_ips = self.cidrs(&l.allowed_ips, &format!("{key}.allowed_ips"));
        let required_headers = self.required_headers(l, key);
        let basic_auth = l.basic_auth.as_ref().and_then(|b| {
            let b = b.get_ref();
            if b.username.get_ref().is_empty() {
                self.errs.push(
                    b.username.span(),
                    format!("{key}.basic_auth.username"),
                    "must not be empty",
                );
            }
            let password = self.secret(&b.password, &format!("{key}.basic_auth.password"))?;
            Some(BasicAuth {
                username: b.username.get_ref().clone(),
                password,
            })
        });
        let verify_secret = self.verify_secret(l, key, provider);
        let rate_limit = self.rate_limit(&l.rate_limit, &format!("{key}.rate_limit"));
        let receivers = self.listener_receivers(l, key, &delivery.allow_targets);
        let (handshake, handshake_secret) = self.handshake(raw, key);
        let response = (l.response.as_ref())
            .and_then(|r| self.response(r, &format!("{key}.response")))
            .map(Arc::new);
        let text = |v: &Option<Sp<String>>| v.as_ref().map(|v| v.get_ref().clone());
        Some(ListenerSpec {
            id: l.id.get_ref().clone(),
            name: text(&l.name).unwrap_or_else(|| l.id.get_ref().clone()),
            provider: l.provider.get_ref().clone(),
            account_id: l.account_id.get_ref().clone(),
            workspace_id: text(&l.workspace_id),
            integration_definition_id: text(&l.integration_definition_id),
            enabled: l.enabled.unwrap_or(true),
            api_support: l.api_support.unwrap_or(false),
            allowed_ips,
            required_headers,
            basic_auth,
            verify_secret,
            rate_limit,
            event_subscription: l.event_subscription.clone(),
            receivers,
            handshake,
            handshake_secret,
            response,
        })
    }

    /// Validates the whole file.
    pub fn config(&mut self, raw: &RawConfig, path: &Path) -> Config {
        let server = self.server(&raw.server);
        let store = self.store(&raw.store);
        let delivery = self.delivery(&raw.delivery);
        let admin_tokens = self.admin_tokens(&raw.admin);
        let providers = self.providers(&raw.provider);
        let mut listeners = Vec::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut pairs: HashMap<(String, String), usize> = HashMap::new();
        for (i, l) in raw.listener.iter().enumerate() {
            let key = format!("listener[{i}]");
            let r = l.get_ref();
            if let Some(first) = ids.insert(r.id.get_ref().clone(), i) {
                self.errs.push(
                    r.id.span(),
                    format!("{key}.id"),
                    format!(
                        "id `{}` is already used by listener[{first}]",
                        r.id.get_ref()
                    ),
                );
            }
            let pair = (r.provider.get_ref().clone(), r.account_id.get_ref().clone());
            if let Some(first) = pairs.insert(pair, i) {
                self.errs.push(
                    r.account_id.span(),
                    format!("{key}.account_id"),
                    format!(
                        "({}, {}) is already used by listener[{first}]",
                        r.provider.get_ref(),
                        r.account_id.get_ref()
                    ),
                );
            }
            if let Some(spec) = self.listener(l, &key, &providers, &delivery) {
                listeners.push(Arc::new(spec));
            }
        }
        let mut system_webhooks = Vec::new();
        for (i, s) in raw.system_webhook.iter().enumerate() {
            let key = format!("system_webhook[{i}]");
            let sw = s.get_ref();
            let as_receiver = RawReceiver {
                url: sw.url.clone(),
                headers: sw.headers.clone(),
                authorization: None,
                signing_secret: sw.signing_secret.clone(),
                max_retry_count: None,
                rate_limit: None,
                events: (!sw.events.is_empty()).then(|| sw.events.clone()),
                format: None,
                forward_headers: Vec::new(),
                oauth: None,
                timeout: None,
                order_by: None,
                filter: None,
                transform: None,
            };
            let spanned = Sp::new(s.span(), as_receiver);
            if let Some(receiver) = self.receiver(&spanned, &key, &delivery.allow_targets) {
                system_webhooks.push(SystemWebhookSpec {
                    receiver: Arc::new(receiver),
                });
            }
        }
        Config {
            source: path.to_path_buf(),
            server,
            store,
            delivery,
            admin_tokens,
            providers,
            listeners,
            system_webhooks,
            warnings: std::mem::take(&mut self.warnings),
        }
    }
}

/// The file path of a `sqlite://PATH` URL (`sqlite:PATH` and a bare path also work).
pub fn store_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if rest.is_empty() || rest.contains("://") {
        None
    } else {
        Some(PathBuf::from(rest))
    }
}
