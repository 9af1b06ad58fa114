//! Where a provider puts a value (event type, event id): body pointer, header or query parameter.

use std::fmt;

/// Why a locator does not parse; the message names the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocatorError {
    #[error("`{0}` must be body:/pointer, header:Name or query:name")]
    NoKind(String),
    #[error("`{text}` names nothing after `{kind}:`")]
    Empty { text: String, kind: String },
    #[error("`{0}`: a body pointer starts with `/`")]
    NotAPointer(String),
    #[error("`{0}` is not a valid header name")]
    BadHeader(String),
    #[error("`{0}` must start with body:, header: or query:")]
    UnknownKind(String),
}

/// One place to read a value from. Several may be tried in order
/// (`"body:/event/type|body:/type"`), the first one present wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// A JSON pointer into the request body.
    Body(String),
    /// A request header (case-insensitive).
    Header(http::HeaderName),
    /// A query-string parameter.
    Query(String),
}

/// An ordered list of places to look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locators(pub Vec<Locator>);

impl Locators {
    pub fn parse(text: &str) -> Result<Locators, LocatorError> {
        let list = text
            .split('|')
            .map(|part| Locator::parse(part.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Locators(list))
    }

    /// True when any place is in the JSON body, so the body must be parsed.
    pub fn reads_body(&self) -> bool {
        self.0.iter().any(|l| matches!(l, Locator::Body(_)))
    }
}

impl Locator {
    pub fn parse(text: &str) -> Result<Locator, LocatorError> {
        let (kind, rest) = text
            .split_once(':')
            .ok_or_else(|| LocatorError::NoKind(text.to_string()))?;
        if rest.is_empty() {
            return Err(LocatorError::Empty {
                text: text.to_string(),
                kind: kind.to_string(),
            });
        }
        match kind {
            "body" if rest.starts_with('/') => Ok(Locator::Body(rest.to_string())),
            "body" => Err(LocatorError::NotAPointer(text.to_string())),
            "header" => http::HeaderName::from_bytes(rest.as_bytes())
                .map(Locator::Header)
                .map_err(|_| LocatorError::BadHeader(rest.to_string())),
            "query" => Ok(Locator::Query(rest.to_string())),
            _ => Err(LocatorError::UnknownKind(text.to_string())),
        }
    }
}

impl fmt::Display for Locators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            match l {
                Locator::Body(p) => write!(f, "body:{p}")?,
                Locator::Header(h) => write!(f, "header:{h}")?,
                Locator::Query(q) => write!(f, "query:{q}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_and_lists() {
        let l = Locators::parse("body:/event/type|header:X-Event|query:status").unwrap();
        assert_eq!(l.0.len(), 3);
        assert!(l.reads_body());
        assert_eq!(
            l.to_string(),
            "body:/event/type|header:x-event|query:status"
        );
        assert!(Locators::parse("body:event").is_err());
        assert!(Locators::parse("cookie:x").is_err());
        assert!(Locators::parse("header:").is_err());
    }
}
