//! Turning one fixture file (SPEC section 8) into the request its provider would send: the
//! body, the fixture's headers, and the Basic auth, required headers and signature that the
//! config holds for its listener.

use crate::config::{Config, ListenerSpec};
use crate::http_util::Body;
use crate::signature::{self, Scheme};
use anyhow::{anyhow, bail};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, HeaderValue, Request};
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;
use std::time::UNIX_EPOCH;
use url::Url;

/// One fixture file (SPEC section 8); `description` is for people and is ignored.
#[derive(Deserialize)]
struct Fixture {
    provider: String,
    account_id: String,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
    body: Option<Value>,
    #[serde(rename = "rawBody")]
    raw_body: Option<String>,
    query: Option<String>,
}

/// A fixture file read: who it is for, its headers (without the credentials the config adds)
/// and its body bytes.
pub(crate) struct Loaded {
    pub provider: String,
    pub account_id: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub query: Option<String>,
}

/// Reads one fixture file; Err is the reason to print.
pub(crate) fn load(path: &Path) -> anyhow::Result<Loaded> {
    let bytes = std::fs::read(path).map_err(|e| anyhow!("cannot read the file: {e}"))?;
    let fx: Fixture = serde_json::from_slice(&bytes).map_err(|e| anyhow!("bad fixture: {e}"))?;
    // rawBody wins when both are there: it exists for when the exact bytes matter.
    let body = match (fx.raw_body, &fx.body) {
        (Some(raw), _) => raw.into_bytes(),
        (None, Some(body)) => serde_json::to_vec(body).map_err(|e| anyhow!("{e}"))?,
        (None, None) => bail!("neither \"body\" nor \"rawBody\" in the fixture"),
    };
    let mut headers = HeaderMap::new();
    for (name, value) in &fx.headers {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            _ => bail!("header {name:?} is not a string"),
        };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| anyhow!("{name:?} is not a valid header name"))?;
        headers.append(name.clone(), header_value(&name, &text)?);
    }
    // The body may be re-serialised, so a length copied from a captured request would be wrong.
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::TRANSFER_ENCODING);
    let query = (fx.query.as_deref())
        .map(|q| q.trim_start_matches('?').to_string())
        .filter(|q| !q.is_empty());
    Ok(Loaded {
        provider: fx.provider,
        account_id: fx.account_id,
        headers,
        body,
        query,
    })
}

/// Builds the request for one fixture file; Err is the reason printed on its ERR line.
pub(super) fn prepare(config: &Config, base: &Url, path: &Path) -> anyhow::Result<Request<Body>> {
    let fx = load(path)?;
    let (provider, account) = (fx.provider.as_str(), fx.account_id.as_str());
    let listener = config
        .listeners
        .iter()
        .find(|l| l.provider == provider && l.account_id == account)
        .ok_or_else(|| {
            let source = config.source.display();
            anyhow!("no listener for provider {provider:?}, account {account:?} in {source}")
        })?;
    // Url encodes each segment, and keeps a path prefix that --url may have.
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments
            .pop_if_empty()
            .extend(["api", "v1", "listener", provider, account]);
    }
    url.set_query(fx.query.as_deref());
    let mut req = Request::post(url.as_str());
    let headers = req
        .headers_mut()
        .ok_or_else(|| anyhow!("the URL is not valid"))?;
    *headers = fx.headers;
    add_credentials(config, listener, headers, &fx.body)?;
    req.body(Body::new(Bytes::from(fx.body)))
        .map_err(|e| anyhow!("cannot build the request: {e}"))
}

/// Adds what the gateway checks for this listener. Values set here replace the fixture's own.
fn add_credentials(
    config: &Config,
    listener: &ListenerSpec,
    headers: &mut HeaderMap,
    body: &[u8],
) -> anyhow::Result<()> {
    if !headers.contains_key(header::CONTENT_TYPE) {
        let json = HeaderValue::from_static("application/json");
        headers.insert(header::CONTENT_TYPE, json);
    }
    for (name, secret) in &listener.required_headers {
        headers.insert(name.clone(), header_value(name, secret.expose())?);
    }
    if let Some(auth) = &listener.basic_auth {
        let token = B64.encode(format!("{}:{}", auth.username, auth.password.expose()));
        let value = header_value(&header::AUTHORIZATION, &format!("Basic {token}"))?;
        headers.insert(header::AUTHORIZATION, value);
    }
    let spec = config.providers.get(&listener.provider);
    let (Some(secret), Some(spec)) = (&listener.verify_secret, spec) else {
        return Ok(());
    };
    if !spec.scheme.signs() {
        return Ok(());
    }
    let now = UNIX_EPOCH.elapsed().unwrap_or_default().as_secs() as i64;
    // Keep the fixture's own message id, so that replaying it again is a duplicate.
    let id = ["webhook-id", "svix-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .map(str::to_string)
        .unwrap_or_else(|| format!("msg_{}", uuid::Uuid::new_v4().simple()));
    let unusable =
        |e: signature::VerifyError| anyhow!("cannot sign with the listener's secret: {e}");
    let signed = if listener.provider == "guesty" && spec.scheme == Scheme::StandardWebhooks {
        // Guesty signs the Svix way. The gateway reads webhook-* before svix-*, so stale
        // webhook-* copies from the fixture would be checked instead of the fresh ones.
        headers.remove("webhook-timestamp");
        headers.remove("webhook-signature");
        let sig =
            signature::sign_standard_webhooks(secret.expose(), &id, now, body).map_err(unusable)?;
        let ts = now.to_string();
        vec![
            ("svix-id".into(), id),
            ("svix-timestamp".into(), ts),
            ("svix-signature".into(), sig),
        ]
    } else {
        signature::sign(&spec.scheme, secret.expose(), body, now, &id).map_err(unusable)?
    };
    for (name, value) in signed {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| anyhow!("{e}"))?;
        headers.insert(name.clone(), header_value(&name, &value)?);
    }
    Ok(())
}

/// The error never shows the value: it may be a secret.
fn header_value(name: &HeaderName, value: &str) -> anyhow::Result<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|_| anyhow!("header {name} has a value that cannot be sent"))
}
