//! Steps 7–8 helpers: reading the event type and id from where the provider puts them.

use super::pluck::pluck;
use crate::config::{Locator, Locators};
use http::HeaderMap;

/// The request parts a locator can read.
pub struct RequestView<'a> {
    pub headers: &'a HeaderMap,
    pub query: Option<&'a str>,
    /// The body values the locators point at, when some locator reads the body.
    pub body: Option<&'a BodyFields<'a>>,
}

/// The values a set of locators reads from a JSON body, taken in one pass over it without
/// building the document.
pub struct BodyFields<'a> {
    found: Vec<(&'a str, Option<String>)>,
}

impl<'a> BodyFields<'a> {
    /// Reads every body pointer of `locators` from `body`; an error if `body` is not JSON.
    pub fn read(body: &[u8], locators: &[&'a Locators]) -> Result<Self, serde_json::Error> {
        let pointers: Vec<&'a str> = locators
            .iter()
            .flat_map(|l| l.0.iter())
            .filter_map(|l| match l {
                Locator::Body(p) => Some(p.as_str()),
                _ => None,
            })
            .collect();
        let values = pluck(body, &pointers)?;
        Ok(BodyFields {
            found: pointers.into_iter().zip(values).collect(),
        })
    }

    fn get(&self, pointer: &str) -> Option<&str> {
        self.found
            .iter()
            .find(|(p, _)| *p == pointer)
            .and_then(|(_, v)| v.as_deref())
    }
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
        Locator::Body(pointer) => view.body?.get(pointer)?.to_string(),
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
        let json = serde_json::json!({"event": "reservation.created", "data": {"id": 7}});
        let l = |s| Locators::parse(s).unwrap();
        let pointers = l("body:/event|body:/data/id|body:/missing|body:/data");
        let fields = BodyFields::read(json.to_string().as_bytes(), &[&pointers]).unwrap();
        let view = RequestView {
            headers: &headers,
            query: Some("status=new&bookid=1"),
            body: Some(&fields),
        };
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
