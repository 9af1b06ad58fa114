//! Reading management API requests: the JSON body (bounded), the query string, paging, and the
//! problems found in them.

use super::error::ApiError;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

/// The largest request body the management API reads; a listener document is a few KiB.
pub const MAX_BODY: usize = 1024 * 1024;
/// Page size when `take` is absent, and the largest allowed.
pub const DEFAULT_TAKE: u32 = 100;
/// The largest `take`.
pub const MAX_TAKE: u32 = 1000;
/// The largest `skip`: beyond it a page would be empty anyway, and it fits every integer type.
pub const MAX_SKIP: u64 = i32::MAX as u64;

/// One thing wrong with a request: where (a JSON path or parameter name) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Reads the whole body, refusing more than `MAX_BODY` bytes with 413.
pub async fn body(body: Incoming) -> Result<Bytes, ApiError> {
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::TooLarge),
        Err(_) => Err(ApiError::Invalid(vec![Problem::new(
            "(body)",
            "the request body could not be read",
        )])),
    }
}

/// The decoded query parameters, in order.
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Decodes a query string (`+` is a space), absent meaning empty.
    pub fn parse(query: Option<&str>) -> Query {
        Query(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A whole number in `0..=max`, `default` when absent.
    pub fn number(&self, name: &str, default: u64, max: u64, problems: &mut Vec<Problem>) -> u64 {
        let Some(text) = self.get(name) else {
            return default;
        };
        match text.parse::<u64>() {
            Ok(n) if n <= max => n,
            _ => {
                problems.push(Problem::new(
                    name,
                    format!("must be a whole number from 0 to {max}"),
                ));
                default
            }
        }
    }

    /// `take` and `skip`.
    pub fn paging(&self, problems: &mut Vec<Problem>) -> (u32, u64) {
        let take = self.number(
            "take",
            u64::from(DEFAULT_TAKE),
            u64::from(MAX_TAKE),
            problems,
        );
        let skip = self.number("skip", 0, MAX_SKIP, problems);
        (take as u32, skip)
    }

    /// `true`/`false` (also `1`/`0`), `default` when absent.
    pub fn flag(&self, name: &str, default: bool, problems: &mut Vec<Problem>) -> bool {
        match self.get(name) {
            None => default,
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(_) => {
                problems.push(Problem::new(name, "must be true or false"));
                default
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_has_defaults_and_bounds() {
        let mut p = Vec::new();
        assert_eq!(Query::parse(None).paging(&mut p), (DEFAULT_TAKE, 0));
        assert_eq!(Query::parse(Some("take=5&skip=10")).paging(&mut p), (5, 10));
        assert!(p.is_empty());
        Query::parse(Some("take=-1&skip=x")).paging(&mut p);
        assert_eq!(p.len(), 2);
        let mut p = Vec::new();
        Query::parse(Some("take=1001")).paging(&mut p);
        assert_eq!(p[0].field, "take");
    }

    #[test]
    fn values_are_decoded() {
        let q = Query::parse(Some("eventType=orders%2Fcreate&x=a+b"));
        assert_eq!(q.get("eventType"), Some("orders/create"));
        assert_eq!(q.get("x"), Some("a b"));
    }
}
