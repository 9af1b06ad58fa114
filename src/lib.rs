//! hookgate: an inbound webhook listener and relay gateway.
//!
//! The data path: `server` accepts connections → `ingress` finds the listener,
//! runs the checks and the subscription filter → `store` commits the event and
//! its deliveries in a group-committed transaction → 200 → `delivery` sends
//! them to the receivers with retries, recording every attempt.
//!
//! `commands` holds what the `hookgate` binary runs (serve, check, replay, sink); the other
//! modules are the library those commands are built from.

// One exception, in `memory`: a call into glibc that has no safe wrapper.
#![deny(unsafe_code)]

pub mod accept;
pub mod admin;
pub mod app;
pub mod commands;
pub mod config;
mod connections;
pub mod delivery;
pub mod health;
pub mod http_util;
pub mod ingress;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod netguard;
pub mod registry;
pub mod retention;
pub mod server;
pub mod signature;
pub mod store;
pub mod system_events;
