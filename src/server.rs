//! The accept loop: TLS, a cap on open connections, header and idle timeouts, the head size
//! limit, graceful shutdown.

use crate::connections::{Connection, ConnectionBook};
use crate::http_util::Body;
use crate::ingress::refusal::Refusal;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Limits that protect the server from slow, idle or greedy clients.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// At this many open connections, the one idle longest is closed for a new client; when
    /// none is idle, new clients wait in the kernel's accept queue.
    pub max_connections: usize,
    /// A client must send its request head (and finish a TLS handshake) within this.
    pub header_timeout: Duration,
    /// An HTTP/1 connection between requests, or HTTP/2 without open streams, closes after this.
    pub idle_timeout: Duration,
    /// The largest request head taken: 431 `headers_too_large` beyond (a stream reset on HTTP/2).
    pub max_header_bytes: usize,
}

/// How long a connection told to close (idle, or evicted) may take to say goodbye.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

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
    let book = ConnectionBook::new();
    let tasks = TaskTracker::new();
    let protocols = Arc::new(Protocols::new(&limits));
    while let Some((stream, peer, permit)) = next_client(&listener, &slots, &book, &shutdown).await
    {
        let _ = stream.set_nodelay(true);
        let (conn, open) = book.open();
        let service = service(handler.clone(), peer, conn.clone(), limits.max_header_bytes);
        let protocols = protocols.clone();
        let tls = tls.clone();
        let header_timeout = limits.header_timeout;
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            let _slot = (permit, open);
            let ending = Ending {
                conn,
                shutdown,
                idle_timeout: protocols.idle_timeout,
            };
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
                        .serve(TokioIo::new(stream), h2, service, ending)
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
                            .serve(TokioIo::new(tls_stream), h2, service, ending)
                            .await;
                    })
                    .await
                }
            }
        });
    }
    drop(listener);
    tasks.close();
    if tokio::time::timeout(grace, tasks.wait()).await.is_err() {
        tracing::warn!("connections still open after the grace period; closing them");
    }
}

/// The next client and its connection slot, or `None` at shutdown. With every slot taken, a
/// client that arrives gets the slot of the connection idle longest, which is told to close.
async fn next_client(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
    book: &ConnectionBook,
    shutdown: &CancellationToken,
) -> Option<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
    let permit = match slots.clone().try_acquire_owned() {
        Ok(permit) => permit,
        Err(_) => tokio::select! {
            _ = shutdown.cancelled() => return None,
            p = slots.clone().acquire_owned() => p.expect("semaphore is never closed"),
            (stream, peer) = accept(listener) => {
                book.evict_longest_idle();
                let permit = tokio::select! {
                    _ = shutdown.cancelled() => return None,
                    p = slots.clone().acquire_owned() => p.expect("semaphore is never closed"),
                };
                return Some((stream, peer, permit));
            }
        },
    };
    tokio::select! {
        _ = shutdown.cancelled() => None,
        (stream, peer) = accept(listener) => Some((stream, peer, permit)),
    }
}

/// Accepts a connection; on errors (out of file descriptors and the like) backs off instead
/// of spinning.
async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(pair) => return pair,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The service of one connection: marks it busy while a request is handled and answers a
/// request head over `max_header_bytes` with 431 before any handler sees it.
fn service<H, F>(
    handler: H,
    peer: SocketAddr,
    conn: Arc<Connection>,
    max_header_bytes: usize,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Body>, Infallible>> + Send,
> + Clone
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    hyper::service::service_fn(move |req: Request<Incoming>| {
        let busy = conn.busy();
        // Boxed: hyper keeps the in-flight future inside each connection's state, so an
        // unboxed handler future would make every idle connection as large as a busy one.
        let answer: Pin<Box<dyn Future<Output = Response<Body>> + Send>> =
            if head_size(&req) > max_header_bytes {
                Box::pin(std::future::ready(Refusal::HeadersTooLarge.into_response()))
            } else {
                Box::pin(handler(req, peer))
            };
        async move {
            let response = answer.await;
            drop(busy);
            Ok::<_, Infallible>(response)
        }
    })
}

/// The size of a request head as sent on HTTP/1: request line, header lines, blank line.
pub fn head_size<B>(req: &Request<B>) -> usize {
    let line = req.method().as_str().len() + req.uri().to_string().len() + 12;
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    line + headers + 2
}

/// What ends a connection besides the client: idle too long, evicted, or shutdown.
struct Ending {
    conn: Arc<Connection>,
    shutdown: CancellationToken,
    idle_timeout: Duration,
}

impl Ending {
    /// Serves `connection` until it ends; asks it to close gracefully when it should.
    async fn drive<C>(self, connection: C)
    where
        C: GracefulConnection,
    {
        let mut connection = std::pin::pin!(connection);
        let stopping = tokio::select! {
            _ = connection.as_mut() => return,
            _ = self.conn.should_close(self.idle_timeout) => false,
            _ = self.shutdown.cancelled() => true,
        };
        connection.as_mut().graceful_shutdown();
        if stopping {
            // Open requests finish; the server's grace period bounds the wait.
            let _ = connection.await;
        } else {
            // A client that does not take part in the goodbye (an unanswered HTTP/2 GOAWAY)
            // is cut off.
            let _ = tokio::time::timeout(CLOSE_WAIT, connection).await;
        }
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
    idle_timeout: Duration,
}

impl Protocols {
    fn new(limits: &Limits) -> Protocols {
        let mut http1 = http1::Builder::new();
        // hyper refuses (with a bare 431) heads that overflow its buffer; heads between the
        // limit and that get the JSON 431 from `service`.
        let buffer = limits.max_header_bytes.saturating_mul(2).max(8192);
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_buf_size(buffer)
            .keep_alive(true);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .keep_alive_interval(Some(Duration::from_secs(30)))
            .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
            .max_concurrent_streams(256);
        Protocols {
            http1,
            http2,
            idle_timeout: limits.idle_timeout,
        }
    }

    async fn serve<I, S>(&self, io: I, h2: bool, service: S, ending: Ending)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
        S: hyper::service::HttpService<Incoming, ResBody = Body> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        // Boxed one by one: as one state machine, every connection would take the size of the
        // largest (an HTTP/2 one over TLS).
        if h2 {
            Box::pin(ending.drive(self.http2.serve_connection(io, service))).await;
        } else {
            Box::pin(ending.drive(self.http1.serve_connection(io, service))).await;
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
