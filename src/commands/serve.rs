//! `hookgate serve`: start the store, the dispatcher and both servers; reload on SIGHUP or file
//! change; stop gracefully on SIGINT/SIGTERM.

use super::cli::ServeArgs;
use crate::app::App;
use crate::config::{self, Config, ServerSettings};
use crate::delivery::Dispatcher;
use crate::server::{self, Limits};
use crate::store::{PgSettings, Store, StoreUrl};
use anyhow::anyhow;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

mod reload;

use reload::{modified, wait_for_stop};

/// How long open requests, then running delivery attempts, may take to finish on shutdown.
const GRACE: Duration = Duration::from_secs(10);

/// Command-line values that win over the file, on start and on every reload.
#[derive(Clone)]
struct Overrides {
    listen: Option<SocketAddr>,
    admin_listen: Option<SocketAddr>,
    /// `--store`: a URL already checked by `StoreUrl::parse`.
    store: Option<String>,
}

impl Overrides {
    fn apply(&self, cfg: &mut Config) {
        if let Some(l) = self.listen {
            cfg.server.listen = l;
        }
        if let Some(a) = self.admin_listen {
            cfg.server.admin_listen = Some(a);
        }
        if let Some(url) = &self.store {
            if let Ok(StoreUrl::Sqlite(path)) = StoreUrl::parse(url) {
                cfg.store.path = path;
            }
            cfg.store.url = url.clone();
        }
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let _log_guard = crate::logging::init(args.log_format);
    let path = config::default_path(args.config);
    let store = match &args.store {
        Some(url) => {
            StoreUrl::parse(url).map_err(|e| {
                anyhow!("--store: `{url}` is not a store URL like sqlite://data/hookgate.db: {e}")
            })?;
            Some(url.clone())
        }
        None => None,
    };
    let overrides = Overrides {
        listen: args.listen,
        admin_listen: args.admin_listen,
        store,
    };
    // The file's state before it is read: a change from here on is seen and reloaded.
    let seen = modified(&path);
    let mut cfg = config::load(&path)?;
    overrides.apply(&mut cfg);
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("hookgate")
        .build()
        .map_err(|e| anyhow!("cannot start the runtime: {e}"))?;
    runtime.block_on(serve(cfg, path, overrides, seen))
}

async fn serve(
    cfg: Config,
    path: PathBuf,
    overrides: Overrides,
    seen: Option<(SystemTime, u64)>,
) -> anyhow::Result<()> {
    let signals = Signals::install();
    let server_cfg = cfg.server.clone();
    let core = Core::start(cfg).await?;
    let bookkeeping = record_load_times(core.app.clone());
    let retention_task = tokio::spawn(crate::retention::run(
        core.store.clone(),
        core.app.registry.clone(),
        core.delivery_stop.clone(),
    ));
    let cluster_task = crate::cluster::start(core.app.clone(), core.delivery_stop.clone());
    let sockets = Sockets::bind(&server_cfg).await?;
    tracing::info!(
        public = %sockets.public.local_addr()?,
        admin = %sockets.admin.local_addr()?,
        tls = sockets.tls.is_some(),
        pending = core.pending,
        api_listeners = core.api_listeners,
        "listening"
    );
    let limits = Limits {
        max_connections: server_cfg.max_connections,
        header_timeout: server_cfg.header_timeout,
        idle_timeout: server_cfg.idle_timeout,
        max_header_bytes: server_cfg.max_header_bytes,
    };
    let servers = Servers::start(sockets, &core.app, limits, bookkeeping);
    wait_for_stop(&core.app, &path, &overrides, signals, seen).await;
    servers.stop().await;
    core.stop(retention_task, cluster_task).await
}

/// The store, the live configuration and the delivery dispatcher.
struct Core {
    app: Arc<App>,
    store: Store,
    dispatcher: Dispatcher,
    /// Stops delivery and the retention task.
    delivery_stop: CancellationToken,
    pending: i64,
    api_listeners: usize,
}

impl Core {
    async fn start(cfg: Config) -> anyhow::Result<Core> {
        let settings = PgSettings {
            queue_capacity: cfg.store.queue_capacity,
            pool_size: cfg.store.pool_size,
            lease: cfg.store.lease,
        };
        let store = Store::connect_with(&cfg.store.url, settings)
            .await
            .map_err(|e| anyhow!("{}: {e}", store_name(&cfg.store.url)))?;
        // API-made listeners join before delivery starts, so their pending deliveries find them.
        let api = crate::listeners::catalog::api_listener_specs(&store, &cfg).await?;
        let api_listeners = api.len();
        let started = App::start(cfg, store.clone(), api).await?;
        Ok(Core {
            app: started.app,
            store,
            dispatcher: started.dispatcher,
            delivery_stop: started.delivery_stop,
            pending: started.pending,
            api_listeners,
        })
    }

