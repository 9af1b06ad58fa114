//! Which store the black-box tests give the gateway: one place, so the suite can run on
//! another backend by setting `HOOKGATE_TEST_STORE`.

use std::path::Path;

/// The environment variable that picks the store backend for the whole suite.
pub const STORE_VAR: &str = "HOOKGATE_TEST_STORE";

/// The store URL for a gateway whose files live in `dir`.
///
/// Unset, empty or `sqlite`: a SQLite file in `dir`. Anything else is a URL template in which
/// `{name}` becomes a name unique to this gateway (its temp dir's name), so tests running at
/// the same time never share a database.
pub fn store_url(dir: &Path) -> String {
    match std::env::var(STORE_VAR) {
        Ok(template) if !template.is_empty() && template != "sqlite" => {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase().replace(['.', '-'], "_"))
                .unwrap_or_default();
            template.replace("{name}", &format!("hookgate_test{name}"))
        }
        _ => format!("sqlite://{}", sqlite_file(dir).display()),
    }
}

/// Whether the suite runs on SQLite (tests that read the file itself need it).
pub fn is_sqlite() -> bool {
    std::env::var(STORE_VAR).map_or(true, |v| v.is_empty() || v == "sqlite")
}

/// The SQLite file `store_url` names for `dir`.
pub fn sqlite_file(dir: &Path) -> std::path::PathBuf {
    dir.join("hookgate.db")
}
