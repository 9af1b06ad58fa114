//! The black-box suite: the real `hookgate` binary driven over HTTP, one module per section of
//! the contract (SPEC.md), linked as a single test binary.

mod common;

mod admin;
mod cli;
mod cluster;
mod config;
mod dashboard;
mod delivery;
mod durability;
mod fixtures;
mod handshake;
mod hostile;
mod limits;
mod listener;
mod operations;
mod postgres;
mod rules;
mod system_events;
