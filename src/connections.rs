//! Open connections of one server: which are idle and since when, so that idle ones close
//! after `idle_timeout` and, at `max_connections`, the one idle longest makes room for a new
//! client (idle clients can never lock out active ones).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Every open connection of a server.
pub(crate) struct ConnectionBook {
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
}

/// One open connection: its requests in progress and when it last had none.
pub(crate) struct Connection {
    id: u64,
    book: Arc<ConnectionBook>,
    active: AtomicUsize,
    /// Milliseconds after the book's epoch when the last request ended (or the connection opened).
    idle_since_ms: AtomicU64,
    /// Told to close: evicted for a new client.
    close: Notify,
    evicted: AtomicBool,
}

impl ConnectionBook {
    pub fn new() -> Arc<ConnectionBook> {
        Arc::new(ConnectionBook {
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        })
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Records a new connection; it leaves the book when the returned handle's `OpenGuard` drops.
    pub fn open(self: &Arc<Self>) -> (Arc<Connection>, OpenGuard) {
        let conn = Arc::new(Connection {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            book: self.clone(),
            active: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(self.now_ms()),
            close: Notify::new(),
            evicted: AtomicBool::new(false),
        });
        self.lock().insert(conn.id, conn.clone());
        (conn.clone(), OpenGuard(conn))
    }

    /// Tells the connection idle longest to close; false when every connection is busy.
    pub fn evict_longest_idle(&self) -> bool {
        let open = self.lock();
        let victim = open
            .values()
            .filter(|c| c.active.load(Ordering::Acquire) == 0 && !c.evicted.load(Ordering::Acquire))
            .min_by_key(|c| c.idle_since_ms.load(Ordering::Acquire));
        match victim {
            Some(c) => {
                c.evicted.store(true, Ordering::Release);
                c.close.notify_one();
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Takes the connection out of the book when its task ends.
pub(crate) struct OpenGuard(Arc<Connection>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.book.lock().remove(&self.0.id);
    }
}

/// A request in progress; the connection is idle again when the last one drops.
pub(crate) struct Busy(Arc<Connection>);

impl Drop for Busy {
    fn drop(&mut self) {
        let c = &self.0;
        c.idle_since_ms.store(c.book.now_ms(), Ordering::Release);
        c.active.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Connection {
    /// Marks a request as in progress until the returned guard drops.
    pub fn busy(self: &Arc<Self>) -> Busy {
        self.active.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }

    /// Resolves when the connection should close: idle for `idle_timeout`, or evicted.
    pub async fn should_close(&self, idle_timeout: Duration) {
        tokio::select! {
            _ = self.close.notified() => {}
            _ = self.idle_expired(idle_timeout) => {}
        }
    }

    async fn idle_expired(&self, idle_timeout: Duration) {
        let limit = idle_timeout.as_millis() as u64;
        loop {
            let wait = if self.active.load(Ordering::Acquire) > 0 {
                limit
            } else {
                let idle = self
                    .book
                    .now_ms()
                    .saturating_sub(self.idle_since_ms.load(Ordering::Acquire));
                if idle >= limit {
                    return;
                }
                limit - idle
            };
            tokio::time::sleep(Duration::from_millis(wait.max(1))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_longest_idle_connection_is_evicted_and_busy_ones_never() {
        let book = ConnectionBook::new();
        let (old, _g1) = book.open();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (young, _g2) = book.open();
        let busy = young.busy();
        assert!(book.evict_longest_idle());
        assert!(old.evicted.load(Ordering::Acquire));
        assert!(!book.evict_longest_idle(), "the other one is busy");
        drop(busy);
        assert!(book.evict_longest_idle());
        tokio::time::timeout(
            Duration::from_secs(1),
            young.should_close(Duration::from_secs(60)),
        )
        .await
        .expect("evicted connections are told to close");
    }

    #[tokio::test]
    async fn idle_connections_expire_and_busy_ones_do_not() {
        let book = ConnectionBook::new();
        let (conn, _g) = book.open();
        let busy = conn.busy();
        let waited = tokio::time::timeout(
            Duration::from_millis(100),
            conn.should_close(Duration::from_millis(20)),
        )
        .await;
        assert!(waited.is_err(), "a busy connection is not idle");
        drop(busy);
        tokio::time::timeout(
            Duration::from_millis(200),
            conn.should_close(Duration::from_millis(20)),
        )
        .await
        .expect("closed once idle");
    }
}
