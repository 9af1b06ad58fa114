//! `hookgate replay`: POSTs fixture files (SPEC section 8) to a running gateway, adding the
//! Basic auth, required headers and provider signature that the config holds for each
//! fixture's listener, so a fixture passes the checks the way the real provider's request would.

use super::cli::ReplayArgs;
use super::AlreadyReported;
use crate::config::{Config, ListenerSpec};
use crate::delivery::client::error_chain;
use crate::http_util::Body;
use crate::signature::{self, Scheme};
use anyhow::{anyhow, bail};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use serde_json::Value;
use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use tokio::sync::Semaphore;
use url::Url;

/// Not the delivery client: that one refuses loopback, where a local gateway usually runs.
type ReplayClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>;

/// Per request, answer body included.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Runs this long print a progress bar (when stderr is a terminal).
const PROGRESS_OVER: usize = 20;

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

/// The summary column one fixture is counted in.
#[derive(Clone, Copy)]
enum Kind {
    Accepted,
    Filtered,
    Duplicate,
    Failed,
}

/// How one fixture went: its column, what comes before its name ("200 accepted", "ERR") and
/// what comes after.
struct Outcome(Kind, String, String);

fn failed(detail: impl Into<String>) -> Outcome {
    Outcome(Kind::Failed, "ERR".into(), detail.into())
}

/// Runs `hookgate replay`; `AlreadyReported` after printing when any fixture failed.
pub fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let config = crate::config::load(&crate::config::default_path(args.config))?;
    let files = collect(&args.fixtures)?;
    if files.is_empty() {
        bail!("no fixture files (*.json) found");
    }
    let base = args.url.unwrap_or_else(|| default_base(&config));
    // Catch a mistyped --url once instead of once per fixture.
    let base = match Url::parse(&base) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && !url.cannot_be_a_base() => url,
        _ => bail!("--url {base}: not an http(s) URL"),
    };
    // One thread: tasks first run in spawn order there, which replay_all relies on.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow!("cannot start the async runtime: {e}"))?;
    let concurrency = args.concurrency.max(1);
    runtime.block_on(replay_all(Arc::new(config), base, files, concurrency))
}

async fn replay_all(
    config: Arc<Config>,
    base: Url,
    files: Vec<PathBuf>,
    concurrency: usize,
) -> anyhow::Result<()> {
    let (client, base) = (client()?, Arc::new(base));
    // Tasks queue on a fair semaphore in spawn order, so requests start in fixture order; awaiting
    // them in that order prints the lines in that order, whatever order the answers come in.
    let permits = Arc::new(Semaphore::new(concurrency));
    let tasks: Vec<_> = (files.iter().cloned())
        .map(|path| {
            let (client, config, base) = (client.clone(), config.clone(), base.clone());
            let permits = permits.clone();
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                replay_one(&client, &config, &base, &path).await
            })
        })
        .collect();
    let (bar, mut counts) = (progress(files.len()), [0usize; 4]);
    for (path, task) in files.iter().zip(tasks) {
        let outcome = task
            .await
            .unwrap_or_else(|e| failed(format!("internal error: {e}")));
        let Outcome(kind, head, detail) = outcome;
        let line = format!("{head}  {}  {detail}", display_name(path));
        match &bar {
            Some(bar) => bar.suspend(|| println!("{}", line.trim_end())),
            None => println!("{}", line.trim_end()),
        }
        counts[kind as usize] += 1;
        bar.iter().for_each(|b| b.inc(1));
    }
    bar.iter().for_each(ProgressBar::finish_and_clear);
    let [accepted, filtered, duplicate, failed] = counts;
    println!(
        "{} fixtures: {accepted} accepted, {filtered} filtered, {duplicate} duplicate, {failed} failed",
        files.len()
    );
    match failed {
        0 => Ok(()),
        _ => Err(AlreadyReported.into()),
    }
}

