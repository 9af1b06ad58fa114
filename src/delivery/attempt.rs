//! One delivery attempt: send, read the answer, decide what comes next, record it.

use super::client::{error_chain, HttpClient, BLOCKED_MARK};
use super::request::{self, AttemptContext};
use super::retry;
use crate::config::DeliverySettings;
use crate::netguard;
use crate::registry::Snapshot;
use crate::store::{now_ms, AttemptRecord, DeliveryJob, NextStep};
use http_body_util::BodyExt;
use std::time::{Duration, Instant};

/// How much of a receiver's answer is kept on the attempt.
const RESPONSE_KEEP: usize = 1024;

/// The result of sending, before scheduling.
struct Sent {
    status: Option<u16>,
    error: Option<String>,
    response: Option<String>,
    retry_after: Option<String>,
    blocked: bool,
}

/// Makes one attempt of `job` and returns what to record.
pub async fn run(
    job: &DeliveryJob,
    snapshot: &Snapshot,
    client: &HttpClient,
    oauth: &super::oauth::TokenCache,
) -> (AttemptRecord, &'static str) {
    let started_at = now_ms();
    let clock = Instant::now();
    let attempt = job.attempt_count + 1;
    let settings = &snapshot.config.delivery;
    let Some(receiver) = snapshot.receiver(&job.listener_id, &job.receiver_url) else {
        let rec = AttemptRecord {
            delivery_id: job.delivery_id,
            attempt,
            started_at,
            duration_ms: 0,
            status_code: None,
            error: Some("the receiver is no longer configured".into()),
            response: None,
            next: NextStep::Failed,
        };
        return (rec, "failed");
    };
    if let Some(limiter) = &receiver.limiter {
        // Rate limits hold deliveries back; they never drop them.
        limiter.until_ready().await;
    }
    let spec = &receiver.spec;
    let listener = snapshot.listener(&job.listener_id).map(|l| &*l.spec);
    let timeout = spec.timeout.unwrap_or(settings.timeout);
    let sent = send(
        job, spec, listener, attempt, client, oauth, settings, timeout,
    )
    .await;
    let duration_ms = clock.elapsed().as_millis() as i64;
    let max_retries = spec.max_retry_count.unwrap_or(settings.max_retry_count);
    let ok = sent.status.is_some_and(|s| (200..300).contains(&s));
    let (next, label) = if ok {
        (NextStep::Succeeded, "succeeded")
    } else if attempt > max_retries {
        (
            NextStep::Failed,
            if sent.blocked { "blocked" } else { "failed" },
        )
    } else {
        let honoured = sent
            .retry_after
            .as_deref()
            .filter(|_| matches!(sent.status, Some(429 | 503)))
            .and_then(|v| retry::retry_after(v, &settings.retry_schedule));
        let delay = honoured.unwrap_or_else(|| retry::backoff(&settings.retry_schedule, attempt));
        (
            NextStep::RetryAt(now_ms() + delay.as_millis() as i64),
            if sent.blocked { "blocked" } else { "retrying" },
        )
    };
    let rec = AttemptRecord {
        delivery_id: job.delivery_id,
        attempt,
        started_at,
        duration_ms,
        status_code: sent.status,
        error: sent.error,
        response: sent.response,
        next,
    };
    (rec, label)
}

#[allow(clippy::too_many_arguments)]
async fn send(
    job: &DeliveryJob,
    spec: &crate::config::ReceiverSpec,
    listener: Option<&crate::config::ListenerSpec>,
    attempt: u32,
    client: &HttpClient,
    oauth: &super::oauth::TokenCache,
    settings: &DeliverySettings,
    timeout: Duration,
) -> Sent {
    let failed = |error: String, blocked: bool| Sent {
        status: None,
        error: Some(error),
        response: None,
        retry_after: None,
        blocked,
    };
    // Literal addresses never reach the resolver, so the guard checks them here.
    let literal = match spec.url.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) = literal {
        if let Some(reason) = netguard::forbidden_reason(ip, &settings.allow_targets) {
            return failed(format!("{BLOCKED_MARK}: {ip} is a {reason} address"), true);
        }
    }
    let mut last_token: Option<String> = None;
    let mut refreshed = false;
    loop {
        let authorization = match &spec.oauth {
            Some(o) => match oauth.token(o, client, last_token.as_deref()).await {
                Ok(token) => {
                    last_token = Some(token.clone());
                    Some(format!("Bearer {token}"))
                }
                Err(e) => return failed(format!("oauth token: {e}"), false),
            },
            None => spec.authorization.as_ref().map(|s| s.expose().to_string()),
        };
        let ctx = AttemptContext {
            receiver: spec,
            listener,
            attempt,
            now_unix: now_ms() / 1000,
            authorization,
        };
        let req = match request::build(&job.event, &ctx) {
            Ok(r) => r,
            Err(e) => return failed(e, false),
        };
        let result = tokio::time::timeout(timeout, async {
            let resp = client.request(req).await?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = read_prefix(resp.into_body()).await;
            Ok::<_, hyper_util::client::legacy::Error>((status, retry_after, body))
        })
        .await;
        match result {
            Err(_) => return failed(format!("timed out after {timeout:?}"), false),
            Ok(Err(e)) => {
                let text = error_chain(&e);
                let blocked = text.contains(BLOCKED_MARK);
                return failed(text, blocked);
            }
            Ok(Ok((status, retry_after, body))) => {
                // One refresh of the OAuth token when the receiver says it is no longer good.
                if status == 401 && spec.oauth.is_some() && !refreshed {
                    refreshed = true;
                    continue;
                }
                return Sent {
                    status: Some(status),
                    error: (!(200..300).contains(&status))
                        .then(|| format!("receiver answered {status}")),
                    response: Some(body),
                    retry_after,
                    blocked: false,
                };
            }
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
