//! Receiver health in memory: unbroken failure runs, pauses after `pause_after`, recoveries.

use crate::store::health::ReceiverHealth;
use dashmap::DashMap;

/// What an attempt's result changed about its receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The first failure after a success (or ever).
    StartedFailing,
    /// Failing for longer than `pause_after`: stop attempting until resumed.
    Paused { failing_since: i64 },
    /// A success after failures.
    Recovered { failing_since: i64 },
}

/// The health of every receiver that is failing or paused; healthy ones are absent.
#[derive(Default)]
pub struct HealthBook {
    map: DashMap<String, ReceiverHealth>,
    /// Paused receivers whose pause has been seen in the store (several instances on one
    /// store): gone from there, it was lifted by another instance.
    stored_pauses: dashmap::DashSet<String>,
}

impl HealthBook {
    /// Starts from what the store remembers.
    pub fn load(entries: Vec<(String, ReceiverHealth)>) -> HealthBook {
        HealthBook {
            map: entries.into_iter().collect(),
            stored_pauses: Default::default(),
        }
    }

    pub fn is_paused(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|h| h.paused_at.is_some())
    }

    pub fn paused_keys(&self) -> Vec<String> {
        self.map
            .iter()
            .filter(|e| e.paused_at.is_some())
            .map(|e| e.key().clone())
            .collect()
    }

    pub fn get(&self, key: &str) -> ReceiverHealth {
        self.map.get(key).map(|h| h.clone()).unwrap_or_default()
    }

    /// Notes an attempt's result and says what changed.
    pub fn on_result(
        &self,
        key: &str,
        ok: bool,
        now_ms: i64,
        pause_after_ms: i64,
    ) -> Option<Transition> {
        if ok {
            let (_, old) = self.map.remove(key)?;
            return old.failing_since.map(|since| Transition::Recovered {
                failing_since: since,
            });
        }
        let mut entry = self.map.entry(key.to_string()).or_default();
        match entry.failing_since {
            None => {
                entry.failing_since = Some(now_ms);
                Some(Transition::StartedFailing)
            }
            Some(since) if entry.paused_at.is_none() && now_ms - since >= pause_after_ms => {
                entry.paused_at = Some(now_ms);
                Some(Transition::Paused {
                    failing_since: since,
                })
            }
            Some(_) => None,
        }
    }

    /// Takes in the receiver health recorded in the store by every instance: a receiver paused
    /// there is paused here, and one paused here but no longer there was resumed elsewhere
    /// (unless this instance paused it within `settle_ms` of `now_ms` and the store never
    /// showed it yet). A failure run here that began later than the stored one is counted from
    /// the stored start, so every instance pauses a failing receiver after the same
    /// `pause_after`. Returns the keys newly paused here.
    pub fn sync_pauses(
        &self,
        stored: Vec<(String, ReceiverHealth)>,
        now_ms: i64,
        settle_ms: i64,
    ) -> Vec<String> {
        self.join_failure_runs(&stored);
        let stored: std::collections::HashMap<String, ReceiverHealth> = stored
            .into_iter()
            .filter(|(_, h)| h.paused_at.is_some())
            .collect();
        self.map.retain(|key, h| match h.paused_at {
            Some(at) => {
                stored.contains_key(key)
                    || (!self.stored_pauses.contains(key) && now_ms - at < settle_ms)
            }
            None => true,
        });
        self.stored_pauses.retain(|key| stored.contains_key(key));
        let mut paused = Vec::new();
        for (key, health) in stored {
            self.stored_pauses.insert(key.clone());
            if !self.is_paused(&key) {
                self.map.insert(key.clone(), health);
                paused.push(key);
            }
        }
        paused
    }

    /// Moves the start of each failure run here back to the stored one where that is earlier.
    fn join_failure_runs(&self, stored: &[(String, ReceiverHealth)]) {
        for (key, health) in stored {
            let Some(stored_since) = health.failing_since else {
                continue;
            };
            if let Some(mut local) = self.map.get_mut(key) {
                if local.paused_at.is_none()
                    && local
                        .failing_since
                        .is_some_and(|since| since > stored_since)
                {
                    local.failing_since = Some(stored_since);
                }
            }
        }
    }

    /// Lifts a pause; the failure run starts again from the next failure. True if it was paused.
    pub fn resume(&self, key: &str) -> bool {
        self.stored_pauses.remove(key);
        self.map
            .remove(key)
            .is_some_and(|(_, h)| h.paused_at.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_then_paused_then_recovered() {
        let book = HealthBook::default();
        assert_eq!(
            book.on_result("r", false, 1_000, 5_000),
            Some(Transition::StartedFailing)
        );
        assert_eq!(book.on_result("r", false, 3_000, 5_000), None);
        assert!(!book.is_paused("r"));
        assert_eq!(
            book.on_result("r", false, 6_000, 5_000),
            Some(Transition::Paused {
                failing_since: 1_000
            })
        );
        assert!(book.is_paused("r"));
        assert_eq!(book.paused_keys(), vec!["r".to_string()]);
        assert!(book.resume("r"));
        assert!(!book.is_paused("r"));
        assert_eq!(
            book.on_result("r", false, 7_000, 5_000),
            Some(Transition::StartedFailing)
        );
        assert_eq!(
            book.on_result("r", true, 8_000, 5_000),
            Some(Transition::Recovered {
                failing_since: 7_000
            })
        );
        assert_eq!(book.on_result("r", true, 9_000, 5_000), None);
    }

    #[test]
    fn pauses_follow_the_store_but_a_fresh_local_one_waits_for_it() {
        let book = HealthBook::default();
        let paused = |at| ReceiverHealth {
            failing_since: Some(0),
            paused_at: Some(at),
        };
        // Paused by another instance: paused here too.
        let new = book.sync_pauses(vec![("a".into(), paused(1_000))], 2_000, 5_000);
        assert_eq!(new, vec!["a".to_string()]);
        assert!(book.is_paused("a"));
        // Paused here just now, not yet in the store: kept. Gone from the store: resumed.
        book.on_result("b", false, 1_000, 100);
        book.on_result("b", false, 2_000, 100);
        assert!(book.is_paused("b"));
        assert!(book.sync_pauses(Vec::new(), 3_000, 5_000).is_empty());
        assert!(!book.is_paused("a"), "resumed elsewhere, still paused here");
        assert!(book.is_paused("b"), "a fresh pause was lifted");
        book.sync_pauses(Vec::new(), 9_000, 5_000);
        assert!(!book.is_paused("b"));
    }

    #[test]
    fn a_failure_run_counts_from_the_earliest_instance() {
        let book = HealthBook::default();
        let failing = |since| ReceiverHealth {
            failing_since: Some(since),
            paused_at: None,
        };
        book.on_result("r", false, 5_000, 10_000);
        // Another instance has seen it failing since 1,000: the run here is that run.
        book.sync_pauses(vec![("r".into(), failing(1_000))], 6_000, 5_000);
        assert_eq!(book.get("r").failing_since, Some(1_000));
        assert_eq!(
            book.on_result("r", false, 11_000, 10_000),
            Some(Transition::Paused {
                failing_since: 1_000
            })
        );
        // A later stored start changes nothing, nor does a receiver healthy here.
        book.sync_pauses(vec![("s".into(), failing(1_000))], 12_000, 5_000);
        assert_eq!(book.get("s"), ReceiverHealth::default());
    }
}
