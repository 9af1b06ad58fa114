//! Every listener the management API can show: it lives in `crate::listeners::catalog`.

pub use crate::listeners::catalog::*;
