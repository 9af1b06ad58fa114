//! The order key of an accepted event for each ordered receiver (`order_by`, SPEC section 13).

use crate::config::order::WHOLE_RECEIVER_KEY;
use crate::config::{OrderBy, ReceiverSpec};
use crate::ingress::event::{locate, BodyFields, RequestView};
use crate::store::OrderKeys;
use http::HeaderMap;
use sha2::{Digest, Sha256};

/// Keys longer than this are stored as their SHA-256: equal keys stay equal, rows stay small.
const MAX_KEY_BYTES: usize = 200;

/// What an order key can be read from: the request as received.
pub struct KeySource<'a> {
    pub headers: &'a HeaderMap,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
}

/// The key of this event for each receiver in `urls` that is ordered, by URL. A receiver
/// ordered by a locator the event does not have gets no key: its delivery goes alone.
pub fn order_keys<'a>(
    receivers: impl IntoIterator<Item = &'a ReceiverSpec>,
    urls: &[String],
    source: &KeySource<'_>,
) -> OrderKeys {
    let mut keys = OrderKeys::new();
    for receiver in receivers {
        let Some(order) = &receiver.order_by else {
            continue;
        };
        let url = receiver.url.to_string();
        if !urls.contains(&url) {
            continue;
        }
        let key = match order {
            OrderBy::Receiver => Some(WHOLE_RECEIVER_KEY.to_string()),
            OrderBy::Key(locators) => {
                // Only the key's own pointers are read, in one pass; a body that is not
                // JSON has no key.
                let fields = match locators.reads_body() {
                    true => BodyFields::read(source.body, &[locators]).ok(),
                    false => None,
                };
                let view = RequestView {
                    headers: source.headers,
                    query: source.query,
                    body: fields.as_ref(),
                };
                locate(locators, &view)
            }
        };
        if let Some(key) = key {
            keys.insert(url, bounded(key));
        }
    }
    keys
}

/// The key as stored: itself, or its digest when it is long.
fn bounded(key: String) -> String {
    if key.len() <= MAX_KEY_BYTES {
        return key;
    }
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests;
