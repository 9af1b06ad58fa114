//! A reload never holds up a stop: SIGTERM during a reload that cannot finish still exits.

use crate::common::Gateway;
use std::time::Duration;

const CONFIG: &str = r#"
[store]
url = "{STORE}"

[[listener]]
id = "l"
provider = "smoobu"
account_id = "a"
"#;

#[tokio::test]
async fn sigterm_during_a_reload_on_a_fifo_secret_exits_promptly() {
    let mut gw = Gateway::start(CONFIG);
    let fifo = gw.dir.path().join("secret.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Nothing ever writes to the FIFO: a reload that opened it for reading would wait forever.
    gw.rewrite_config(&format!(
        "{CONFIG}verify_secret = {{ file = \"{}\" }}\n",
        fifo.display()
    ));
    gw.signal("HUP");
    tokio::time::sleep(Duration::from_millis(500)).await;
    gw.signal("TERM");
    assert_eq!(
        gw.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        gw.log_text()
    );
}
