//! The real `hookgate serve` binary in a temporary directory.

use super::store::{sqlite_file, store_url};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running gateway; killed when dropped.
pub struct Gateway {
    pub dir: Arc<tempfile::TempDir>,
    pub config: PathBuf,
    pub public: SocketAddr,
    pub admin: SocketAddr,
    /// The store URL `start` put in place of `{STORE}`.
    pub store: String,
    pub logs: Arc<Mutex<Vec<String>>>,
    child: Option<Child>,
}

impl Gateway {
    /// Writes `config` (with `{STORE}` replaced by the test store's URL) and starts the gateway.
    pub fn start(config: &str) -> Gateway {
        Self::start_with(config, &[])
    }

    /// Like `start`, with extra command-line flags.
    pub fn start_with(config: &str, extra: &[&str]) -> Gateway {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let path = dir.path().join("listeners.toml");
        std::fs::write(&path, config.replace("{STORE}", &store_url(dir.path()))).unwrap();
        Self::launch(dir, path, extra)
    }

    /// Starts the gateway on an existing config with extra flags.
    pub fn launch(dir: Arc<tempfile::TempDir>, config: PathBuf, extra: &[&str]) -> Gateway {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hookgate"));
        cmd.arg("serve")
            .arg("--config")
            .arg(&config)
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start hookgate");
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("listening") && line.contains("public") {
                    let _ = tx.send(line.clone());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("gateway did not start: {:#?}", logs.lock().unwrap())
            });
        // The line is text (`public=ADDR`) or JSON (`"public":"ADDR"`), by --log-format.
        let field = |name: &str| -> SocketAddr {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) {
                return json[name].as_str().unwrap().parse().unwrap();
            }
            let start = line.find(&format!("{name}=")).unwrap() + name.len() + 1;
            line[start..]
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        Gateway {
            public: field("public"),
            admin: field("admin"),
            store: store_url(dir.path()),
            dir,
            config,
            logs,
            child: Some(child),
        }
    }

    /// Starts a new gateway on the same directory and config (after a kill or stop).
    pub fn restart(&self) -> Gateway {
        Self::launch(self.dir.clone(), self.config.clone(), &[])
    }

    /// The SQLite file of `store` (when the suite runs on SQLite).
    pub fn db(&self) -> PathBuf {
        sqlite_file(self.dir.path())
    }

    /// Writes the config file again, with `{STORE}` filled in as `start` does.
    pub fn rewrite_config(&self, text: &str) {
        std::fs::write(&self.config, text.replace("{STORE}", &self.store)).unwrap();
    }

    pub fn url(&self, tail: &str) -> String {
        format!("/api/v1/listener/{tail}")
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends a signal by name (TERM, INT, HUP) using the system's kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        let child = self.child.as_mut()?;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn log_text(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill9();
        // The last holder of the directory: its database goes with it.
        if Arc::strong_count(&self.dir) == 1 {
            super::store::forget(self.dir.path());
        }
    }
}
