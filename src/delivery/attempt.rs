//! One delivery attempt: send, read the answer, decide what comes next, record it.

use super::client::HttpClient;
use super::oauth::{TokenCache, TokenError};
use super::outcome::{Failure, Outcome};
use super::request::{self, AttemptContext};
use super::retry;
use crate::config::{ListenerSpec, ReceiverSpec};
use crate::http_util::loggable_url;
use crate::listeners::Snapshot;
use crate::netguard;
use crate::rules::{self, EventFacts};
use crate::store::{now_ms, AttemptRecord, DeliveryJob};
use http_body_util::BodyExt;
use ipnet::IpNet;
use std::time::{Duration, Instant};

/// How much of a receiver's answer is kept on the attempt.
const RESPONSE_KEEP: usize = 1024;

/// One attempt: the row to record and what the attempt came to.
pub struct AttemptReport {
    pub record: AttemptRecord,
    pub outcome: Outcome,
}

impl AttemptReport {
    /// The `outcome` label of metrics and logs.
    pub fn label(&self) -> &'static str {
        self.outcome.label(self.record.next)
    }
}

/// Makes one attempt of `job` and returns what to record.
pub async fn run(
    job: &DeliveryJob,
    snapshot: &Snapshot,
    client: &HttpClient,
    oauth: &TokenCache,
) -> AttemptReport {
    let started_at = now_ms();
    let clock = Instant::now();
    let attempt = job.attempt_count + 1;
    let settings = &snapshot.config.delivery;
    let outcome = match snapshot.receiver(&job.listener_id, &job.receiver_url) {
        None => Outcome::Failed(Failure::ReceiverGone),
        Some(receiver) => {
            if let Some(limiter) = &receiver.limiter {
                // Rate limits hold deliveries back; they never drop them.
                limiter.until_ready().await;
            }
            let spec = &receiver.spec;
            let sender = Sender {
                job,
                spec,
                listener: snapshot.listener(&job.listener_id).map(|l| &*l.spec),
                attempt,
                client,
                oauth,
                allow_targets: &settings.allow_targets,
                timeout: spec.timeout.unwrap_or(settings.timeout),
            };
            sender.send().await.unwrap_or_else(Outcome::Failed)
        }
    };
    let duration_ms = clock.elapsed().as_millis() as i64;
    report(
        job,
        outcome,
        &RetryPolicy::of(job, snapshot),
        started_at,
        duration_ms,
    )
}

/// How many retries a delivery has and when they come.
pub struct RetryPolicy<'a> {
    pub max_retries: u32,
    pub schedule: &'a [Duration],
}

impl<'a> RetryPolicy<'a> {
    /// The policy of `job`'s receiver (the delivery defaults when it is gone).
    pub fn of(job: &DeliveryJob, snapshot: &'a Snapshot) -> RetryPolicy<'a> {
        let settings = &snapshot.config.delivery;
        let receiver = snapshot.receiver(&job.listener_id, &job.receiver_url);
        RetryPolicy {
            max_retries: receiver
                .and_then(|r| r.spec.max_retry_count)
                .unwrap_or(settings.max_retry_count),
            schedule: &settings.retry_schedule,
        }
    }
}

/// The attempt that failed inside hookgate (`what` says how, a panic's message): recorded
/// like any other failure and retried on schedule, so the delivery never stays stuck.
pub fn failed_inside(
    job: &DeliveryJob,
    policy: &RetryPolicy,
    started_at: i64,
    what: String,
) -> AttemptReport {
    let duration_ms = (now_ms() - started_at).max(0);
    let outcome = Outcome::Failed(Failure::Internal(what));
    report(job, outcome, policy, started_at, duration_ms)
}

fn report(
    job: &DeliveryJob,
    outcome: Outcome,
    policy: &RetryPolicy,
    started_at: i64,
    duration_ms: i64,
) -> AttemptReport {
    let attempt = job.attempt_count + 1;
    let next = retry::next_step(
        &outcome,
        attempt,
        policy.max_retries,
        policy.schedule,
        now_ms(),
    );
    let record = AttemptRecord {
        delivery_id: job.delivery_id,
        attempt,
        started_at,
        duration_ms,
        status_code: outcome.status(),
        error: outcome.failure().map(Failure::to_string),
        response: outcome.response().map(str::to_string),
        next,
    };
    AttemptReport { record, outcome }
}

/// Everything one attempt at one receiver needs.
struct Sender<'a> {
    job: &'a DeliveryJob,
    spec: &'a ReceiverSpec,
    listener: Option<&'a ListenerSpec>,
    attempt: u32,
    client: &'a HttpClient,
    oauth: &'a TokenCache,
    allow_targets: &'a [IpNet],
    timeout: Duration,
}

