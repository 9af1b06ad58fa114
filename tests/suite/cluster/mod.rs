//! SPEC section 10 with three instances on one PostgreSQL database: load shared, an instance
//! killed mid-delivery, leases that hold through slow attempts, API changes seen everywhere
//! within a second, de-duplication and system events once per cluster, and instances starting
//! together on an empty database.
//!
//! Each test gets a fresh database: on the suite's PostgreSQL server when it runs on
//! PostgreSQL, else on 127.0.0.1:5432 if a server answers there; with neither it prints
//! SKIPPED and returns.

mod api;
mod delivery;
mod pauses;

use crate::common::admin::TOKENS;
use crate::common::store::{is_sqlite, STORE_VAR};
use crate::common::{get_open, Gateway};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Where tests find PostgreSQL when the suite itself runs on SQLite.
const LOCAL_SERVER: &str = "postgres://postgres@127.0.0.1:5432/{name}";

/// A database made for one test, dropped (with any connection left) when this is dropped.
pub struct ClusterDb {
    pub url: String,
    admin_url: String,
    name: String,
}

impl ClusterDb {
    /// A fresh database, or `None` (after printing SKIPPED) when no PostgreSQL answers.
    pub fn create() -> Option<ClusterDb> {
        let template = if is_sqlite() {
            LOCAL_SERVER.to_string()
        } else {
            std::env::var(STORE_VAR).unwrap()
        };
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "hg_test_{}_cluster{}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        );
        let admin_url = template.replace("{name}", "postgres");
        let sql = format!("CREATE DATABASE {name}");
        match run_sql(&admin_url, &sql) {
            Ok(()) => Some(ClusterDb {
                url: template.replace("{name}", &name),
                admin_url,
                name,
            }),
            Err(e) => {
                eprintln!("SKIPPED: no PostgreSQL server to run several instances on ({e})");
                None
            }
        }
    }

    /// The first column of the first row of `sql` on this database, as i64.
    pub fn count(&self, sql: &str) -> i64 {
        crate::common::store::count(&self.url, sql)
    }
}

impl Drop for ClusterDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = run_sql(&self.admin_url, &sql) {
            eprintln!("cannot drop the test database {}: {e}", self.name);
        }
    }
}

/// Runs one statement (callers may be inside a runtime).
fn run_sql(url: &str, sql: &str) -> Result<(), String> {
    let sql = sql.to_string();
    crate::common::store::on_postgres(url, move |client| async move {
        client.batch_execute(&sql).await
    })
}

/// Two listeners (a GitHub one delivering to two receivers, a smoobu one) and a system
/// webhook for `account.created`. `{STORE}`, `{LEASE}`, `{R1}`, `{R2}`, `{SYSTEM}` and
/// `{DELIVERY}` (more `[delivery]` keys) are filled in by `config`.
const CONFIG: &str = r#"
[store]
url = "{STORE}"
lease = "{LEASE}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["200ms"]
{DELIVERY}
{TOKENS}

[[listener]]
id = "gh"
provider = "github"
account_id = "org"
workspace_id = "ws"
verify_secret = "s3cret"

[[listener.receiver]]
url = "{R1}"

[[listener.receiver]]
url = "{R2}"

[[listener]]
id = "sm"
provider = "smoobu"
account_id = "smoobu-cfg"
workspace_id = "ws"

[[listener.receiver]]
url = "{R1}"

[[system_webhook]]
url = "{SYSTEM}"
events = ["account.created"]
"#;

/// What differs between the tests' configurations.
pub struct Setup<'a> {
    pub lease: &'a str,
    pub receivers: [&'a str; 2],
    pub system: &'a str,
    pub delivery: &'a str,
}

pub fn config(db: &ClusterDb, setup: &Setup) -> String {
    CONFIG
        .replace("{TOKENS}", TOKENS)
        .replace("{STORE}", &db.url)
        .replace("{LEASE}", setup.lease)
        .replace("{R1}", setup.receivers[0])
        .replace("{R2}", setup.receivers[1])
        .replace("{SYSTEM}", setup.system)
        .replace("{DELIVERY}", setup.delivery)
}

/// Starts `n` instances on `config` at the same moment, each in a directory of its own.
pub fn start_instances(n: usize, config: &str) -> Vec<Gateway> {
    let starts: Vec<_> = (0..n)
        .map(|_| {
            let config = config.to_string();
            std::thread::spawn(move || {
                let dir = Arc::new(tempfile::tempdir().unwrap());
                let path = dir.path().join("listeners.toml");
                std::fs::write(&path, config).unwrap();
                Gateway::launch(dir, path, &[])
            })
        })
        .collect();
    starts.into_iter().map(|s| s.join().unwrap()).collect()
}

/// The instance's metrics: "name{labels}" → value.
pub async fn metrics(gw: &Gateway) -> HashMap<String, f64> {
    let text = String::from_utf8_lossy(&get_open(gw.admin, "/metrics").await.body).to_string();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// One metric series of an instance (0 when absent).
pub async fn metric(gw: &Gateway, series: &str) -> f64 {
    metrics(gw).await.get(series).copied().unwrap_or(0.0)
}
