//! What one delivery attempt came to: delivered, or failed, with whose fault the failure is
//! and whether trying again can help. Retry scheduling, metrics and the attempt log read it.

use super::oauth::TokenError;
use super::request::RequestError;
use super::retry;
use crate::netguard::BlockedTarget;
use crate::store::NextStep;
use std::time::Duration;

/// Whose side a failure is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The receiver (or its OAuth token endpoint) answered, but not with what was asked for.
    Receiver,
    /// No answer: connection refused or reset, DNS, TLS, a timeout.
    Network,
    /// The gateway's own configuration: a blocked target, a request that cannot be built,
    /// OAuth credentials the endpoint refuses, a receiver that is gone.
    Gateway,
}

impl Fault {
    /// The name used in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Receiver => "receiver",
            Fault::Network => "network",
            Fault::Gateway => "gateway",
        }
    }
}

/// How one attempt ended.
#[derive(Debug)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered {
        status: u16,
        response: String,
    },
    Failed(Failure),
}

/// Why an attempt failed. The texts are what the attempt log records as `error`.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The receiver answered with a status other than 2xx.
    #[error("receiver answered {status}")]
    Rejected {
        status: u16,
        /// The first KiB of the answer.
        response: String,
        /// The `Retry-After` header as sent.
        retry_after: Option<String>,
    },
    /// No complete answer within the receiver's timeout.
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
    /// No answer: the whole error chain of a connect, TLS or protocol failure.
    #[error("{0}")]
    Unreachable(String),
    /// The private-address guard refused the receiver's address; `detail` is the full text.
    #[error("{detail}")]
    Blocked {
        target: BlockedTarget,
        detail: String,
    },
    #[error("oauth token: {0}")]
    OAuth(TokenError),
    #[error(transparent)]
    Request(RequestError),
    /// The attempt failed inside hookgate (a bug: a panic's message), not at the receiver.
    #[error("internal_error: {0}")]
    Internal(String),
    /// The receiver was removed from the configuration after the delivery was queued.
    #[error("the receiver is no longer configured")]
    ReceiverGone,
    /// The receiver's `transform` failed or ran out of time on this event (SPEC section 13);
    /// the reason is logged where it happens, the attempt shows the code alone.
    #[error("transform_failed")]
    TransformFailed(String),
}

impl Failure {
    /// The failure a client error stands for: a blocked target, or an unreachable receiver.
    pub fn from_client_error(err: &hyper_util::client::legacy::Error) -> Failure {
        let detail = super::client::error_chain(err);
        match BlockedTarget::find_in(err) {
            Some(target) => Failure::Blocked {
                target: target.clone(),
                detail,
            },
            None => Failure::Unreachable(detail),
        }
    }

    pub fn fault(&self) -> Fault {
        match self {
            Failure::Rejected { .. } => Fault::Receiver,
            Failure::TimedOut(_) | Failure::Unreachable(_) => Fault::Network,
            Failure::OAuth(e) => e.fault(),
            Failure::Blocked { .. }
            | Failure::Request(_)
            | Failure::Internal(_)
            | Failure::ReceiverGone
            | Failure::TransformFailed(_) => Fault::Gateway,
        }
    }

    /// Whether another attempt can succeed. A receiver that is gone is hopeless, and so is a
    /// transform that failed on this event (SPEC section 13: the same program on the same
    /// stored body fails again). The gateway's other faults can be mended while the delivery
    /// waits (a config reload widens `allow_targets` or fixes a secret, a name comes to resolve
    /// elsewhere), so they keep their retries like any receiver or network failure.
    pub fn retryable(&self) -> bool {
        !matches!(self, Failure::ReceiverGone | Failure::TransformFailed(_))
    }

    /// The delay the receiver asked for: `Retry-After` on a 429 or 503, capped at the
    /// schedule's last step.
    pub fn requested_delay(&self, schedule: &[Duration]) -> Option<Duration> {
        match self {
            Failure::Rejected {
                status: 429 | 503,
                retry_after: Some(value),
                ..
            } => retry::retry_after(value, schedule),
            _ => None,
        }
    }
}

impl Outcome {
    /// The receiver's status code, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Delivered { status, .. }
            | Outcome::Failed(Failure::Rejected { status, .. }) => Some(*status),
            Outcome::Failed(_) => None,
        }
    }

    /// The first KiB of the receiver's answer, when it answered.
    pub fn response(&self) -> Option<&str> {
        match self {
            Outcome::Delivered { response, .. }
            | Outcome::Failed(Failure::Rejected { response, .. }) => Some(response),
            Outcome::Failed(_) => None,
        }
    }

    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::Delivered { .. } => None,
            Outcome::Failed(failure) => Some(failure),
        }
    }

    /// The `outcome` label of metrics and logs, given what happens next.
    pub fn label(&self, next: NextStep) -> &'static str {
        match (self, next) {
            (_, NextStep::Succeeded) => "succeeded",
            (Outcome::Failed(Failure::Blocked { .. }), _) => "blocked",
            (Outcome::Failed(Failure::OAuth(TokenError::Blocked(_))), _) => "blocked",
            (_, NextStep::Failed) => "failed",
            (_, NextStep::RetryAt(_)) => "retrying",
        }
    }
}

#[cfg(test)]
mod tests;
