//! Small HTTP helpers shared by the public and admin servers: JSON answers and SPEC error bodies.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use std::borrow::Cow;

/// The body type every hookgate answer uses.
pub type Body = Full<Bytes>;

/// A JSON answer.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let bytes = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(Full::new(Bytes::from(bytes)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// An error in the SPEC's shape: `{"code","message","errorId","timestamp"}`.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json(
        status,
        &serde_json::json!({
            "code": code,
            "message": message,
            "errorId": uuid::Uuid::new_v4().to_string(),
            "timestamp": rfc3339_now(),
        }),
    )
}

/// The current time as RFC 3339 with milliseconds, UTC.
pub fn rfc3339_now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

/// A Unix-millisecond time as RFC 3339, UTC.
pub fn rfc3339_ms(ms: i64) -> String {
    // RFC 3339 ends with year 9999; later instants are written as its last millisecond.
    let ms = ms.clamp(0, crate::delivery::retry::LATEST_RETRY_MS);
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

/// Adds a header with a value known to be valid.
pub fn with_header(
    mut resp: Response<Body>,
    name: header::HeaderName,
    value: &str,
) -> Response<Body> {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
    resp
}

/// A URL as logs print it: without user info, query string or fragment, which may carry
/// credentials (`?token=…`, `https://user:pass@…`). Text that is not a URL is cut at `?`.
/// A URL with none of `@`, `?` and `#` has none of them and is printed as it is, unparsed:
/// receiver URLs are stored as `url::Url` wrote them, and one is logged at every attempt.
pub fn loggable_url(url: &str) -> Cow<'_, str> {
    if !url.contains(['@', '?', '#']) {
        return Cow::Borrowed(url);
    }
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            Cow::Owned(u.into())
        }
        Err(_) => Cow::Borrowed(url.split(['?', '#']).next().unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_url;

    #[test]
    fn logged_urls_lose_credentials() {
        assert_eq!(
            loggable_url("https://u:p@r.example:8443/hook?token=s3cret#frag"),
            "https://r.example:8443/hook"
        );
        assert_eq!(loggable_url("http://r.example/x"), "http://r.example/x");
        assert_eq!(loggable_url("not a url?token=1"), "not a url");
    }
}
