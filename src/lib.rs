//! hookgate: an inbound webhook listener and relay gateway.
//!
//! The data path: `server` accepts connections → `ingress` finds the listener,
//! runs the checks and the subscription filter → `store` commits the event and
//! its deliveries in a group-committed transaction → 200 → `delivery` sends
//! them to the receivers with retries, recording every attempt.

// One exception, in `memory`: a call into glibc that has no safe wrapper.
#![deny(unsafe_code)]

pub mod admin;
pub mod app;
pub mod check;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod health;
pub mod http_util;
pub mod ingress;
pub mod listeners;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod netguard;
pub mod registry;
pub mod replay;
pub mod retention;
pub mod serve;
pub mod server;
pub mod signature;
pub mod sink;
pub mod store;
pub mod system_events;
