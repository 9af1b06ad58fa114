//! SPEC section 2: listeners.toml rules enforced when the file is loaded.

#[test]
fn private_literal_receivers_are_refused_at_load_unless_allowed() {
    for url in [
        "http://127.0.0.1:9/x",
        "http://[::ffff:127.0.0.1]:9/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://10.0.0.8/x",
    ] {
        let base = format!("[[listener]]\nid = \"l\"\nprovider = \"smoobu\"\naccount_id = \"a\"\n[[listener.receiver]]\nurl = \"{url}\"\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.toml");
        std::fs::write(&path, &base).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookgate"))
            .args(["check", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{url} must be refused");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("allow_targets"),
            "{url}"
        );
        let allowed = format!("[delivery]\nallow_targets = [\"127.0.0.0/8\", \"169.254.0.0/16\", \"::1/128\", \"10.0.0.0/8\"]\n{base}");
        std::fs::write(&path, allowed).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookgate"))
            .args(["check", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{url} must be allowed by allow_targets: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
