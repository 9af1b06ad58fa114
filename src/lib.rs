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

pub(crate) mod accept;
pub(crate) mod admin;
pub(crate) mod app;
pub(crate) mod cluster;
pub mod commands;
pub mod config;
mod connections;
pub(crate) mod delivery;
// Entry points for the fuzz targets (fuzz/) into code that is otherwise internal.
pub mod fuzzing;
pub(crate) mod health;
pub(crate) mod http_util;
// Public for the fuzz targets (fuzz/), which drive its parsers.
pub mod ingress;
pub(crate) mod listeners;
pub(crate) mod logging;
pub(crate) mod memory;
pub(crate) mod metrics;
pub(crate) mod netguard;
pub(crate) mod recent;
pub(crate) mod retention;
// Public for the bench binary (bench/), which times the programs.
pub mod rules;
pub(crate) mod server;
pub mod signature;
pub mod store;
pub(crate) mod system_events;
