//! Loopback ports for the suite's own servers, taken below the kernel's ephemeral range.
//!
//! Gateways (here and in any other test run on the machine) bind port 0 and get ephemeral
//! ports, and some tests elsewhere hand out "free" ephemeral ports that a gateway delivers to
//! before anything listens there. Receivers that also took ephemeral ports could be handed
//! such a port and get a stranger's deliveries; ports from this range cannot.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};

/// Below the ephemeral range (32768 and up by default).
const FIRST: u32 = 20_000;
const COUNT: u32 = 12_000;

static HANDED_OUT: AtomicU32 = AtomicU32::new(0);

/// The next port of the range, from a spot that depends on the process so that suites
/// running at once spread out.
fn next_port() -> u16 {
    let start = std::process::id() % COUNT;
    let n = HANDED_OUT.fetch_add(1, Ordering::SeqCst);
    (FIRST + (start + n) % COUNT) as u16
}

/// A loopback address nothing listens on, for a receiver the test starts later.
pub fn free_port() -> SocketAddr {
    loop {
        let addr = SocketAddr::from(([127, 0, 0, 1], next_port()));
        if TcpListener::bind(addr).is_ok() {
            return addr;
        }
    }
}

/// A listening socket on a loopback port of the range, for a test's own server.
pub async fn listen() -> tokio::net::TcpListener {
    loop {
        let addr = SocketAddr::from(([127, 0, 0, 1], next_port()));
        if let Ok(listener) = tokio::net::TcpListener::bind(addr).await {
            return listener;
        }
    }
}