/// What the receiver answered.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: String,
}

impl<'a> Sender<'a> {
    async fn send(&self) -> Result<Outcome, Failure> {
        netguard::check_url(&self.spec.url, self.allow_targets).map_err(|target| {
            Failure::Blocked {
                detail: target.to_string(),
                target,
            }
        })?;
        let transformed = self.transformed().await?;
        let mut last_token: Option<String> = None;
        let mut refreshed = false;
        loop {
            let authorization = self
                .authorization(&mut last_token)
                .await
                .map_err(Failure::OAuth)?;
            let ctx = AttemptContext {
                receiver: self.spec,
                listener: self.listener,
                attempt: self.attempt,
                now_unix: now_ms() / 1000,
                authorization,
                transformed: transformed.clone(),
            };
            let req = request::build(&self.job.event, &ctx).map_err(Failure::Request)?;
            let answer = self.exchange(req).await?;
            // One refresh of the OAuth token when the receiver says it is no longer good.
            if answer.status == 401 && self.spec.oauth.is_some() && !refreshed {
                refreshed = true;
                continue;
            }
            return Ok(answer.into_outcome());
        }
    }

    /// The receiver's `transform` of the stored body, when it has one.
    async fn transformed(&self) -> Result<Option<bytes::Bytes>, Failure> {
        let Some(program) = &self.spec.transform else {
            return Ok(None);
        };
        let event = &self.job.event;
        let facts = EventFacts {
            event_type: event.event_type.clone(),
            provider: event.provider.clone(),
            account_id: event.account_id.clone(),
            headers: event.headers.clone(),
        };
        rules::transform(program, &event.body, facts)
            .await
            .map(Some)
            .map_err(|e| {
                // The attempt records the bare code the SPEC names; the why goes to the log
                // (and `hookgate preview` shows it for a fixture).
                tracing::warn!(event = %event.id, receiver = %loggable_url(self.spec.url.as_str()),
                    error = %e, "transform failed; the delivery fails for good");
                Failure::TransformFailed(e.to_string())
            })
    }

    /// The `Authorization` value: a (fresh, when `last_token` was refused) OAuth token, or the
    /// static value.
    async fn authorization(
        &self,
        last_token: &mut Option<String>,
    ) -> Result<Option<String>, TokenError> {
        let Some(o) = &self.spec.oauth else {
            return Ok(self
                .spec
                .authorization
                .as_ref()
                .map(|s| s.expose().to_string()));
        };
        let token = self
            .oauth
            .token(o, self.client, self.allow_targets, last_token.as_deref())
            .await?;
        let value = format!("Bearer {token}");
        *last_token = Some(token);
        Ok(Some(value))
    }

    /// Sends the request and reads the answer's head and first KiB within the timeout.
    async fn exchange(
        &self,
        req: http::Request<crate::http_util::Body>,
    ) -> Result<Answer, Failure> {
        let result = tokio::time::timeout(self.timeout, async {
            let resp = self.client.request(req).await?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = read_prefix(resp.into_body()).await;
            Ok::<_, hyper_util::client::legacy::Error>(Answer {
                status,
                retry_after,
                body,
            })
        })
        .await;
        match result {
            Err(_) => Err(Failure::TimedOut(self.timeout)),
            Ok(Err(e)) => Err(Failure::from_client_error(&e)),
            Ok(Ok(answer)) => Ok(answer),
        }
    }
}

impl Answer {
    fn into_outcome(self) -> Outcome {
        if (200..300).contains(&self.status) {
            Outcome::Delivered {
                status: self.status,
                response: self.body,
            }
        } else {
            Outcome::Failed(Failure::Rejected {
                status: self.status,
                response: self.body,
                retry_after: self.retry_after,
            })
        }
    }
}

/// The first KiB of a response body, without reading a huge body to the end.
async fn read_prefix(mut body: hyper::body::Incoming) -> String {
    let mut buf = Vec::new();
    while buf.len() < RESPONSE_KEEP {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            _ => break,
        }
    }
    buf.truncate(RESPONSE_KEEP);
    String::from_utf8_lossy(&buf).into_owned()
}
