//! Which store the black-box tests give the gateway: one place, so the suite can run on
//! another backend by setting `HOOKGATE_TEST_STORE`.
//!
//! On PostgreSQL every gateway directory gets a database of its own, created on first use and
//! dropped with the last gateway of that directory; databases left by an earlier run whose
//! process is gone are dropped at the first use.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The environment variable that picks the store backend for the whole suite.
pub const STORE_VAR: &str = "HOOKGATE_TEST_STORE";

/// Prefix of every database the suite creates: `hg_test_<pid>_<n>`.
const DB_PREFIX: &str = "hg_test_";

/// The store URL for a gateway whose files live in `dir`.
///
/// Unset, empty or `sqlite`: a SQLite file in `dir`. A `postgres://` or `postgresql://`
/// template: `{name}` becomes a database made for `dir` alone, so tests running at the same
/// time never share one.
pub fn store_url(dir: &Path) -> String {
    match template() {
        Some(template) => template.replace("{name}", &database_for(dir)),
        None => format!("sqlite://{}", sqlite_file(dir).display()),
    }
}

/// Whether the suite runs on SQLite (tests that read the file itself need it).
pub fn is_sqlite() -> bool {
    template().is_none()
}

/// The SQLite file `store_url` names for `dir`.
pub fn sqlite_file(dir: &Path) -> PathBuf {
    dir.join("hookgate.db")
}

fn template() -> Option<String> {
    std::env::var(STORE_VAR)
        .ok()
        .filter(|t| !t.is_empty() && t != "sqlite")
}

/// Databases made by this process, by the directory they were made for.
static DATABASES: Mutex<Option<HashMap<PathBuf, String>>> = Mutex::new(None);

/// The database made for `dir`, made now if there is none yet.
fn database_for(dir: &Path) -> String {
    let mut guard = DATABASES.lock().unwrap_or_else(|e| e.into_inner());
    let first_use = guard.is_none();
    let made = guard.get_or_insert_with(HashMap::new);
    if let Some(name) = made.get(dir) {
        return name.clone();
    }
    static MADE: AtomicUsize = AtomicUsize::new(0);
    let n = MADE.fetch_add(1, Ordering::Relaxed);
    let name = format!("{DB_PREFIX}{}_{n}", std::process::id());
    let create = format!("CREATE DATABASE {name}");
    admin(move |client| async move {
        if first_use {
            drop_leftovers(&client).await;
        }
        client.batch_execute(&create).await
    })
    .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e:?}"));
    made.insert(dir.to_path_buf(), name.clone());
    name
}

/// Drops the database made for `dir`, if any (the last gateway of `dir` is gone).
pub fn forget(dir: &Path) {
    let Some(name) = DATABASES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()
        .and_then(|m| m.remove(dir))
    else {
        return;
    };
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    if let Err(e) = admin(move |client| async move { client.batch_execute(&sql).await }) {
        eprintln!("cannot drop the test database {name}: {e}");
    }
}

/// Drops the databases of earlier runs whose process no longer exists.
async fn drop_leftovers(client: &tokio_postgres::Client) {
    let Ok(rows) = client
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'hg\\_test\\_%'",
            &[],
        )
        .await
    else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let pid = name[DB_PREFIX.len()..].split('_').next().unwrap_or("");
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// Runs `work` on a connection to the server's `postgres` database.
fn admin<F, Fut, T>(work: F) -> Result<T, String>
where
    F: FnOnce(tokio_postgres::Client) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    T: Send + 'static,
{
    let url = template()
        .expect("a PostgreSQL template")
        .replace("{name}", "postgres");
    on_postgres(&url, work)
}

/// Runs `work` on a connection to `url`, on a thread of its own (the callers may be inside a
/// runtime already, or not). Connecting gives up after 3 s; errors come as text.
pub fn on_postgres<F, Fut, T>(url: &str, work: F) -> Result<T, String>
where
    F: FnOnce(tokio_postgres::Client) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    T: Send + 'static,
{
    let url = url.to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let connecting = tokio_postgres::connect(&url, tokio_postgres::NoTls);
            let (client, connection) =
                tokio::time::timeout(std::time::Duration::from_secs(3), connecting)
                    .await
                    .map_err(|_| format!("connecting to {url} timed out"))?
                    .map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            work(client).await.map_err(|e| e.to_string())
        })
    })
    .join()
    .expect("the PostgreSQL thread")
}

/// Runs one query on the database of a gateway's store URL and returns its rows' first
/// column as i64 (for facts the management API does not show).
pub fn count(store_url: &str, sql: &str) -> i64 {
    let sql = sql.to_string();
    on_postgres(store_url, move |client| async move {
        Ok(client.query_one(&sql, &[]).await?.get::<_, i64>(0))
    })
    .unwrap()
}

/// Runs SQL statements on the database of a gateway's store URL, SQLite or PostgreSQL (to
/// make a store look like one an older version left).
pub fn execute(store_url: &str, sql: &str) {
    if let Some(path) = store_url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(sql).unwrap();
        return;
    }
    let sql = sql.to_string();
    on_postgres(store_url, move |client| async move {
        client.batch_execute(&sql).await
    })
    .unwrap();
}
