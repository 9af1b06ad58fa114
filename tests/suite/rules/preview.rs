//! `hookgate preview`: per fixture and receiver, delivered or not and the body it would get,
//! with no gateway running.

use std::process::Command;

const CONFIG: &str = r#"
[delivery]
allow_targets = ["127.0.0.0/8"]

[[listener]]
id = "h1"
provider = "hostaway"
account_id = "6eabebf8-d74c-4175-ae60-df798e62aeec"
event_subscription = { "reservation.created" = true, "reservation.updated" = true }

[[listener.receiver]]
url = "http://127.0.0.1:9000/new"
filter = '.data.status == "new"'
transform = '{id: .data.id, nights: .data.nights, type: $event_type}'

[[listener.receiver]]
url = "http://127.0.0.1:9000/cancelled"
filter = '.data.status == "cancelled"'

[[listener.receiver]]
url = "http://127.0.0.1:9000/messages"
events = ["message.received"]

[[listener]]
id = "other"
provider = "hostaway"
account_id = "other"

[[listener.receiver]]
url = "http://127.0.0.1:9000/other"
transform = '.data.id | tostring | error'
"#;

fn preview(args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listeners.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let fixtures = format!("{}/fixtures/hostaway", env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hookgate"));
    cmd.arg("preview").arg("--config").arg(&path).args(args);
    for name in [
        "reservation.created.json",
        "reservation.cancelled.json",
        "ping.json",
    ] {
        cmd.arg(format!("{fixtures}/{name}"));
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code().unwrap(),
        text + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn preview_shows_each_receiver_and_its_body() {
    let (code, out) = preview(&[]);
    assert_eq!(code, 0, "{out}");
    let expected = [
        "hostaway/reservation.created.json: listener h1 (hostaway/6eabebf8-d74c-4175-ae60-df798e62aeec), event type reservation.created",
        "  http://127.0.0.1:9000/new: delivered (application/json)",
        r#"    {"id":49264388,"nights":4,"type":"reservation.created"}"#,
        "  http://127.0.0.1:9000/cancelled: not delivered (its filter does not match)",
        "  http://127.0.0.1:9000/messages: not delivered (not in its events)",
        "hostaway/reservation.cancelled.json: listener h1 (hostaway/6eabebf8-d74c-4175-ae60-df798e62aeec), event type reservation.updated",
        "  http://127.0.0.1:9000/new: not delivered (its filter does not match)",
        "  http://127.0.0.1:9000/cancelled: delivered (application/json)",
        "hostaway/ping.json: listener h1 (hostaway/6eabebf8-d74c-4175-ae60-df798e62aeec), event type (none)",
        "  filtered: the listener does not subscribe to this event type",
    ];
    let lines: Vec<&str> = out.lines().collect();
    for line in expected {
        assert!(lines.contains(&line), "missing {line:?} in\n{out}");
    }
    // The cancelled reservation goes as it came: the stored body, untouched.
    assert!(out.contains(r#""status":"cancelled""#), "{out}");
}

#[test]
fn preview_on_a_chosen_listener_shows_a_failing_transform() {
    let (code, out) = preview(&["--listener", "other"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("  http://127.0.0.1:9000/other: delivery fails: transform_failed: the program failed: \"49264388\""),
        "{out}"
    );
    let (code, out) = preview(&["--listener", "nobody"]);
    assert_eq!(code, 1);
    assert!(out.contains("no listener with id \"nobody\""), "{out}");
}
