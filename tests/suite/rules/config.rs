//! A jq program that does not compile, a handshake without its secret and a custom answer
//! that is not 2xx are config errors naming file, line, column and key.

use std::process::Command;

fn check(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listeners.toml");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hookgate"))
        .arg("check")
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).replace(&path.display().to_string(), "FILE");
    (out.status.code().unwrap(), text)
}

#[test]
fn program_errors_point_inside_the_program() {
    let (code, errors) = check(
        r#"[[listener]]
id = "l1"
provider = "hostaway"
account_id = "a"

[[listener.receiver]]
url = "https://example.com/a"
filter = '.data.status == "new" and $nope'
transform = """
{id: .data.id,
 x: }"""

[[listener.receiver]]
url = "https://example.com/b"
filter = ".a == \"b\" and env.HOME"
"#,
    );
    assert_eq!(code, 1, "{errors}");
    assert!(
        errors.contains(
            "FILE:8:37: listener[0].receiver[0].filter: jq program: undefined variable `$nope`"
        ),
        "{errors}"
    );
    assert!(
        errors.contains("FILE:11:5: listener[0].receiver[0].transform: jq program: expected"),
        "{errors}"
    );
    // `env` would read the gateway's environment: it is not there.
    assert!(
        errors.contains(
            "FILE:15:27: listener[0].receiver[1].filter: jq program: undefined filter `env`"
        ),
        "{errors}"
    );
}

#[test]
fn handshake_and_answer_errors_name_their_keys() {
    let (code, errors) = check(
        r#"[[listener]]
id = "l1"
provider = "smoobu"
account_id = "a"
handshake = "twitter"
response = { status = 302, body = "moved" }

[[listener]]
id = "l2"
provider = "smoobu"
account_id = "b"
handshake = "carrier-pigeon"
handshake_secret = "x"
response = { status = 200, headers = { "Content-Length" = "1" } }
"#,
    );
    assert_eq!(code, 1, "{errors}");
    for expected in [
        "FILE:5:13: listener[0].handshake_secret: the `twitter` handshake needs handshake_secret",
        "FILE:6:23: listener[0].response.status: 302 is out of range",
        "FILE:12:13: listener[1].handshake: `carrier-pigeon` is not one of none, slack, meta, zoom, microsoft-graph, twitter, dropbox",
        "FILE:13:20: listener[1].handshake_secret:",
        "FILE:14:59: listener[1].response.headers.Content-Length:",
    ] {
        assert!(errors.contains(expected), "{expected}\n{errors}");
    }
}
