//! From a `postgres://` URL to a pool of connections: TLS (rustls with the webpki roots) when
//! the URL asks for it with `sslmode=require`, plain TCP otherwise.

use crate::store::StoreError;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::time::Duration;
use tokio_postgres::config::SslMode;

/// What a PostgreSQL store is opened with.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// Ingest requests that may wait for the writer before new ones get 503.
    pub queue_capacity: usize,
    /// Connections kept open at most.
    pub pool_size: usize,
    /// How long a delivery claimed by this instance stays with it.
    pub lease: Duration,
}

impl PgSettings {
    pub fn new(queue_capacity: usize) -> PgSettings {
        PgSettings {
            queue_capacity,
            pool_size: 16,
            lease: Duration::from_secs(30),
        }
    }
}

/// How long connecting, or waiting for a pooled connection, may take before the database
/// counts as unavailable (the readiness check allows 2 s in all).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The connection settings a URL gives, with hookgate's timeouts.
pub fn config(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Unavailable(format!("not a valid PostgreSQL URL: {e}")))?;
    config.connect_timeout(CONNECT_TIMEOUT);
    config.keepalives_idle(Duration::from_secs(30));
    if config.get_application_name().is_none() {
        config.application_name("hookgate");
    }
    Ok(config)
}

/// Builds the pool (no connection is made yet).
pub fn pool(url: &str, size: usize) -> Result<Pool, StoreError> {
    let config = self::config(url)?;
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = if config.get_ssl_mode() == SslMode::Require {
        Manager::from_config(config, tls(), manager_config)
    } else {
        Manager::from_config(config, tokio_postgres::NoTls, manager_config)
    };
    Pool::builder(manager)
        .max_size(size.max(2))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// rustls over the webpki roots: the server's certificate must chain to a public root and
/// name the host.
pub fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}
