//! `hookgate check`: located errors for a bad file, a summary for a good one.

use std::process::Command;

fn check(text: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listeners.toml");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hookgate"))
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).replace(&path.display().to_string(), "FILE");
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&path.display().to_string(), "FILE");
    (out.status.code().unwrap(), stdout, stderr)
}

#[test]
fn bad_cidr_is_reported_with_line_column_and_key() {
    let text = r#"[server]
listen = "127.0.0.1:8080"

[[listener]]
id = "a"
provider = "hostaway"
account_id = "x"
allowed_ips = ["10.0.0.0/8", "10.1.2.3/40"]
"#;
    let (code, _, stderr) = check(text);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("FILE:8:30: listener[0].allowed_ips[1]: `10.1.2.3/40` is not a CIDR"),
        "{stderr}"
    );
}

#[test]
fn every_error_is_listed_with_a_count() {
    let text = r#"[[listener]]
id = "a"
provider = "nosuch"
account_id = "x"
verify_secret = { env = "HOOKGATE_SURELY_UNSET_VAR" }

[[listener.receiver]]
url = "http://169.254.169.254/latest"
"#;
    let (code, _, stderr) = check(text);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("FILE:3:12: listener[0].provider: unknown provider `nosuch`"),
        "{stderr}"
    );
    assert!(stderr.contains("FILE:5:17: listener[0].verify_secret: environment variable `HOOKGATE_SURELY_UNSET_VAR` is not set"), "{stderr}");
    assert!(
        stderr.contains(
            "FILE:8:7: listener[0].receiver[0].url: 169.254.169.254 is a link-local address"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("FILE: 3 errors"), "{stderr}");
}

#[test]
fn unknown_key_is_an_error() {
    let (code, _, stderr) = check("[server]\nlisten_on = \"x\"\n");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("FILE:2:1: listen_on: unknown field `listen_on`"),
        "{stderr}"
    );
}

#[test]
fn shipped_config_is_valid() {
    let out = Command::new(env!("CARGO_BIN_EXE_hookgate"))
        .args([
            "check",
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/listeners.toml"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("OK: 9 listeners"), "{stdout}");
}
