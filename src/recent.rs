//! The last hour of activity, minute by minute: listener requests by outcome and delivery
//! attempts that failed for good. Kept in memory by this process for the dashboard's overview
//! (the Prometheus counters only ever grow, so they cannot say "in the last hour").

use std::sync::Mutex;

/// Minutes kept: one hour.
pub const MINUTES: usize = 60;

/// What happened in one minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MinuteCounts {
    /// Unix minute (ms / 60 000) these counts belong to.
    pub minute: i64,
    pub accepted: u64,
    pub filtered: u64,
    pub duplicate: u64,
    pub refused: u64,
    /// Deliveries whose last allowed attempt failed (or that were blocked).
    pub failed: u64,
}

/// Which count a listener request adds to, from its `hookgate_events_total` label.
fn request_slot(counts: &mut MinuteCounts, label: &str) {
    match label {
        "accepted" => counts.accepted += 1,
        "filtered" => counts.filtered += 1,
        "duplicate" => counts.duplicate += 1,
        _ => counts.refused += 1,
    }
}

/// A ring of per-minute counts, indexed by minute modulo `MINUTES`.
#[derive(Debug)]
pub struct RecentActivity {
    ring: Mutex<[MinuteCounts; MINUTES]>,
}

impl Default for RecentActivity {
    fn default() -> Self {
        RecentActivity {
            ring: Mutex::new([MinuteCounts::default(); MINUTES]),
        }
    }
}

impl RecentActivity {
    /// The slot of `minute`, emptied first when it still holds an older minute.
    fn with_minute(&self, now_ms: i64, change: impl FnOnce(&mut MinuteCounts)) {
        let minute = now_ms.div_euclid(60_000);
        let mut ring = self.ring.lock().expect("activity lock");
        let slot = &mut ring[minute.rem_euclid(MINUTES as i64) as usize];
        if slot.minute != minute {
            *slot = MinuteCounts {
                minute,
                ..MinuteCounts::default()
            };
        }
        change(slot);
    }

    /// One listener request with its outcome label (`accepted`, `filtered`, `duplicate`, or a
    /// refusal's code).
    pub fn request(&self, now_ms: i64, label: &str) {
        self.with_minute(now_ms, |c| request_slot(c, label));
    }

    /// One delivery attempt with its outcome label; only `failed` and `blocked` are counted.
    pub fn attempt(&self, now_ms: i64, outcome: &str) {
        if matches!(outcome, "failed" | "blocked") {
            self.with_minute(now_ms, |c| c.failed += 1);
        }
    }

    /// The last `MINUTES` minutes up to and including the one of `now_ms`, oldest first; a
    /// minute without activity is all zeros.
    pub fn last_hour(&self, now_ms: i64) -> Vec<MinuteCounts> {
        let current = now_ms.div_euclid(60_000);
        let ring = self.ring.lock().expect("activity lock");
        (current - MINUTES as i64 + 1..=current)
            .map(|minute| {
                let slot = ring[minute.rem_euclid(MINUTES as i64) as usize];
                if slot.minute == minute {
                    slot
                } else {
                    MinuteCounts {
                        minute,
                        ..MinuteCounts::default()
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
