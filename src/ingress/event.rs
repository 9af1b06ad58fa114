//! Steps 7–8 helpers: reading the event type and id from where the provider puts them.

use crate::config::{Locator, Locators};
use http::HeaderMap;
use serde_json::Value;

/// The request parts a locator can read.
pub struct RequestView<'a> {
    pub headers: &'a HeaderMap,
    pub query: Option<&'a str>,
    /// The parsed body, when some locator needs it.
    pub json: Option<&'a Value>,
}

/// The first value found by `locators`, as a string (numbers are written out).
pub fn locate(locators: &Locators, view: &RequestView<'_>) -> Option<String> {
    locators.0.iter().find_map(|l| locate_one(l, view))
}

fn locate_one(locator: &Locator, view: &RequestView<'_>) -> Option<String> {
    let text = match locator {
        Locator::Header(name) => view.headers.get(name)?.to_str().ok()?.trim().to_string(),
        Locator::Query(name) => view
            .query
            .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name))
            .map(|(_, v)| v.into_owned())?,
        Locator::Body(pointer) => match view.json?.pointer(pointer)? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        },
    };
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_in_each_place() {
        let mut headers = HeaderMap::new();
        headers.insert("x-github-event", "push".parse().unwrap());
        let json: Value = serde_json::json!({"event": "reservation.created", "data": {"id": 7}});
        let view = RequestView {
            headers: &headers,
            query: Some("status=new&bookid=1"),
            json: Some(&json),
        };
        let l = |s| Locators::parse(s).unwrap();
        assert_eq!(
            locate(&l("body:/event"), &view).as_deref(),
            Some("reservation.created")
        );
        assert_eq!(locate(&l("body:/data/id"), &view).as_deref(), Some("7"));
        assert_eq!(
            locate(&l("header:X-GitHub-Event"), &view).as_deref(),
            Some("push")
        );
        assert_eq!(locate(&l("query:status"), &view).as_deref(), Some("new"));
        assert_eq!(
            locate(&l("body:/missing|query:bookid"), &view).as_deref(),
            Some("1")
        );
        assert_eq!(locate(&l("body:/data"), &view), None);
    }
}
