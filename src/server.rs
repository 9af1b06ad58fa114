//! The accept loop: TLS, a cap on open connections, header timeouts, graceful shutdown.

use crate::http_util::Body;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// Limits that protect the server from slow or greedy clients.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// Open connections beyond this wait in the kernel's accept queue.
    pub max_connections: usize,
    /// A client must send its request head (and finish a TLS handshake) within this.
    pub header_timeout: Duration,
}

/// Serves `listener` until `shutdown` fires, then lets open requests finish for up to `grace`.
pub(crate) async fn serve<H, F>(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    handler: H,
    shutdown: CancellationToken,
    grace: Duration,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let protocols = Arc::new(Protocols::new(limits.header_timeout));
    loop {
        let permit = tokio::select! {
            _ = shutdown.cancelled() => break,
            p = slots.clone().acquire_owned() => p.expect("semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            // Boxed: hyper keeps the in-flight future inside each connection's state, so an
            // unboxed handler future would make every idle connection as large as a busy one.
            let answer: Pin<Box<dyn Future<Output = Response<Body>> + Send>> =
                Box::pin(handler(req, peer));
            async move { Ok::<_, Infallible>(answer.await) }
        });
        let protocols = protocols.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => {
                    // hyper's header timer starts with the first byte; a client that connects
                    // and sends nothing would hold its slot forever without this.
                    let Ok(Some(h2)) =
                        tokio::time::timeout(header_timeout, sniff_h2c(&stream)).await
                    else {
                        return;
                    };
                    protocols
                        .serve(TokioIo::new(stream), h2, service, watcher)
                        .await;
                }
                // Boxed, so that the TLS state does not make plain connections larger.
                Some(acceptor) => {
                    Box::pin(async move {
                        let Ok(Ok(tls_stream)) =
                            tokio::time::timeout(header_timeout, acceptor.accept(stream)).await
                        else {
                            return;
                        };
                        let h2 = tls_stream.get_ref().1.alpn_protocol() == Some(b"h2");
                        protocols
                            .serve(TokioIo::new(tls_stream), h2, service, watcher)
                            .await;
                    })
                    .await
                }
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the grace period; closing them");
    }
}

/// The HTTP/1.1 and HTTP/2 connection settings, and which one a connection gets.
///
/// The protocol is chosen here rather than by hyper-util's `auto` builder: `auto` reads the
/// first bytes itself and hands them back through a rewind buffer, which makes hyper's read
/// buffer grow to 16 KiB on the second read. Choosing by peeking keeps an idle HTTP/1.1
/// connection at hyper's own 8 KiB.
struct Protocols {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
}

impl Protocols {
    fn new(header_timeout: Duration) -> Protocols {
        let mut http1 = http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .keep_alive(true);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .keep_alive_interval(Some(Duration::from_secs(30)))
            .max_concurrent_streams(256);
        Protocols { http1, http2 }
    }

    async fn serve<I, S>(&self, io: I, h2: bool, service: S, watcher: Watcher)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
        S: hyper::service::HttpService<Incoming, ResBody = Body> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        // Boxed one by one: as one state machine, every connection would take the size of the
        // largest (an HTTP/2 one over TLS).
        if h2 {
            let _ = Box::pin(watcher.watch(self.http2.serve_connection(io, service))).await;
        } else {
            let _ = Box::pin(watcher.watch(self.http1.serve_connection(io, service))).await;
        }
    }
}

/// Waits for a plain-TCP client's first bytes without consuming them: `Some(true)` when they
/// are the HTTP/2 prior-knowledge preface (h2c), `Some(false)` for HTTP/1.x, `None` when the
/// client closed first.
async fn sniff_h2c(stream: &TcpStream) -> Option<bool> {
    const PREFACE: &[u8] = b"PRI * HTTP/2.0";
    let mut head = [0u8; PREFACE.len()];
    let mut pause = Duration::from_millis(1);
    loop {
        let n = stream.peek(&mut head).await.ok()?;
        if n == 0 {
            return None;
        }
        if n == head.len() || !PREFACE.starts_with(&head[..n]) {
            return Some(head[..n] == *PREFACE);
        }
        // Only part of the preface so far. Peek returns at once while bytes are waiting, so
        // wait between looks, longer each time: a client that stalls here costs little.
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Why the TLS certificate and key cannot serve.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsError {
    #[error("cannot open {}: {error}", path.display())]
    Open {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot read certificates from {}: {error}", path.display())]
    Certificates {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot read the key from {}: {error}", path.display())]
    Key {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("no private key in {}", .0.display())]
    NoKey(PathBuf),
    /// The TLS library offers none of the protocol versions asked for.
    #[error("{0}")]
    Protocols(rustls::Error),
    #[error("bad certificate or key: {0}")]
    Rejected(rustls::Error),
}

/// A TLS acceptor from PEM files, offering HTTP/2 and HTTP/1.1 by ALPN.
pub(crate) fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let open = |path: &Path| {
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|error| TlsError::Open {
                path: path.to_path_buf(),
                error,
            })
    };
    let certs = rustls_pemfile::certs(&mut open(cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::Certificates {
            path: cert.to_path_buf(),
            error,
        })?;
    let key = rustls_pemfile::private_key(&mut open(key)?)
        .map_err(|error| TlsError::Key {
            path: key.to_path_buf(),
            error,
        })?
        .ok_or_else(|| TlsError::NoKey(key.to_path_buf()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(TlsError::Protocols)?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(TlsError::Rejected)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
