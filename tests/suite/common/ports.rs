//! Ports that are free now and that no `127.0.0.1:0` bind will be handed meanwhile.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};

/// Below the kernel's ephemeral range (32768 and up by default), so the gateways and receivers
/// that other tests start on port 0 at the same time cannot take a port handed out here.
const FIRST: u32 = 20_000;
const COUNT: u32 = 12_000;

static HANDED_OUT: AtomicU32 = AtomicU32::new(0);

/// A loopback address nothing listens on, for a receiver the test starts later.
pub fn free_port() -> SocketAddr {
    // Start at a spot that depends on the process, so suites running at once spread out.
    let start = std::process::id() % COUNT;
    loop {
        let n = HANDED_OUT.fetch_add(1, Ordering::SeqCst);
        let port = FIRST + (start + n) % COUNT;
        let addr = SocketAddr::from(([127, 0, 0, 1], port as u16));
        if TcpListener::bind(addr).is_ok() {
            return addr;
        }
    }
}
