//! Which receivers take an event: their `events` list, then their `filter` (SPEC section 13).

use super::bounded::{filter_matches, parse_body};
use super::facts::EventFacts;
use crate::config::ReceiverSpec;
use std::sync::Arc;

/// The URLs of the receivers that take the event. A filter that fails or runs out of time
/// does not match (and says so in the log).
pub async fn matching_urls(
    receivers: &[Arc<ReceiverSpec>],
    body: &[u8],
    facts: EventFacts,
) -> Vec<String> {
    let event_type = facts.event_type.clone();
    let wanted: Vec<(usize, &Arc<ReceiverSpec>)> = (receivers.iter().enumerate())
        .filter(|(_, r)| r.wants(event_type.as_deref()))
        .collect();
    let parsed = wanted
        .iter()
        .any(|(_, r)| r.filter.is_some())
        .then(|| parse_body(body))
        .flatten();
    let facts = Arc::new(facts);
    let mut urls = Vec::with_capacity(wanted.len());
    for (index, receiver) in wanted {
        let matched = match &receiver.filter {
            None => true,
            Some(program) => match filter_matches(program, parsed.as_ref(), &facts).await {
                Ok(matched) => matched,
                Err(e) => {
                    tracing::warn!(
                        provider = %facts.provider,
                        account = %facts.account_id,
                        receiver = index,
                        error = %e,
                        "filter failed; the receiver gets no delivery"
                    );
                    false
                }
            },
        };
        if matched {
            urls.push(receiver.url.to_string());
        }
    }
    urls
}
