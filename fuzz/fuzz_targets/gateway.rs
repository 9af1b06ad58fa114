//! One gateway per process for the request_path target: `gateway.toml` in service over a
//! SQLite store in a fresh directory (on /dev/shm where there is one, so a commit's fsync
//! costs little), on a single-threaded runtime that also runs delivery between inputs.
// Each target includes this file as a module and uses only the helpers it needs.
#![allow(dead_code)]

use hookgate::fuzzing::Gateway;
use std::path::{Path, PathBuf};
use tokio::runtime::Runtime;

/// The configuration text, shared with the listener_input target.
pub const CONFIG: &str = include_str!("gateway.toml");

/// The configuration, parsed as `hookgate check` parses the file.
pub fn config() -> hookgate::config::Config {
    hookgate::config::parse(CONFIG, Path::new("gateway.toml")).expect("gateway.toml is valid")
}

fn store_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    remove_stale(&base);
    let dir = base.join(format!("hookgate-fuzz-{}", std::process::id()));
    // A directory left by an earlier process with the same id holds nothing worth keeping.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a directory for the store");
    dir
}

/// Removes the store directories of earlier fuzzing processes that have ended: libFuzzer
/// leaves by `exit`, so no process removes its own.
fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("hookgate-fuzz-")) else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

thread_local! {
    static GATEWAY: (Runtime, Gateway) = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let store = store_dir().join("fuzz.db");
        let gw = rt.block_on(Gateway::open(config(), &store)).expect("the gateway starts");
        (rt, gw)
    };
}

/// Runs `f` with the process's runtime and gateway.
pub fn with<T>(f: impl FnOnce(&Runtime, &Gateway) -> T) -> T {
    GATEWAY.with(|(rt, gw)| f(rt, gw))
}
