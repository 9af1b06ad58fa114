//! The JSON the management API answers with: listeners (every secret as `"***"`) and events.

pub mod event;
pub mod view;

use super::doc::ListenerDoc;
pub use crate::listeners::{ManagedBy, Meta};
use crate::store::EventView;
use event::{EventDetailOut, EventOut};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;
use view::ListenerView;
pub use view::MASK;

/// Characters left as they are in a listener URL segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The provider-facing URL of a listener.
pub fn listener_url(public_url: &str, provider: &str, account: &str) -> String {
    format!(
        "{}/api/v1/listener/{}/{}",
        public_url.trim_end_matches('/'),
        utf8_percent_encode(provider, SEGMENT),
        utf8_percent_encode(account, SEGMENT)
    )
}

/// A listener as the API shows it, every secret as `"***"`.
/// `paused` tells whether a receiver (by URL) is paused for failing too long.
pub fn listener(
    doc: &ListenerDoc,
    meta: &Meta,
    public_url: &str,
    paused: &dyn Fn(&str) -> bool,
) -> Value {
    serde_json::to_value(ListenerView::new(doc, meta, public_url, paused)).unwrap_or_default()
}

/// An event as listed, or (`full`) as shown alone: with its payload and every attempt.
pub fn event(e: &EventView, full: bool) -> Value {
    let shown = if full {
        serde_json::to_value(EventDetailOut::from(e))
    } else {
        serde_json::to_value(EventOut::from(e))
    };
    shown.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_urls_encode_odd_characters() {
        assert_eq!(
            listener_url("https://h.example/", "shopify", "shop.myshopify.com"),
            "https://h.example/api/v1/listener/shopify/shop.myshopify.com"
        );
        assert_eq!(
            listener_url("http://h", "x", "a?b#c"),
            "http://h/api/v1/listener/x/a%3Fb%23c"
        );
    }
}
