//! Reloading `listeners.toml` on SIGHUP or when the file changes, in a task of its own: the
//! file is read and validated on a thread of its own, so a slow or stuck read (a FIFO, a hung
//! network file system) never holds up SIGTERM or SIGINT, and the gateway still stops at once.

use super::{Overrides, Signals};
use crate::app::App;
use crate::config::{self, Config, ConfigErrors};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Runs until SIGINT or SIGTERM, reloading the config on SIGHUP or when the file changes
/// (`seen` is the file's state when it was loaded). A stop is answered at once, whatever a
/// reload is doing.
pub(super) async fn wait_for_stop(
    app: &Arc<App>,
    path: &Path,
    overrides: &Overrides,
    signals: Option<Signals>,
    mut seen: Option<(SystemTime, u64)>,
) {
    let Some(Signals {
        mut term,
        mut int,
        mut hup,
    }) = signals
    else {
        tracing::error!("cannot install signal handlers; stop with SIGKILL");
        std::future::pending::<()>().await;
        return;
    };
    let reloader = Reloader::start(app.clone(), path.to_path_buf(), overrides.clone());
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                seen = modified(path);
                reloader.request("SIGHUP");
            }
            _ = tick.tick() => {
                let now = modified(path);
                if now != seen {
                    seen = now;
                    reloader.request("file change");
                }
            }
        }
    }
    reloader.stop();
}

/// The file's modification time and length, to notice a change.
pub(super) fn modified(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The task that reloads, one reload at a time.
struct Reloader {
    requests: mpsc::Sender<&'static str>,
    task: JoinHandle<()>,
}

impl Reloader {
    fn start(app: Arc<App>, path: PathBuf, overrides: Overrides) -> Reloader {
        // One waiting request is enough: a reload reads the file as it is when it starts.
        let (requests, mut waiting) = mpsc::channel(1);
        let task = tokio::spawn(async move {
            while let Some(why) = waiting.recv().await {
                reload(&app, &path, &overrides, why).await;
            }
        });
        Reloader { requests, task }
    }

    /// Asks for a reload; when one is already waiting, that one covers this request too.
    fn request(&self, why: &'static str) {
        let _ = self.requests.try_send(why);
    }

    /// Abandons a reload in progress: the gateway is stopping and keeps the running config.
    fn stop(self) {
        self.task.abort();
    }
}

/// Reads and validates the file on a thread of its own. Not `spawn_blocking`: the runtime
/// waits for its blocking tasks when it shuts down, so a read that never ends would keep the
/// process from exiting. `None` when the thread cannot be started.
async fn read(path: PathBuf) -> Option<Result<Config, ConfigErrors>> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("config-reload".into())
        .spawn(move || {
            let _ = done.send(config::load(&path));
        })
        .ok()?;
    result.await.ok()
}

/// Swaps in the new file if it is valid; otherwise logs every error and keeps the running config.
/// API-made listeners stay: they are checked again under the new file (its providers and
/// `allow_targets`), and unchanged listeners and receivers keep their rate limiters.
async fn reload(app: &App, path: &Path, overrides: &Overrides, why: &str) {
    let registry = &app.registry;
    match read(path.to_path_buf()).await {
        None => tracing::error!(trigger = why, "config not reloaded: cannot start a thread"),
        Some(Ok(mut cfg)) => {
            overrides.apply(&mut cfg);
            let old = registry.load().config.clone();
            if cfg.server.listen != old.server.listen
                || cfg.server.admin_listen != old.server.admin_listen
            {
                tracing::warn!(
                    "listen addresses changed in the file; they take effect at the next restart"
                );
            }
            if cfg.store.url != old.store.url {
                tracing::warn!(
                    "the store URL changed in the file; it takes effect at the next restart"
                );
            }
            for w in &cfg.warnings {
                tracing::warn!("{w}");
            }
            let n = cfg.listeners.len();
            let api = crate::listeners::edits::apply_config(app, cfg).await;
            tracing::info!(
                listeners = n,
                api_listeners = api,
                trigger = why,
                "configuration reloaded"
            );
        }
        Some(Err(errors)) => {
            for line in errors.to_string().lines() {
                tracing::error!(trigger = why, "config not reloaded: {line}");
            }
        }
    }
}
