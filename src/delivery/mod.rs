//! Delivery: sending stored events to receivers with retries, signing, auth and an attempt log.

pub(crate) mod attempt;
pub mod client;
mod contained;
mod dispatcher;
pub mod health;
pub mod lease;
pub mod oauth;
pub mod outcome;
mod overflow;
pub mod report;
pub mod request;
pub(crate) mod retry;

pub use dispatcher::{start, DispatchHandle, Dispatcher};
pub use report::{DeliveryObserver, DeliveryReport, ReceiverRef};
