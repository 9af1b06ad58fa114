//! Limits as `hookgate check` reports them: `PATH:LINE:COLUMN: key: message`, exit 1.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `hookgate check` on `text` written as `listeners.toml` in `dir`; (exit code, stderr with
/// the file's path as `FILE`).
fn check_in(dir: &Path, text: &str, env: &[(&str, &str)]) -> (i32, String) {
    let path = dir.join("listeners.toml");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hookgate"))
        .args(["check", "--config"])
        .arg(&path)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&path.display().to_string(), "FILE");
    (out.status.code().unwrap(), stderr)
}

fn check(text: &str) -> (i32, String) {
    check_in(tempfile::tempdir().unwrap().path(), text, &[])
}

fn assert_has(stderr: &str, line: &str) {
    assert!(stderr.contains(line), "missing `{line}` in:\n{stderr}");
}

#[test]
fn numbers_and_durations_out_of_range_name_the_range() {
    let text = r#"[server]
max_connections = 1000001
header_timeout = "31d"

[store]
queue_capacity = 0
retention = "3651d"

[delivery]
retry_schedule = ["5s", "18446744073709551615s"]
max_retry_count = 101
concurrency = 65537
receiver_concurrency = 0

[[listener]]
id = "a"
provider = "smoobu"
account_id = "x"

[[listener.receiver]]
url = "https://example.com/hook"
max_retry_count = 1000
timeout = "720h1s"
"#;
    let (code, stderr) = check(text);
    assert_eq!(code, 1, "{stderr}");
    for line in [
        "FILE:2:19: server.max_connections: 1,000,001 is out of range: must be from 1 to 1,000,000",
        "FILE:3:18: server.header_timeout: `31d` is out of range: must be from 0s to 30 days",
        "FILE:6:18: store.queue_capacity: 0 is out of range: must be from 1 to 1,000,000",
        "FILE:7:13: store.retention: `3651d` is out of range: must be from 0s to 3,650 days",
        "FILE:10:25: delivery.retry_schedule[1]: `18446744073709551615s` is out of range: must be from 0s to 30 days",
        "FILE:11:19: delivery.max_retry_count: 101 is out of range: must be from 0 to 100",
        "FILE:12:15: delivery.concurrency: 65,537 is out of range: must be from 1 to 65,536",
        "FILE:13:24: delivery.receiver_concurrency: 0 is out of range: must be from 1 to 65,536",
        "FILE:22:19: listener[0].receiver[0].max_retry_count: 1,000 is out of range: must be from 0 to 100",
        "FILE:23:11: listener[0].receiver[0].timeout: `720h1s` is out of range: must be from 0s to 30 days",
    ] {
        assert_has(&stderr, line);
    }
    assert_has(&stderr, "FILE: 10 errors");
}

#[test]
fn negative_and_fractional_numbers_are_refused_by_name() {
    let (code, stderr) =
        check("[server]\nmax_connections = -1\n\n[delivery]\nmax_retry_count = -3\n");
    assert_eq!(code, 1, "{stderr}");
    assert_has(
        &stderr,
        "FILE:2:19: server.max_connections: -1 is out of range: must be from 1 to 1,000,000",
    );
    assert_has(
        &stderr,
        "FILE:5:19: delivery.max_retry_count: -3 is out of range: must be from 0 to 100",
    );
    let (code, stderr) = check("[delivery]\nconcurrency = 1.5\n");
    assert_eq!(code, 1, "{stderr}");
    assert_has(
        &stderr,
        "FILE:2:15: concurrency: invalid type: floating point `1.5`",
    );
}

