//! An attempt that fails inside hookgate — a panic anywhere in sending — still becomes a
//! recorded attempt with its error, retried on schedule, so no delivery stays stuck.

use super::attempt::{self, AttemptReport, RetryPolicy};
use crate::store::{now_ms, DeliveryJob};
use std::future::Future;

/// Runs `attempt` in a task of its own and turns a panic into a failed attempt of `job`.
pub async fn contained<F>(attempt: F, job: &DeliveryJob, policy: &RetryPolicy<'_>) -> AttemptReport
where
    F: Future<Output = AttemptReport> + Send + 'static,
{
    let started_at = now_ms();
    match tokio::spawn(attempt).await {
        Ok(report) => report,
        Err(e) => {
            let what = if e.is_panic() {
                panic_text(e.into_panic())
            } else {
                "the attempt was cancelled".to_string()
            };
            tracing::error!(delivery = job.delivery_id, error = %what, "a delivery attempt failed inside hookgate");
            attempt::failed_inside(job, policy, started_at, what)
        }
    }
}

/// A panic's message, when it has one.
fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NextStep, StoredEvent};
    use std::sync::Arc;
    use std::time::Duration;

    fn job(attempt_count: u32) -> DeliveryJob {
        DeliveryJob {
            delivery_id: 7,
            listener_id: "l".into(),
            receiver_url: "https://r.example/".into(),
            attempt_count,
            event: Arc::new(StoredEvent {
                seq: 1,
                id: "e".into(),
                listener_id: "l".into(),
                provider: "p".into(),
                account_id: "a".into(),
                event_type: None,
                provider_event_id: None,
                received_at: 0,
                source_ip: None,
                content_type: None,
                headers: Vec::new(),
                body: bytes::Bytes::new(),
            }),
        }
    }

    #[tokio::test]
    async fn a_panicking_attempt_is_recorded_and_retried() {
        let schedule = [Duration::from_secs(10)];
        let policy = RetryPolicy {
            max_retries: 3,
            schedule: &schedule,
        };
        let before = now_ms();
        let report = contained(async { panic!("boom") }, &job(0), &policy).await;
        let record = report.record;
        assert_eq!((record.delivery_id, record.attempt), (7, 1));
        assert_eq!(record.error.as_deref(), Some("internal_error: panic: boom"));
        match record.next {
            NextStep::RetryAt(at) => assert!(at >= before + 8_000 && at <= now_ms() + 12_000),
            other => panic!("not retried: {other:?}"),
        }
        assert_eq!(
            report.outcome.failure().unwrap().fault().as_str(),
            "gateway"
        );
    }

    #[tokio::test]
    async fn the_last_retry_that_panics_fails_the_delivery() {
        let schedule = [Duration::from_secs(1)];
        let policy = RetryPolicy {
            max_retries: 1,
            schedule: &schedule,
        };
        let report = contained(async { panic!("again") }, &job(1), &policy).await;
        assert_eq!(report.record.next, NextStep::Failed);
    }
}
