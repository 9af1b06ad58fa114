//! A full disk: ingest answers 503 instead of acknowledging, readiness says why,
//! and both recover by themselves when the disk does. The store lives on a small tmpfs.
//!
//! SQLite-only: the disk that fills up is the one holding the SQLite file.

use crate::common::{get_open, post, wait_until, Gateway, Receiver};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A tmpfs of `size` mounted in a temp dir, unmounted on drop.
struct SmallDisk {
    _dir: tempfile::TempDir,
    mount: PathBuf,
}

impl SmallDisk {
    fn new(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mount = dir.path().join("disk");
        std::fs::create_dir(&mount).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { _dir: dir, mount })
    }

    /// Fills the free space with a file.
    fn fill(&self) -> PathBuf {
        let path = self.mount.join("filler");
        let _ = Command::new("dd")
            .arg("if=/dev/zero")
            .arg(format!("of={}", path.display()))
            .args(["bs=64k"])
            .output();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

fn config(db: &Path, receiver: &str) -> String {
    format!(
        "[store]\nurl = \"sqlite://{}\"\n[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n[[listener]]\nid = \"l\"\nprovider = \"smoobu\"\naccount_id = \"a\"\n[[listener.receiver]]\nurl = \"{receiver}\"\n",
        db.display()
    )
}

async fn ready(gw: &Gateway) -> u16 {
    get_open(gw.admin, "/readyz").await.status.as_u16()
}

async fn ingest(gw: &Gateway, n: u32) -> crate::common::Answer {
    post(
        gw.public,
        &gw.url("smoobu/a"),
        &[],
        format!(r#"{{"action":"x","n":{n},"pad":"{}"}}"#, "x".repeat(2000)),
    )
    .await
}

#[tokio::test]
async fn read_only_and_full_disks_answer_503_and_recover() {
    if !crate::common::store::is_sqlite() {
        eprintln!("SKIPPED: the full disk holds a SQLite file; the suite runs on another store");
        return;
    }
    let Some(disk) = SmallDisk::new("3m") else {
        eprintln!("SKIPPED: this machine does not let the test mount a tmpfs");
        return;
    };
    let receiver = Receiver::start().await;
    let gw = Gateway::start(&config(
        &disk.mount.join("hookgate.db"),
        &receiver.url("/r"),
    ));
    let mut accepted = 0;
    assert_eq!(ingest(&gw, 0).await.status, 200);
    accepted += 1;
    assert_eq!(ready(&gw).await, 200);
    // (A read-only remount is refused while the database is open, so a full disk stands for
    // every "the store cannot write" failure here.)
    let filler = disk.fill();
    let mut refused = 0;
    for n in 3..40 {
        match ingest(&gw, n).await.status.as_u16() {
            200 => accepted += 1,
            503 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(refused > 0, "a full disk must refuse");
    assert_eq!(ready(&gw).await, 503);
    std::fs::remove_file(filler).unwrap();
    assert!(
        wait_until_ready(&gw).await,
        "readiness did not come back after space returned"
    );
    assert_eq!(ingest(&gw, 99).await.status, 200);
    accepted += 1;

    // Everything acknowledged arrives; nothing refused was half-kept.
    assert!(
        wait_until(Duration::from_secs(30), || receiver.count() >= accepted).await,
        "{} of {accepted}",
        receiver.count()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.count(), accepted);
}

async fn wait_until_ready(gw: &Gateway) -> bool {
    for _ in 0..100 {
        if ready(gw).await == 200 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
