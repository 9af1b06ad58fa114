//! Sustained load: wrk at full speed for minutes against one gateway with one receiver, read
//! every window — events accepted and delivered in that window, deliveries still pending at
//! its end — to show whether the rate declines as the store grows and whether a backlog builds
//! while the receiver keeps up.

use super::{deliveries_counted, http_get, metric, Ctx, Res};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// One window's figures.
pub(super) struct Window {
    pub accepted_per_s: f64,
    pub delivered_per_s: f64,
    /// `hookgate_pending_deliveries` at the window's end.
    pub pending: f64,
}

/// Counters read at one moment.
#[derive(Clone, Copy)]
struct Reading {
    at: Instant,
    accepted: f64,
    delivered: f64,
    pending: f64,
}

/// Runs wrk for `secs` seconds, reading the gateway and the receiver every `window` seconds.
pub(super) fn measure(ctx: &Ctx, secs: u32, window: u32) -> Res<Vec<Window>> {
    let dir = ctx.work.join("soak");
    let _ = std::fs::remove_dir_all(&dir);
    let (mut recv, addrs) = ctx.receiver(&["127.0.0.1:0"])?;
    let config = ctx.config(&dir, 1, &addrs, &[])?;
    let mut gw = ctx.gateway(&config)?;
    let url = format!("http://{}/api/v1/listener/bench/acct-0", gw.public);
    let read = || Reading {
        at: Instant::now(),
        accepted: metric(
            &http_get(&gw.admin, "/metrics").unwrap_or_default(),
            "hookgate_events_total",
            "accepted",
        ),
        delivered: deliveries_counted(&addrs[0]),
        pending: metric(
            &http_get(&gw.admin, "/metrics").unwrap_or_default(),
            "hookgate_pending_deliveries",
            "",
        ),
    };
    let windows = std::thread::scope(|scope| {
        let load = scope.spawn(|| ctx.wrk(&url, secs));
        let mut last = read();
        let mut windows = Vec::new();
        for _ in 0..secs / window {
            std::thread::sleep(Duration::from_secs(u64::from(window)));
            let now = read();
            windows.push(between(&last, &now));
            last = now;
        }
        load.join()
            .map_err(|_| "wrk thread panicked".to_string())?
            .map(|_| windows)
    });
    gw.proc.stop(Duration::from_secs(30));
    recv.stop(Duration::from_secs(5));
    windows
}

fn between(a: &Reading, b: &Reading) -> Window {
    let secs = b.at.duration_since(a.at).as_secs_f64().max(1e-3);
    Window {
        accepted_per_s: (b.accepted - a.accepted) / secs,
        delivered_per_s: (b.delivered - a.delivered) / secs,
        pending: b.pending,
    }
}

/// The windows as JSON for results.json.
pub(super) fn detail(windows: &[Window]) -> Value {
    let rows: Vec<Value> = windows
        .iter()
        .map(|w| {
            json!({"accepted_per_s": w.accepted_per_s.round(),
                   "delivered_per_s": w.delivered_per_s.round(),
                   "pending": w.pending})
        })
        .collect();
    Value::Array(rows)
}