    /// Lets running deliveries finish (within the grace period), then closes the store.
    async fn stop(
        self,
        retention_task: JoinHandle<()>,
        cluster_task: JoinHandle<()>,
    ) -> anyhow::Result<()> {
        tracing::info!("stopping: letting running deliveries finish");
        self.delivery_stop.cancel();
        self.dispatcher.stop(GRACE).await;
        let _ = retention_task.await;
        let _ = cluster_task.await;
        drop(self.app);
        let store = self.store;
        tokio::task::spawn_blocking(move || store.close()).await?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The store a URL names, for messages: a PostgreSQL URL without its password.
fn store_name(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Load times and account.* announcements are bookkeeping: with 100,000 listeners they take
/// a noticeable while, so webhooks are taken meanwhile; the management API, which shows the
/// load times, starts when they are recorded. The edit lock orders this with a reload that
/// might come first.
fn record_load_times(app: Arc<App>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = crate::listeners::edits::record_file_listeners(&app).await {
            tracing::error!(error = %e, "cannot record the listeners' load times");
        }
        crate::memory::release_free_memory();
    })
}

/// The bound listening sockets and the TLS setup of the public one.
struct Sockets {
    public: TcpListener,
    admin: TcpListener,
    tls: Option<TlsAcceptor>,
}

impl Sockets {
    async fn bind(server_cfg: &ServerSettings) -> anyhow::Result<Sockets> {
        let public = TcpListener::bind(server_cfg.listen)
            .await
            .map_err(|e| anyhow!("cannot listen on {}: {e}", server_cfg.listen))?;
        let admin_addr = server_cfg
            .admin_listen
            .unwrap_or_else(|| "127.0.0.1:8081".parse().expect("addr"));
        let admin = TcpListener::bind(admin_addr)
            .await
            .map_err(|e| anyhow!("cannot listen on {admin_addr}: {e}"))?;
        let tls = match &server_cfg.tls {
            Some(t) => Some(server::tls_acceptor(&t.cert, &t.key)?),
            None => None,
        };
        Ok(Sockets { public, admin, tls })
    }
}

/// The running public and management servers.
struct Servers {
    stop: CancellationToken,
    public: JoinHandle<()>,
    admin: JoinHandle<()>,
}

impl Servers {
    /// The management API waits for `bookkeeping`; connections made meanwhile wait in the
    /// accept queue.
    fn start(
        sockets: Sockets,
        app: &Arc<App>,
        limits: Limits,
        bookkeeping: JoinHandle<()>,
    ) -> Servers {
        let stop = CancellationToken::new();
        let public_app = app.clone();
        let public = tokio::spawn(server::serve(
            sockets.public,
            sockets.tls,
            limits.clone(),
            move |req, peer| crate::ingress::route(public_app.clone(), req, peer),
            stop.clone(),
            GRACE,
        ));
        let admin_app = app.clone();
        let stop_admin = stop.clone();
        let admin_socket = sockets.admin;
        let admin = tokio::spawn(async move {
            let _ = bookkeeping.await;
            server::serve(
                admin_socket,
                None,
                limits,
                move |req, peer| crate::admin::route(admin_app.clone(), req, peer),
                stop_admin,
                GRACE,
            )
            .await
        });
        Servers {
            stop,
            public,
            admin,
        }
    }

    /// Stops accepting and lets requests in flight finish.
    async fn stop(self) {
        tracing::info!("stopping: no new connections; finishing requests in flight");
        self.stop.cancel();
        let _ = self.public.await;
        let _ = self.admin.await;
    }
}

/// The signals `serve` answers to. They are installed before the gateway says it is listening:
/// until a handler exists, SIGHUP and SIGTERM take their default action and end the process.
struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    fn install() -> Option<Signals> {
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(term), Ok(int), Ok(hup)) => Some(Signals { term, int, hup }),
            _ => None,
        }
    }
}
