//! Receiver rules (SPEC section 13): jq `filter` and `transform` programs, compiled once when
//! the configuration loads and run with the event's facts bound as variables.

mod bounded;
mod facts;
mod program;
mod select;

pub use bounded::{
    filter_matches, filter_now, parse_body, transform, transform_now, RuleFailure, TIME_LIMIT,
};
pub use facts::EventFacts;
pub use program::{JqProgram, ProgramError};
pub use select::matching_urls;
