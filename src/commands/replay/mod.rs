//! `hookgate replay`: POSTs fixture files (SPEC section 8) to a running gateway, adding the
//! Basic auth, required headers and provider signature that the config holds for each
//! fixture's listener, so a fixture passes the checks the way the real provider's request would.

mod answer;
pub(super) mod fixture;

use super::cli::ReplayArgs;
use super::AlreadyReported;
use crate::config::Config;
use crate::delivery::client::error_chain;
use crate::http_util::Body;
use answer::{failed, judge, Outcome};
use anyhow::{anyhow, bail};
use bytes::Bytes;
use fixture::prepare;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use url::Url;

/// Not the delivery client: that one refuses loopback, where a local gateway usually runs.
type ReplayClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>;

/// Per request, answer body included.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Runs this long print a progress bar (when stderr is a terminal).
const PROGRESS_OVER: usize = 20;

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
pub(super) fn collect(args: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
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
pub(super) fn display_name(path: &Path) -> String {
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
