use super::*;
use crate::config::Locators;

fn receiver(url: &str, order_by: Option<OrderBy>) -> ReceiverSpec {
    ReceiverSpec {
        url: url::Url::parse(url).unwrap(),
        headers: Vec::new(),
        authorization: None,
        signing_secret: None,
        signer: None,
        max_retry_count: None,
        rate_limit: None,
        events: None,
        format: crate::config::Format::Raw,
        forward_headers: Vec::new(),
        oauth: None,
        timeout: None,
        order_by,
        filter: None,
        transform: None,
    }
}

#[test]
fn keys_come_from_the_locator_or_the_whole_receiver() {
    let by_id = Some(OrderBy::Key(Locators::parse("body:/data/id").unwrap()));
    let receivers = [
        receiver("https://a.example/", by_id),
        receiver("https://b.example/", Some(OrderBy::Receiver)),
        receiver("https://c.example/", None),
        receiver("https://d.example/", Some(OrderBy::Receiver)),
    ];
    // d is ordered but does not take this event.
    let urls: Vec<String> = [
        "https://a.example/",
        "https://b.example/",
        "https://c.example/",
    ]
    .map(String::from)
    .to_vec();
    let headers = HeaderMap::new();
    let source = KeySource {
        headers: &headers,
        query: None,
        body: br#"{"data":{"id":42}}"#,
    };
    let keys = order_keys(&receivers, &urls, &source);
    assert_eq!(keys.len(), 2);
    assert_eq!(keys["https://a.example/"], "42");
    assert_eq!(keys["https://b.example/"], "*");
}

#[test]
fn an_event_without_the_key_gets_none_and_long_keys_are_digested() {
    let receivers = [receiver(
        "https://a.example/",
        Some(OrderBy::Key(Locators::parse("body:/id").unwrap())),
    )];
    let urls = vec!["https://a.example/".to_string()];
    let headers = HeaderMap::new();
    let missing = KeySource {
        headers: &headers,
        query: None,
        body: b"not json",
    };
    assert!(order_keys(&receivers, &urls, &missing).is_empty());
    let long = format!(r#"{{"id":"{}"}}"#, "x".repeat(500));
    let source = KeySource {
        headers: &headers,
        query: None,
        body: long.as_bytes(),
    };
    let key = &order_keys(&receivers, &urls, &source)["https://a.example/"];
    assert!(key.starts_with("sha256:") && key.len() == 7 + 64, "{key}");
}
