//! The live set of listeners, kept under its old path: it lives in `crate::listeners`.

pub use crate::listeners::registry::*;
