//! When to try a failed delivery again: the schedule, jitter and `Retry-After`.

use super::outcome::Outcome;
use crate::store::NextStep;
use rand::Rng;
use std::time::{Duration, SystemTime};

/// What follows attempt number `attempt` (1-based): success ends the delivery; a failure is
/// retried while retries are left and one can help, after the delay the receiver asked for
/// or the schedule's.
pub fn next_step(
    outcome: &Outcome,
    attempt: u32,
    max_retries: u32,
    schedule: &[Duration],
    now_ms: i64,
) -> NextStep {
    let failure = match outcome {
        Outcome::Delivered { .. } => return NextStep::Succeeded,
        Outcome::Failed(failure) => failure,
    };
    if !failure.retryable() || attempt > max_retries {
        return NextStep::Failed;
    }
    let delay = failure
        .requested_delay(schedule)
        .unwrap_or_else(|| backoff(schedule, attempt));
    NextStep::RetryAt(retry_at(now_ms, delay))
}

/// The latest instant a retry is put off to: the last millisecond RFC 3339 can write
/// (9999-12-31), far beyond any schedule, and far from `i64` wrapping round.
pub const LATEST_RETRY_MS: i64 = 253_402_300_799_999;

/// `now_ms + delay`, saturating: a huge step means "much later", never a negative time.
pub fn retry_at(now_ms: i64, delay: Duration) -> i64 {
    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    now_ms.saturating_add(delay_ms).min(LATEST_RETRY_MS)
}

/// The delay before retry number `retry` (1-based): `schedule[retry-1]`, the last step repeating,
/// with ±20 % jitter so that many failed deliveries do not return at the same instant.
pub fn backoff(schedule: &[Duration], retry: u32) -> Duration {
    let base = schedule
        .get(retry.saturating_sub(1) as usize)
        .or(schedule.last())
        .copied()
        .unwrap_or(Duration::from_secs(5));
    let factor = rand::thread_rng().gen_range(0.8..=1.2);
    // `mul_f64` panics past `Duration::MAX`; a step that large saturates instead.
    Duration::try_from_secs_f64(base.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

/// The delay a `Retry-After` value asks for (seconds or an HTTP date), capped at the schedule's last step.
pub fn retry_after(value: &str, schedule: &[Duration]) -> Option<Duration> {
    let value = value.trim();
    let wanted = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        }
    };
    let cap = schedule
        .last()
        .copied()
        .unwrap_or(Duration::from_secs(3600));
    Some(wanted.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|s| Duration::from_secs(*s)).collect()
    }

    #[test]
    fn backoff_follows_schedule_with_jitter_and_repeats_last() {
        let schedule = secs(&[10, 100]);
        for _ in 0..50 {
            let first = backoff(&schedule, 1);
            assert!(
                first >= Duration::from_secs(8) && first <= Duration::from_secs(12),
                "{first:?}"
            );
            let fifth = backoff(&schedule, 5);
            assert!(
                fifth >= Duration::from_secs(80) && fifth <= Duration::from_secs(120),
                "{fifth:?}"
            );
        }
    }

    #[test]
    fn huge_steps_saturate_instead_of_wrapping() {
        let schedule = vec![Duration::from_secs(u64::MAX)];
        assert!(backoff(&schedule, 1) >= Duration::from_secs(u64::MAX / 2));
        let now = 1_700_000_000_000;
        assert_eq!(retry_at(now, Duration::MAX), LATEST_RETRY_MS);
        assert_eq!(retry_at(now, Duration::from_secs(1)), now + 1000);
        let failed = Outcome::Failed(super::super::outcome::Failure::Unreachable("x".into()));
        let next = next_step(&failed, 1, 5, &schedule, now);
        assert_eq!(next, NextStep::RetryAt(LATEST_RETRY_MS));
    }

    #[test]
    fn retry_after_parses_and_caps() {
        let schedule = secs(&[5, 60]);
        assert_eq!(retry_after("3", &schedule), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after("7200", &schedule),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT", &schedule),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", &schedule), None);
    }
}
