//! Test helpers: the real gateway binary, a recording receiver and a raw HTTP client.

#![allow(dead_code, unused_imports)]

pub mod admin;
pub mod client;
pub mod db;
pub mod gateway;
pub mod receiver;

pub use client::{post, post_from, Answer};
pub use gateway::Gateway;
pub use receiver::Receiver;

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
