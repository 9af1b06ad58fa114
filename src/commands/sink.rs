//! `hookgate sink`: a receiver for trying hookgate out. It prints every delivery it gets,
//! verifies `webhook-signature` when given a secret, and can fail on purpose so that
//! retries can be watched.

use super::cli::SinkArgs;
use crate::http_util::{self, Body};
use crate::signature::{self, Scheme};
use anyhow::anyhow;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::json;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// Bodies are printed up to this many bytes.
const SHOWN_BYTES: usize = 4096;
/// Larger bodies are refused rather than held in memory.
const MAX_BODY_BYTES: usize = 16 << 20;

/// What every request handler shares.
struct Sink {
    secret: Option<String>,
    fail_first: u64,
    status: StatusCode,
    /// Requests seen so far, counting the one being handled.
    seen: AtomicU64,
}

/// Runs `hookgate sink` until Ctrl-C or SIGTERM.
pub fn run(args: SinkArgs) -> anyhow::Result<()> {
    let status = StatusCode::from_u16(args.status)
        .map_err(|_| anyhow!("--status {}: not an HTTP status code", args.status))?;
    if let Some(secret) = &args.secret {
        // A secret that is not base64 would mark every request INVALID: say so at once.
        signature::sign_standard_webhooks(secret, "probe", 0, b"")
            .map_err(|e| anyhow!("--secret: {e}"))?;
    }
    let sink = Arc::new(Sink {
        secret: args.secret,
        fail_first: args.fail_first,
        status,
        seen: AtomicU64::new(0),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow!("cannot start the async runtime: {e}"))?;
    runtime.block_on(serve(args.listen, sink))
}

async fn serve(addr: SocketAddr, sink: Arc<Sink>) -> anyhow::Result<()> {
    // Signal handlers go in before "listening" is printed, so a SIGTERM sent as soon as the
    // line appears still means a clean exit instead of the default kill.
    let stop = stop_signal()?;
    tokio::pin!(stop);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    emit(&format!("sink listening on {local}\n"));
    loop {
        let stream = tokio::select! {
            _ = &mut stop => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    eprintln!("sink: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let sink = sink.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let sink = sink.clone();
                async move { Ok::<_, Infallible>(handle(&sink, req).await) }
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Resolves on Ctrl-C or SIGTERM; the handlers are installed when this returns.
#[cfg(unix)]
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let install = |kind| signal(kind).map_err(|e| anyhow!("cannot handle signals: {e}"));
    let (mut int, mut term) = (
        install(SignalKind::interrupt())?,
        install(SignalKind::terminate())?,
    );
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
    })
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

async fn handle(sink: &Sink, req: Request<Incoming>) -> Response<Body> {
    let n = sink.seen.fetch_add(1, Ordering::SeqCst) + 1;
    let (parts, body) = req.into_parts();
    let now = SystemTime::now();
    let mut out = format!(
        "#{n} {} {} {} webhook-id={} event={} provider={} attempt={}\n",
        humantime::format_rfc3339_seconds(now),
        parts.method,
        parts.uri.path_and_query().map_or("/", |p| p.as_str()),
        shown(&parts.headers, "webhook-id"),
        shown(&parts.headers, "x-hookgate-event-type"),
        shown(&parts.headers, "x-hookgate-provider"),
        shown(&parts.headers, "x-hookgate-attempt"),
    );
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let _ = writeln!(out, "could not read the body: {e}\nanswered 413\n");
            emit(&out);
            return http_util::json(StatusCode::PAYLOAD_TOO_LARGE, &json!({"received": false}));
        }
    };
    let verdict = sink.secret.as_deref().map(|secret| {
        let now_unix = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
        signature::verify(
            &Scheme::StandardWebhooks,
            secret,
            &parts.headers,
            &body,
            now_unix,
        )
    });
    match &verdict {
        Some(Ok(())) => out.push_str("signature: ok\n"),
        Some(Err(e)) => {
            let _ = writeln!(out, "signature: INVALID ({e})");
        }
        None => {}
    }
    let (status, answer) = if n <= sink.fail_first {
        let _ = writeln!(out, "failing on purpose ({n} of {})", sink.fail_first);
        let answer = json!({"received": true, "failedOnPurpose": true});
        (StatusCode::SERVICE_UNAVAILABLE, answer)
    } else if matches!(verdict, Some(Err(_))) {
        let answer = json!({"received": false, "error": "invalid signature"});
        (StatusCode::UNAUTHORIZED, answer)
    } else {
        (sink.status, json!({"received": true}))
    };
    let _ = writeln!(out, "answered {}", status.as_u16());
    out.push_str(&show_body(&body));
    out.push('\n');
    emit(&out);
    http_util::json(status, &answer)
}

/// A header for the summary line, "-" when absent.
fn shown(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_else(|| "-".into())
}

/// The body, pretty-printed if it is JSON, cut at SHOWN_BYTES.
fn show_body(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty body)\n".into();
    }
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    if text.len() <= SHOWN_BYTES {
        return text + "\n";
    }
    let mut end = SHOWN_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let rest = text.len() - end;
    format!(
        "{}\n… (cut at 4 KiB: {rest} more bytes not shown)\n",
        &text[..end]
    )
}

/// Writes one block at once and flushes, so blocks from parallel requests do not interleave
/// and a pipe sees each request as it happens.
fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
