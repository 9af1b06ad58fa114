//! Running a program within its time limit. jaq cannot be interrupted, so a program runs on a
//! blocking thread and the caller stops waiting at the limit: a runaway program costs that
//! thread until it ends, never the event or the delivery waiting for it.

use super::facts::EventFacts;
use super::program::JqProgram;
use bytes::Bytes;
use jaq_json::Val;
use std::sync::Arc;
use std::time::Duration;

/// How long a filter or a transform may run on one event.
pub const TIME_LIMIT: Duration = Duration::from_millis(100);

/// Why a rule gave no answer for an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleFailure {
    #[error("the body is not JSON")]
    NotJson,
    #[error("the program failed: {0}")]
    Failed(String),
    #[error("the program yielded no value")]
    NoValue,
    #[error("the program yielded more than one value")]
    SeveralValues,
    #[error("the program ran longer than {} ms", TIME_LIMIT.as_millis())]
    TooSlow,
}

/// The body as a jq value, when it is JSON.
pub fn parse_body(body: &[u8]) -> Option<Val> {
    jaq_json::read::parse_single(body).ok()
}

/// Whether `program` yields `true` first for `input` (without the time limit).
pub fn filter_now(
    program: &JqProgram,
    input: Val,
    facts: &EventFacts,
) -> Result<bool, RuleFailure> {
    let out = program.run(input, facts, 1).map_err(RuleFailure::Failed)?;
    Ok(matches!(out.first(), Some(Val::Bool(true))))
}

/// The one value `program` yields for `input`, as JSON bytes (without the time limit).
pub fn transform_now(
    program: &JqProgram,
    input: Val,
    facts: &EventFacts,
) -> Result<Bytes, RuleFailure> {
    let mut out = program.run(input, facts, 2).map_err(RuleFailure::Failed)?;
    match out.len() {
        0 => Err(RuleFailure::NoValue),
        1 => Ok(Bytes::from(out.remove(0).to_string())),
        _ => Err(RuleFailure::SeveralValues),
    }
}

/// Runs `work` on a blocking thread and waits at most `TIME_LIMIT` for it.
async fn within_limit<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, RuleFailure> + Send + 'static,
) -> Result<T, RuleFailure> {
    match tokio::time::timeout(TIME_LIMIT, tokio::task::spawn_blocking(work)).await {
        Err(_) => Err(RuleFailure::TooSlow),
        Ok(Err(join)) => Err(RuleFailure::Failed(join.to_string())),
        Ok(Ok(result)) => result,
    }
}

/// SPEC section 13's `filter`: a body that is not JSON never matches, nor does a program that
/// fails or runs out of time.
pub async fn filter_matches(
    program: &JqProgram,
    body: Option<&Val>,
    facts: &Arc<EventFacts>,
) -> Result<bool, RuleFailure> {
    let Some(input) = body.cloned() else {
        return Ok(false);
    };
    let (program, facts) = (program.clone(), facts.clone());
    within_limit(move || filter_now(&program, input, &facts)).await
}

/// SPEC section 13's `transform`: the body sent to a receiver, built from the stored body.
pub async fn transform(
    program: &JqProgram,
    body: &[u8],
    facts: EventFacts,
) -> Result<Bytes, RuleFailure> {
    let input = parse_body(body).ok_or(RuleFailure::NotJson)?;
    let program = program.clone();
    within_limit(move || transform_now(&program, input, &facts)).await
}
