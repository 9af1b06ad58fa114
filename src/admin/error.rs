//! The management API's errors, and the one place they become HTTP answers in the SPEC's
//! shape: `{"code","message","errorId","timestamp"}` (plus `errors` for a 400).

use super::request::Problem;
use crate::http_util::{self, Body};
use crate::store::StoreError;
use http::{header, HeaderValue, Response, StatusCode};
use serde_json::json;

/// How long a client should wait after the store failed, in seconds.
const STORE_RETRY_AFTER: u64 = 5;

/// Why a management API call did not succeed.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// 400 `invalid_request`, with every problem and its field.
    Invalid(Vec<Problem>),
    /// 400 `secret_required`: `"***"` for a secret of a receiver going to a new destination
    /// (its `url` or `oauth.tokenUrl` changed); every problem of the body is listed.
    SecretRequired(Vec<Problem>),
    /// 401: no token, or one that matches none.
    Unauthorized,
    /// 403: a known token without the scope named here.
    Forbidden(&'static str),
    /// 404 `not_found`: what was not there.
    NotFound(String),
    /// 405: the path takes only the methods named here (the `Allow` header).
    WrongMethod(&'static str),
    /// 409 with its own code: the request clashes with what exists.
    Conflict { code: &'static str, message: String },
    /// 413: the body is larger than the API reads.
    TooLarge,
    /// 503 with `Retry-After`: the store failed; a client should try again.
    Store(StoreError),
}

/// What an endpoint returns.
pub type ApiResult = Result<Response<Body>, ApiError>;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::Store(e)
    }
}

impl From<Vec<Problem>> for ApiError {
    fn from(problems: Vec<Problem>) -> ApiError {
        ApiError::Invalid(problems)
    }
}

impl ApiError {
    /// 404 with a message saying what is missing.
    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::NotFound(what.into())
    }

    /// The answer.
    pub fn into_response(self) -> Response<Body> {
        match self {
            ApiError::Invalid(problems) => invalid("invalid_request", &problems),
            ApiError::SecretRequired(problems) => invalid("secret_required", &problems),
            ApiError::Unauthorized => http_util::error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid token is required: Authorization: Bearer TOKEN or x-api-key: TOKEN",
            ),
            ApiError::Forbidden(scope) => http_util::error(
                StatusCode::FORBIDDEN,
                "forbidden",
                &format!("this token lacks the {scope} scope"),
            ),
            ApiError::NotFound(what) => http_util::error(StatusCode::NOT_FOUND, "not_found", &what),
            ApiError::WrongMethod(allow) => {
                let resp = http_util::error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "this path does not take this method",
                );
                http_util::with_header(resp, header::ALLOW, allow)
            }
            ApiError::Conflict { code, message } => {
                http_util::error(StatusCode::CONFLICT, code, &message)
            }
            ApiError::TooLarge => http_util::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is larger than 1 MiB",
            ),
            ApiError::Store(e) => store_unavailable(&e),
        }
    }
}

/// 400 with the SPEC error shape plus `errors`: every problem, each with its field.
fn invalid(code: &str, problems: &[Problem]) -> Response<Body> {
    let message = problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect::<Vec<_>>()
        .join("; ");
    http_util::json(
        StatusCode::BAD_REQUEST,
        &json!({
            "code": code,
            "message": message,
            "errorId": uuid::Uuid::new_v4().to_string(),
            "timestamp": http_util::rfc3339_now(),
            "errors": problems
                .iter()
                .map(|p| json!({"field": p.field, "message": p.message}))
                .collect::<Vec<_>>(),
        }),
    )
}

fn store_unavailable(e: &StoreError) -> Response<Body> {
    tracing::error!(error = %e, "management API: the store failed");
    let mut resp = http_util::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the store is unavailable; retry shortly",
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(STORE_RETRY_AFTER));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_status() {
        let cases = [
            (ApiError::Invalid(vec![Problem::new("a", "b")]), 400),
            (ApiError::SecretRequired(vec![Problem::new("a", "b")]), 400),
            (ApiError::Unauthorized, 401),
            (ApiError::Forbidden("WEBHOOKS:VIEW"), 403),
            (ApiError::not_found("x"), 404),
            (ApiError::WrongMethod("GET"), 405),
            (
                ApiError::Conflict {
                    code: "conflict",
                    message: "m".into(),
                },
                409,
            ),
            (ApiError::TooLarge, 413),
            (ApiError::from(StoreError::Full), 503),
        ];
        for (error, status) in cases {
            let resp = error.clone().into_response();
            assert_eq!(resp.status().as_u16(), status, "{error:?}");
        }
        let resp = ApiError::from(StoreError::Full).into_response();
        assert_eq!(resp.headers()[header::RETRY_AFTER], "5");
        let resp = ApiError::WrongMethod("GET, POST").into_response();
        assert_eq!(resp.headers()[header::ALLOW], "GET, POST");
    }
}
