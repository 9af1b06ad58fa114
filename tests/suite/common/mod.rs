//! Test helpers: the real gateway binary, a recording receiver, a raw HTTP client, the store
//! the gateway is given, and readers of what the management API answers.

pub mod admin;
pub mod client;
pub mod db;
pub mod events;
pub mod gateway;
pub mod ports;
pub mod receiver;
pub mod store;

pub use client::{get_open, post, post_from, Answer};
pub use gateway::Gateway;
pub use receiver::Receiver;

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `check` until it holds or `limit` passes; returns whether it held.
pub async fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}

/// Like `wait_until`, for checks that have to await (asking the management API).
pub async fn wait_for<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check().await
}
