//! The outbound HTTP client: pooled, HTTP/1.1 and HTTP/2, rustls with webpki roots,
//! and a resolver that refuses private addresses (the SSRF guard at connect time).

use crate::http_util::Body;
use crate::listeners::Registry;
use crate::netguard;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// The client every delivery goes through.
pub type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector<GuardedResolver>>, Body>;

/// Resolves names and refuses the lookup when any address is off limits
/// (checking every address defeats DNS answers that mix public and private ones).
#[derive(Clone)]
pub struct GuardedResolver {
    registry: Arc<Registry>,
}

impl tower_service::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let registry = self.registry.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allow = registry.load().config.delivery.allow_targets.clone();
            // The connector only takes io errors; `BlockedTarget::find_in` finds it inside.
            netguard::check_resolved(&host, &addrs, &allow)
                .map_err(|b| std::io::Error::new(std::io::ErrorKind::PermissionDenied, b))?;
            Ok(addrs.into_iter())
        })
    }
}

/// Builds the shared client.
pub fn build(registry: Arc<Registry>) -> HttpClient {
    let mut http = HttpConnector::new_with_resolver(GuardedResolver { registry });
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("rustls protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(256)
        .build(https)
}

/// The full chain of an error as one line (hyper wraps the interesting part deep inside).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
