//! Fresh deliveries that found their receiver (or the dispatcher) at its concurrency limit wait
//! here, in memory and in arrival order, so a busy but healthy receiver never costs a read back
//! from the store.
//!
//! Memory is only a cache: every queued delivery is already committed as pending, so a restart
//! simply forgets the queues. The queues are bounded; a delivery that finds its queue full is
//! left to the store's due path, and its receiver is then marked as *spilled*: it queues nothing
//! more in memory until the store has handed back its spilled rows, so its deliveries keep their
//! order and none waits behind a queue that keeps refilling.

use crate::store::DeliveryJob;
use std::collections::{HashMap, HashSet, VecDeque};

/// Most deliveries one receiver may have waiting in memory.
pub(super) const PER_RECEIVER: usize = 4096;
/// Most deliveries waiting in memory in all (about 1 KiB of event each, shared by fan-out).
pub(super) const TOTAL: usize = 16_384;

/// The per-receiver queues, keyed by `receiver_key`, of deliveries (with whatever the
/// dispatcher keeps beside each while it waits: its lease on a shared store).
pub(super) struct Overflow<T = DeliveryJob> {
    queues: HashMap<String, VecDeque<T>>,
    /// Receivers with queued deliveries, in the order they are served when any slot frees.
    ready: VecDeque<String>,
    total: usize,
    /// Receivers with deliveries left in the store because their queue was full.
    spilled: HashSet<String>,
}

impl<T> Default for Overflow<T> {
    fn default() -> Self {
        Overflow {
            queues: HashMap::new(),
            ready: VecDeque::new(),
            total: 0,
            spilled: HashSet::new(),
        }
    }
}

impl<T> Overflow<T> {
    /// Queues `job` for `key`, or hands it back when it must stay in the store (the receiver's
    /// queue or all queues are full, or the receiver already has deliveries there).
    pub(super) fn push(&mut self, key: &str, job: T) -> Result<(), T> {
        if self.spilled.contains(key) {
            return Err(job);
        }
        let queue = self.queues.get(key);
        let queued = queue.map_or(0, VecDeque::len);
        if queued >= PER_RECEIVER || self.total >= TOTAL {
            self.spilled.insert(key.to_string());
            return Err(job);
        }
        if queued == 0 {
            self.ready.push_back(key.to_string());
        }
        self.queues
            .entry(key.to_string())
            .or_default()
            .push_back(job);
        self.total += 1;
        Ok(())
    }

    /// The oldest queued delivery of `key`.
    pub(super) fn pop(&mut self, key: &str) -> Option<T> {
        let queue = self.queues.get_mut(key)?;
        let job = queue.pop_front();
        if job.is_some() {
            self.total -= 1;
        }
        if queue.is_empty() {
            self.queues.remove(key);
            self.ready.retain(|k| k != key);
        }
        job
    }

    /// The oldest queued delivery of the first receiver, in turn, that `has_room` admits.
    pub(super) fn pop_any(
        &mut self,
        mut has_room: impl FnMut(&str) -> bool,
    ) -> Option<(String, T)> {
        for _ in 0..self.ready.len() {
            let key = self.ready.pop_front()?;
            self.ready.push_back(key.clone());
            if has_room(&key) {
                let job = self.pop(&key)?;
                return Some((key, job));
            }
        }
        None
    }

    /// True when `key` has deliveries waiting in memory.
    pub(super) fn has(&self, key: &str) -> bool {
        self.queues.contains_key(key)
    }

    /// Receivers with deliveries waiting in memory: the store must not hand out theirs.
    pub(super) fn busy_keys(&self) -> impl Iterator<Item = &String> {
        self.queues.keys()
    }

    /// True when some receiver has deliveries only the store holds.
    pub(super) fn any_spilled(&self) -> bool {
        !self.spilled.is_empty()
    }

    /// Receivers with deliveries only the store holds.
    pub(super) fn spilled_keys(&self) -> impl Iterator<Item = &String> {
        self.spilled.iter()
    }

    /// True when `key` has deliveries only the store holds.
    pub(super) fn is_spilled(&self, key: &str) -> bool {
        self.spilled.contains(key)
    }

    /// The store holds deliveries of `key` that memory does not (a retry fell due, or a poll
    /// could not take all that was due): queue nothing more until they are handed back.
    pub(super) fn spill(&mut self, key: &str) {
        if !self.spilled.contains(key) {
            self.spilled.insert(key.to_string());
        }
    }

    /// The store has handed back everything `key` had spilled: queue in memory again.
    pub(super) fn store_drained(&mut self, key: &str) {
        self.spilled.remove(key);
    }

    /// Forgets a receiver's queue (it was paused: its deliveries are held in the store).
    pub(super) fn forget(&mut self, key: &str) -> usize {
        let n = self.queues.remove(key).map_or(0, |q| q.len());
        self.total -= n;
        self.ready.retain(|k| k != key);
        n
    }

    /// Deliveries waiting in memory.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.total
    }

    /// True when no delivery waits in memory.
    pub(super) fn is_empty(&self) -> bool {
        self.total == 0
    }
}

#[cfg(test)]
mod tests;
