//! Instructions per delivered event: the release gateway under `valgrind --tool=callgrind`, a
//! fixed number of events from a fixed client, every delivery counted at the receiver, then the
//! instructions executed meanwhile (all threads, user space) divided by the number of events.
//! Unlike a rate it does not move with what else runs on the machine.

use super::{http_get, Ctx, Proc, Res};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// What one measurement found.
pub(super) struct Cost {
    pub events: u64,
    pub instructions: f64,
}

/// Runs `events` events through a callgrind-instrumented gateway with one receiver.
pub(super) fn measure(ctx: &mut Ctx, events: u64) -> Res<Cost> {
    let dir = ctx.work.join("cost");
    let _ = std::fs::remove_dir_all(&dir);
    let (mut recv, addrs) = ctx.receiver(&["127.0.0.1:0"])?;
    let config = ctx.config(&dir, 1, &addrs, &[])?;
    let out = dir.join("callgrind.out");
    let wrapper = vec![
        "valgrind".to_string(),
        "--tool=callgrind".into(),
        // Start-up is not counted: instrumentation is switched on once it listens.
        "--instr-atstart=no".into(),
        format!("--callgrind-out-file={}", out.display()),
    ];
    let mut gw = ctx.gateway_wrapped(&config, &wrapper)?;
    let pid = gw.proc.pid().to_string();
    control(&["-i", "on", &pid])?;
    let url = format!("http://{}/api/v1/listener/bench/acct-0", gw.public);
    // Faster than the instrumented gateway can take, on 16 connections: a closed loop in effect.
    ctx.load(&url, events as f64, 1.0, 16)?;
    wait_delivered(&addrs[0], events, &recv)?;
    control(&["-d", &pid])?;
    gw.proc.stop(Duration::from_secs(60));
    recv.stop(Duration::from_secs(5));
    let instructions = total_instructions(&dir)?;
    Ok(Cost {
        events,
        instructions,
    })
}

fn control(args: &[&str]) -> Res<()> {
    let st = Command::new("callgrind_control")
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("callgrind_control: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("callgrind_control {args:?}: {st}"))
    }
}

/// Waits (bounded) until the receiver has counted `n` deliveries.
fn wait_delivered(addr: &str, n: u64, recv: &Proc) -> Res<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let stats: Value = serde_json::from_str(&http_get(addr, "/stats")?)
            .map_err(|e| format!("receiver stats: {e}"))?;
        if stats["deliveries"].as_u64().unwrap_or(0) >= n {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {n} deliveries arrived; receiver: {}",
                stats["deliveries"],
                recv.last_lines()
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Sums the `summary:`/`totals:` instruction counts of the dumps asked for (`callgrind.out.N`);
/// the one written at exit (`callgrind.out`) holds the shutdown and is left out.
fn total_instructions(dir: &Path) -> Res<f64> {
    let mut total = 0.0;
    let mut files = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.starts_with("callgrind.out.") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let line = text
            .lines()
            .find(|l| l.starts_with("summary:"))
            .or_else(|| text.lines().find(|l| l.starts_with("totals:")));
        if let Some(n) = line.and_then(|l| l.split_whitespace().nth(1)) {
            total += n.parse::<f64>().map_err(|e| e.to_string())?;
            files += 1;
        }
    }
    if files == 0 {
        return Err(format!("callgrind wrote no dump in {}", dir.display()));
    }
    Ok(total)
}
