//! Which failures are whose fault, which can be retried, and what comes after each.

use super::*;
use crate::delivery::retry::next_step;
use http::StatusCode;

fn rejected(status: u16, retry_after: Option<&str>) -> Failure {
    Failure::Rejected {
        status,
        response: "busy".into(),
        retry_after: retry_after.map(str::to_string),
    }
}

fn blocked() -> Failure {
    let target = crate::netguard::check_literal("10.0.0.1".parse().unwrap(), &[]).unwrap_err();
    Failure::Blocked {
        detail: target.to_string(),
        target,
    }
}

fn token_refused(status: u16) -> Failure {
    Failure::OAuth(TokenError::Refused {
        status: StatusCode::from_u16(status).unwrap(),
        code: "invalid_client".into(),
    })
}

fn secs(list: &[u64]) -> Vec<Duration> {
    list.iter().map(|s| Duration::from_secs(*s)).collect()
}

#[test]
fn each_failure_names_whose_fault_it_is() {
    let cases = [
        (rejected(500, None), Fault::Receiver),
        (rejected(404, None), Fault::Receiver),
        (Failure::TimedOut(Duration::from_secs(1)), Fault::Network),
        (
            Failure::Unreachable("connection refused".into()),
            Fault::Network,
        ),
        (blocked(), Fault::Gateway),
        (
            Failure::Request(RequestError::Authorization),
            Fault::Gateway,
        ),
        (Failure::ReceiverGone, Fault::Gateway),
        (token_refused(401), Fault::Gateway),
        (token_refused(500), Fault::Receiver),
        (Failure::OAuth(TokenError::TimedOut), Fault::Network),
        (Failure::OAuth(TokenError::NotJson), Fault::Receiver),
    ];
    for (failure, fault) in cases {
        assert_eq!(failure.fault(), fault, "{failure}");
    }
}

#[test]
fn only_a_receiver_that_is_gone_is_not_retried() {
    assert!(!Failure::ReceiverGone.retryable());
    for failure in [
        rejected(400, None),
        rejected(503, None),
        Failure::TimedOut(Duration::from_secs(1)),
        Failure::Unreachable("reset".into()),
        blocked(),
        Failure::Request(RequestError::Authorization),
        token_refused(401),
    ] {
        assert!(failure.retryable(), "{failure}");
    }
}

#[test]
fn failure_texts_are_the_recorded_errors() {
    assert_eq!(rejected(502, None).to_string(), "receiver answered 502");
    assert_eq!(
        Failure::TimedOut(Duration::from_millis(1500)).to_string(),
        "timed out after 1.5s"
    );
    assert_eq!(
        blocked().to_string(),
        "blocked_target: 10.0.0.1 is a private address"
    );
    assert_eq!(
        token_refused(500).to_string(),
        "oauth token: the token endpoint answered 500 Internal Server Error invalid_client"
    );
    let bare = Failure::OAuth(TokenError::Refused {
        status: StatusCode::BAD_GATEWAY,
        code: String::new(),
    });
    assert_eq!(
        bare.to_string(),
        "oauth token: the token endpoint answered 502 Bad Gateway"
    );
    assert_eq!(
        Failure::Request(RequestError::Authorization).to_string(),
        "the authorization value is not a valid header"
    );
    assert_eq!(
        Failure::ReceiverGone.to_string(),
        "the receiver is no longer configured"
    );
}

#[test]
fn retry_after_is_honoured_on_429_and_503_only_and_capped() {
    let schedule = secs(&[5, 60]);
    let delay = |f: Failure| f.requested_delay(&schedule);
    assert_eq!(
        delay(rejected(429, Some("3"))),
        Some(Duration::from_secs(3))
    );
    assert_eq!(
        delay(rejected(503, Some("7200"))),
        Some(Duration::from_secs(60))
    );
    assert_eq!(delay(rejected(500, Some("3"))), None);
    assert_eq!(delay(rejected(429, None)), None);
    assert_eq!(delay(Failure::Unreachable("reset".into())), None);
}

#[test]
fn next_step_follows_the_outcome() {
    let schedule = secs(&[10]);
    let now = 1_000_000;
    let delivered = Outcome::Delivered {
        status: 204,
        response: String::new(),
    };
    assert_eq!(
        next_step(&delivered, 9, 1, &schedule, now),
        NextStep::Succeeded
    );
    let gone = Outcome::Failed(Failure::ReceiverGone);
    assert_eq!(next_step(&gone, 1, 5, &schedule, now), NextStep::Failed);
    let busy = Outcome::Failed(rejected(503, Some("2")));
    assert_eq!(
        next_step(&busy, 1, 5, &schedule, now),
        NextStep::RetryAt(now + 2000)
    );
    assert_eq!(next_step(&busy, 6, 5, &schedule, now), NextStep::Failed);
    let NextStep::RetryAt(at) = next_step(&Outcome::Failed(blocked()), 1, 5, &schedule, now) else {
        panic!("a blocked target keeps its retries");
    };
    assert!((now + 8_000..=now + 12_000).contains(&at), "{at}");
}

#[test]
fn labels_say_what_happened() {
    let delivered = Outcome::Delivered {
        status: 200,
        response: String::new(),
    };
    assert_eq!(delivered.label(NextStep::Succeeded), "succeeded");
    let failed = Outcome::Failed(rejected(500, None));
    assert_eq!(failed.label(NextStep::RetryAt(1)), "retrying");
    assert_eq!(failed.label(NextStep::Failed), "failed");
    let blocked = Outcome::Failed(blocked());
    assert_eq!(blocked.label(NextStep::RetryAt(1)), "blocked");
    assert_eq!(blocked.label(NextStep::Failed), "blocked");
    assert_eq!(failed.status(), Some(500));
    assert_eq!(failed.response(), Some("busy"));
    assert_eq!(blocked.status(), None);
}