async fn replay_one(client: &ReplayClient, config: &Config, base: &Url, path: &Path) -> Outcome {
    let request = match prepare(config, base, path) {
        Ok(request) => request,
        Err(e) => return failed(format!("{e:#}")),
    };
    match tokio::time::timeout(TIMEOUT, send(client, request)).await {
        Err(_) => failed(format!("no answer within {} s", TIMEOUT.as_secs())),
        Ok(Err(e)) => failed(format!("{e:#}")),
        Ok(Ok((status, body))) => judge(status, &body),
    }
}

async fn send(client: &ReplayClient, req: Request<Body>) -> anyhow::Result<(StatusCode, Bytes)> {
    let resp = client
        .request(req)
        .await
        .map_err(|e| anyhow!(error_chain(&e)))?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| anyhow!(error_chain(&e)))?;
    Ok((status, body.to_bytes()))
}

/// Reads the gateway's answer (SPEC section 3) into a line.
fn judge(status: StatusCode, body: &[u8]) -> Outcome {
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

/// Builds the request for one fixture file; Err is the reason printed on its ERR line.
fn prepare(config: &Config, base: &Url, path: &Path) -> anyhow::Result<Request<Body>> {
    let bytes = std::fs::read(path).map_err(|e| anyhow!("cannot read the file: {e}"))?;
    let fx: Fixture = serde_json::from_slice(&bytes).map_err(|e| anyhow!("bad fixture: {e}"))?;
    // rawBody wins when both are there: it exists for when the exact bytes matter.
    let body = match (fx.raw_body, &fx.body) {
        (Some(raw), _) => raw.into_bytes(),
        (None, Some(body)) => serde_json::to_vec(body).map_err(|e| anyhow!("{e}"))?,
        (None, None) => bail!("neither \"body\" nor \"rawBody\" in the fixture"),
    };
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
    url.set_query(
        fx.query
            .as_deref()
            .map(|q| q.trim_start_matches('?'))
            .filter(|q| !q.is_empty()),
    );
    let mut req = Request::post(url.as_str());
    let headers = req
        .headers_mut()
        .ok_or_else(|| anyhow!("the URL is not valid"))?;
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
    add_credentials(config, listener, headers, &body)?;
    req.body(Body::new(Bytes::from(body)))
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

/// The gateway this config runs: its listen address, reachable from this machine.
fn default_base(config: &Config) -> String {
    let mut addr = config.server.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    let scheme = config.server.tls.as_ref().map_or("http", |_| "https");
    format!("{scheme}://{addr}")
}

fn client() -> anyhow::Result<ReplayClient> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

/// Fixture files in argument order; a folder's *.json files recursively, sorted by path.
fn collect(args: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for arg in args {
        if !arg.exists() {
            bail!("{}: no such file or folder", arg.display());
        }
        let start = files.len();
        walk(arg, true, &mut files)?;
        files[start..].sort();
    }
    Ok(files)
}

/// A file named on the command line is taken whatever its name; in folders only *.json.
fn walk(path: &Path, named: bool, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if !path.is_dir() {
        if named || path.extension().is_some_and(|ext| ext == "json") {
            out.push(path.to_path_buf());
        }
        return Ok(());
    }
    let error = |e: std::io::Error| anyhow!("{}: {e}", path.display());
    for entry in std::fs::read_dir(path).map_err(error)? {
        walk(&entry.map_err(error)?.path(), false, out)?;
    }
    Ok(())
}

/// `provider/name.json`: the part of the path that tells fixtures apart.
fn display_name(path: &Path) -> String {
    let parts: Vec<_> = path.iter().map(|p| p.to_string_lossy()).collect();
    parts[parts.len().saturating_sub(2)..].join("/")
}

fn progress(total: usize) -> Option<ProgressBar> {
    (total > PROGRESS_OVER && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(total as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} fixtures {elapsed}") {
            bar.set_style(style);
        }
        bar
    })
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
