//! SPEC section 8: the whole fixtures folder, replayed against a gateway running the shipped listeners.toml,
//! is accepted (or filtered where the example config says so): every signature verifies.

use crate::common::store::store_url;
use crate::common::Gateway;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

#[test]
fn replaying_every_fixture_against_the_shipped_config_succeeds() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let store = store_url(dir.path());
    let gw = Gateway::launch(
        dir.clone(),
        root.join("listeners.toml"),
        &["--store", &store],
    );
    let out = Command::new(env!("CARGO_BIN_EXE_hookgate"))
        .arg("replay")
        .arg("--config")
        .arg(root.join("listeners.toml"))
        .args(["--url", &format!("http://{}", gw.public)])
        .arg(root.join("fixtures"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "replay failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixtures = walk(&root.join("fixtures"));
    assert!(fixtures >= 30, "only {fixtures} fixtures");
    assert!(
        stdout.contains(&format!("{fixtures} fixtures:")),
        "{stdout}"
    );
    assert!(stdout.contains(" 0 duplicate, 0 failed"), "{stdout}");
    assert!(!stdout.contains("401 unauthorized"), "{stdout}");
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            if p.is_dir() {
                walk(&p)
            } else {
                usize::from(p.extension().is_some_and(|x| x == "json"))
            }
        })
        .sum()
}
