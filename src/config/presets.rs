//! Built-in provider presets: where each provider puts its event type and id, and how it signs.

use super::locator::Locators;
use crate::signature::Scheme;

/// How hookgate reads and checks one provider's webhooks.
#[derive(Debug, Clone)]
pub struct ProviderSpec {
    pub name: String,
    pub event_type: Locators,
    pub event_id: Option<Locators>,
    pub scheme: Scheme,
}

/// (name, event type, event id, verify scheme, signature header) of one built-in provider.
type Preset = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
);

/// Every built-in provider, as SPEC section 2 lists them (plus hospitable and beds24).
const PRESETS: &[Preset] = &[
    ("hostaway", "body:/event", None, "basic", None),
    (
        "guesty",
        "body:/event",
        Some("header:svix-id|header:webhook-id"),
        "standard-webhooks",
        None,
    ),
    ("smoobu", "body:/action", None, "none", None),
    (
        "lodgify",
        "body:/action",
        None,
        "hmac-sha256",
        Some("ms-signature"),
    ),
    (
        "hospitable",
        "body:/action",
        Some("body:/id"),
        "hmac-sha256",
        Some("Signature"),
    ),
    (
        "beds24",
        "query:status|body:/booking/status",
        None,
        "none",
        None,
    ),
    ("stripe", "body:/type", Some("body:/id"), "stripe", None),
    (
        "github",
        "header:X-GitHub-Event",
        Some("header:X-GitHub-Delivery"),
        "github",
        None,
    ),
    (
        "shopify",
        "header:X-Shopify-Topic",
        Some("header:X-Shopify-Webhook-Id"),
        "shopify",
        None,
    ),
    (
        "slack",
        "body:/event/type|body:/type",
        Some("body:/event_id"),
        "slack",
        None,
    ),
    (
        "standard-webhooks",
        "body:/type",
        Some("header:webhook-id"),
        "standard-webhooks",
        None,
    ),
];

/// Every built-in preset, parsed.
pub fn builtin() -> Vec<ProviderSpec> {
    PRESETS
        .iter()
        .map(
            |(name, event_type, event_id, verify, header)| ProviderSpec {
                name: name.to_string(),
                event_type: Locators::parse(event_type).expect("preset locator"),
                event_id: event_id.map(|l| Locators::parse(l).expect("preset id locator")),
                scheme: Scheme::parse(verify, *header).expect("preset scheme"),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn presets_parse() {
        let all = super::builtin();
        assert!(all
            .iter()
            .any(|p| p.name == "github" && p.event_id.is_some()));
        assert_eq!(all.len(), super::PRESETS.len());
    }
}