#[test]
fn the_edges_of_every_range_pass() {
    let text = r#"[server]
max_connections = 1000000
header_timeout = "30d"

[store]
queue_capacity = 1000000
retention = "3650d"

[delivery]
retry_schedule = ["720h"]
max_retry_count = 100
concurrency = 65536
receiver_concurrency = 1
"#;
    let (code, stderr) = check(text);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_listener_takes_at_most_100_receivers() {
    let mut text =
        "[[listener]]\nid = \"a\"\nprovider = \"smoobu\"\naccount_id = \"x\"\n".to_string();
    for i in 0..101 {
        text.push_str(&format!(
            "\n[[listener.receiver]]\nurl = \"https://example.com/{i}\"\n"
        ));
    }
    let (code, stderr) = check(&text);
    assert_eq!(code, 1, "{stderr}");
    // The 101st receiver's table starts on line 5 + 3 * 100 + 1.
    assert_has(
        &stderr,
        "FILE:306:1: listener[0].receiver[100]: 101 receivers is out of range: a listener has from 0 to 100",
    );
    let hundred: String = text
        .split("\n[[listener.receiver]]")
        .take(101)
        .collect::<Vec<_>>()
        .join("\n[[listener.receiver]]");
    let (code, stderr) = check(&hundred);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn empty_and_malformed_secrets_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.txt"), "\n").unwrap();
    let text = r#"[[listener]]
id = "a"
provider = "hostaway"
account_id = "x"
required_headers = { "X-Key" = "" }
basic_auth = { username = "", password = { env = "HOOKGATE_TEST_EMPTY" } }
verify_secret = { env = "HOOKGATE_TEST_EMPTY", file = "empty.txt" }

[[listener.receiver]]
url = "https://example.com/hook"
authorization = { file = "empty.txt" }
signing_secret = { vault = "x" }
"#;
    let (code, stderr) = check_in(dir.path(), text, &[("HOOKGATE_TEST_EMPTY", "")]);
    assert_eq!(code, 1, "{stderr}");
    for line in [
        "FILE:5:32: listener[0].required_headers.X-Key: a secret must not be empty",
        "FILE:6:27: listener[0].basic_auth.username: must not be empty",
        "FILE:6:42: listener[0].basic_auth.password: a secret must not be empty",
        "FILE:7:17: listener[0].verify_secret: `env` and `file` together",
        "FILE:11:17: listener[0].receiver[0].authorization: a secret must not be empty",
        "FILE:12:18: listener[0].receiver[0].signing_secret: unknown key `vault`",
    ] {
        assert_has(&stderr, line);
    }
}

#[test]
fn a_secret_file_must_be_a_small_regular_file_and_is_never_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("secret.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    std::fs::write(dir.path().join("big.txt"), "x".repeat(64 * 1024 + 1)).unwrap();
    std::fs::write(dir.path().join("edge.txt"), "x".repeat(64 * 1024)).unwrap();
    let text = r#"[[listener]]
id = "a"
provider = "hostaway"
account_id = "x"
verify_secret = { file = "secret.fifo" }
required_headers = { "X-A" = { file = "/dev/zero" }, "X-B" = { file = "big.txt" }, "X-C" = { file = "edge.txt" } }
"#;
    let started = Instant::now();
    let (code, stderr) = check_in(dir.path(), text, &[]);
    assert!(started.elapsed() < Duration::from_secs(5), "check waited");
    assert_eq!(code, 1, "{stderr}");
    assert_has(&stderr, "FILE:5:17: listener[0].verify_secret: secret file");
    assert_has(&stderr, "secret.fifo` is not a regular file");
    assert_has(
        &stderr,
        "FILE:6:30: listener[0].required_headers.X-A: secret file `/dev/zero` is not a regular file",
    );
    assert_has(&stderr, "big.txt` is larger than 65536 bytes (64 KiB)");
    assert!(
        !stderr.contains("X-C"),
        "64 KiB exactly is accepted: {stderr}"
    );
    assert_has(&stderr, "FILE: 3 errors");
}

#[test]
fn user_info_in_urls_and_private_token_urls_are_refused() {
    let text = r#"[[listener]]
id = "a"
provider = "smoobu"
account_id = "x"

[[listener.receiver]]
url = "https://user:hunter2@example.com/first"

[[listener.receiver]]
url = "https://example.com/hook"
oauth = { token_url = "http://169.254.169.254/latest/meta-data", client_id = "c", client_secret = "s" }

[[listener.receiver]]
url = "https://example.com/other"
oauth = { token_url = "https://id:pw@auth.example.com/token", client_id = "c", client_secret = "s" }
"#;
    let (code, stderr) = check(text);
    assert_eq!(code, 1, "{stderr}");
    assert_has(
        &stderr,
        "FILE:7:7: listener[0].receiver[0].url: a URL with user info (user:password@) is refused",
    );
    assert!(
        !stderr.contains("hunter2"),
        "the password is not repeated: {stderr}"
    );
    assert_has(
        &stderr,
        "FILE:11:23: listener[0].receiver[1].oauth.token_url: 169.254.169.254 is a link-local address",
    );
    assert_has(
        &stderr,
        "FILE:15:23: listener[0].receiver[2].oauth.token_url: a URL with user info",
    );
    // Inside allow_targets, a private token URL is allowed, as a receiver URL is.
    let allowed = format!(
        "[delivery]\nallow_targets = [\"169.254.0.0/16\"]\n\n{}",
        text.split("\n[[listener.receiver]]\nurl = \"https://example.com/other\"")
            .next()
            .unwrap()
            .replace("https://user:hunter2@", "https://")
    );
    let (code, stderr) = check(&allowed);
    assert_eq!(code, 0, "{stderr}");
}
