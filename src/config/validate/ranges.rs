//! Number and duration ranges (SPEC section 9): a value out of range is an error that names the
//! range, so a typo cannot make the gateway allocate without bound or wait for centuries.

use super::Validator;
use crate::config::raw::{Sp, Whole};
use std::time::Duration;

const DAY: u64 = 86_400;
/// The longest duration any setting takes, except `store.retention`.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * DAY);
/// The longest `store.retention`.
pub const MAX_RETENTION: Duration = Duration::from_secs(3_650 * DAY);
/// `server.max_connections`.
pub const CONNECTIONS: (u64, u64) = (1, 1_000_000);
/// `delivery.concurrency` and `delivery.receiver_concurrency`.
pub const CONCURRENCY: (u64, u64) = (1, 65_536);
/// `store.queue_capacity`.
pub const QUEUE_CAPACITY: (u64, u64) = (1, 1_000_000);
/// `[store] pool_size`: PostgreSQL connections (the writer needs one, readers the rest).
pub const POOL_SIZE: (u64, u64) = (2, 1_000);
/// `max_retry_count`, global and per receiver.
pub const RETRY_COUNT: (u64, u64) = (0, 100);
/// Receivers of one listener.
pub const MAX_RECEIVERS: usize = 100;

/// `1000000` as `1,000,000`.
pub fn grouped(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::from(if n < 0 { "-" } else { "" });
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `30 days`, `3,650 days`.
fn days(d: Duration) -> String {
    format!("{} days", grouped(d.as_secs() / DAY))
}

impl Validator<'_> {
    /// A whole number from the file, or `default`; out of `range` is an error naming the range
    /// (and the default stands in).
    pub(super) fn number(
        &mut self,
        v: &Option<Sp<Whole>>,
        key: &str,
        default: u64,
        range: (u64, u64),
    ) -> u64 {
        let Some(v) = v else {
            return default;
        };
        let n = v.get_ref().0;
        if let Some(n) = u64::try_from(n)
            .ok()
            .filter(|n| (range.0..=range.1).contains(n))
        {
            return n;
        }
        self.errs.push(
            v.span(),
            key,
            format!(
                "{} is out of range: must be from {} to {}",
                grouped(n),
                grouped(range.0),
                grouped(range.1)
            ),
        );
        default
    }

    /// A parsed duration that must not exceed `max`; longer is an error naming the range.
    pub(super) fn within(
        &mut self,
        v: &Sp<String>,
        key: &str,
        d: Duration,
        max: Duration,
    ) -> Option<Duration> {
        if d <= max {
            return Some(d);
        }
        self.errs.push(
            v.span(),
            key,
            format!(
                "`{}` is out of range: must be from 0s to {}",
                v.get_ref(),
                days(max)
            ),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(100), "100");
        assert_eq!(grouped(65_536), "65,536");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(days(MAX_RETENTION), "3,650 days");
    }
}
