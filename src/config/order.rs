//! A receiver's `order_by`: which deliveries must go one after another (SPEC section 13).

use super::locator::{LocatorError, Locators};
use std::fmt;

/// The key every delivery of a receiver ordered by `"*"` gets: one queue for the receiver.
pub const WHOLE_RECEIVER_KEY: &str = "*";

/// How a receiver's deliveries are grouped into queues that run strictly in acceptance order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderBy {
    /// `"*"`: every delivery of the receiver is in one queue.
    Receiver,
    /// A locator: deliveries whose events give the same value are in one queue; an event
    /// without the value goes alone.
    Key(Locators),
}

impl OrderBy {
    /// Parses `"*"` or a locator (`body:/data/id`, `header:Name`, `query:name`).
    pub fn parse(text: &str) -> Result<OrderBy, LocatorError> {
        if text.trim() == WHOLE_RECEIVER_KEY {
            return Ok(OrderBy::Receiver);
        }
        Locators::parse(text).map(OrderBy::Key)
    }
}

impl fmt::Display for OrderBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderBy::Receiver => f.write_str(WHOLE_RECEIVER_KEY),
            OrderBy::Key(locators) => locators.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests;
