//! OAuth 2.0 client credentials for receivers: fetch, cache until shortly before expiry, refresh on 401.

use super::client::{error_chain, HttpClient};
use super::outcome::Fault;
use crate::config::{CredentialsLocation, OAuthSpec};
use crate::http_util::Body;
use crate::netguard::{self, BlockedTarget};
use base64::Engine;
use bytes::Bytes;
use dashmap::DashMap;
use http::{header, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use ipnet::IpNet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Tokens by (token URL, client id, scope). One lock per key makes concurrent
/// deliveries share one fetch instead of stampeding the token endpoint.
#[derive(Default)]
pub struct TokenCache {
    slots: DashMap<String, Arc<Mutex<Option<CachedToken>>>>,
    /// Token requests made, for tests and metrics.
    pub fetches: std::sync::atomic::AtomicU64,
}

#[derive(Clone)]
struct CachedToken {
    value: String,
    good_until: Instant,
}

/// The largest token answer read; a bigger one fails the attempt.
pub const MAX_TOKEN_RESPONSE: usize = 64 * 1024;

/// How long a token without `expires_in` is trusted.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

impl TokenCache {
    /// A valid token; `stale` is a token the receiver just refused, which is never handed out again.
    pub async fn token(
        &self,
        spec: &OAuthSpec,
        client: &HttpClient,
        allow_targets: &[IpNet],
        stale: Option<&str>,
    ) -> Result<String, TokenError> {
        let key = format!(
            "{} {} {}",
            spec.token_url,
            spec.client_id,
            spec.scope.as_deref().unwrap_or("")
        );
        let slot = self.slots.entry(key).or_default().clone();
        let mut guard = slot.lock().await;
        if let Some(t) = guard.as_ref() {
            if t.good_until > Instant::now() && Some(t.value.as_str()) != stale {
                return Ok(t.value.clone());
            }
        }
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let fresh = fetch(spec, client, allow_targets).await?;
        let value = fresh.value.clone();
        *guard = Some(fresh);
        Ok(value)
    }
}

/// Why no token could be had. The texts are what attempts record after `oauth token: `.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token URL or the credentials do not make a valid request.
    #[error("cannot build the token request: {0}")]
    Build(http::Error),
    #[error("the token endpoint did not answer within 15s")]
    TimedOut,
    /// The private-address guard refused the token URL (a literal address or what it resolves to).
    #[error("{0}")]
    Blocked(BlockedTarget),
    /// No connection (refused, TLS, DNS).
    #[error("the token endpoint is unreachable: {0}")]
    Unreachable(String),
    #[error("the token endpoint's answer did not arrive in time")]
    AnswerTimedOut,
    #[error("cannot read the token endpoint's answer: {0}")]
    AnswerUnreadable(String),
    /// The answer is larger than `MAX_TOKEN_RESPONSE`; it is not read to the end.
    #[error("token_response_too_large: the token endpoint's answer exceeds 64 KiB")]
    TooLarge,
    /// A non-2xx answer: `code` is the OAuth `error` field (the body may echo credentials).
    #[error("{}", refused_text(.status, .code))]
    Refused { status: StatusCode, code: String },
    #[error("the token endpoint's answer is not JSON")]
    NotJson,
    #[error("the token endpoint's answer has no access_token")]
    NoAccessToken,
}

fn refused_text(status: &StatusCode, code: &str) -> String {
    format!("the token endpoint answered {status} {code}")
        .trim_end()
        .to_string()
}

impl TokenError {
    /// Whose fault it is that no token came.
    pub fn fault(&self) -> Fault {
        match self {
            TokenError::Build(_) | TokenError::Blocked(_) => Fault::Gateway,
            TokenError::TimedOut
            | TokenError::Unreachable(_)
            | TokenError::AnswerTimedOut
            | TokenError::AnswerUnreadable(_) => Fault::Network,
            // The endpoint refusing our credentials or scope: the OAuth settings are wrong.
            TokenError::Refused { status, .. } if matches!(status.as_u16(), 400 | 401 | 403) => {
                Fault::Gateway
            }
            TokenError::Refused { .. }
            | TokenError::NotJson
            | TokenError::NoAccessToken
            | TokenError::TooLarge => Fault::Receiver,
        }
    }
}

/// Asks the token endpoint for a token. The URL passes the private-address guard first (a
/// literal address never reaches the guarded resolver); redirects are never followed.
async fn fetch(
    spec: &OAuthSpec,
    client: &HttpClient,
    allow_targets: &[IpNet],
) -> Result<CachedToken, TokenError> {
    netguard::check_url(&spec.token_url, allow_targets).map_err(TokenError::Blocked)?;
    let req = token_request(spec)?;
    let resp = tokio::time::timeout(Duration::from_secs(15), client.request(req))
        .await
        .map_err(|_| TokenError::TimedOut)?
        .map_err(|e| match BlockedTarget::find_in(&e) {
            Some(blocked) => TokenError::Blocked(blocked.clone()),
            None => TokenError::Unreachable(error_chain(&e)),
        })?;
    let status = resp.status();
    let body = tokio::time::timeout(Duration::from_secs(15), read_limited(resp.into_body()))
        .await
        .map_err(|_| TokenError::AnswerTimedOut)??;
    if !status.is_success() {
        let code = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or_default();
        return Err(TokenError::Refused { status, code });
    }
    read_token(&body)
}

/// The whole answer, or `TooLarge` as soon as it passes `MAX_TOKEN_RESPONSE`.
async fn read_limited(body: hyper::body::Incoming) -> Result<Bytes, TokenError> {
    match Limited::new(body, MAX_TOKEN_RESPONSE).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(TokenError::TooLarge),
        Err(e) => Err(TokenError::AnswerUnreadable(error_chain(&*e))),
    }
}

/// The client-credentials request, with the credentials where `credentials_location` says.
fn token_request(spec: &OAuthSpec) -> Result<Request<Body>, TokenError> {
    // The serializer is not Send, so the form is finished before anything awaits.
    let form = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials");
        if let Some(scope) = &spec.scope {
            form.append_pair("scope", scope);
        }
        if spec.credentials_location == CredentialsLocation::Body {
            form.append_pair("client_id", &spec.client_id);
            form.append_pair("client_secret", spec.client_secret.expose());
        }
        form.finish()
    };
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(spec.token_url.as_str())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::USER_AGENT, super::request::USER_AGENT);
    if spec.credentials_location == CredentialsLocation::Header {
        // RFC 6749 §2.3.1: both parts are form-encoded before the Basic encoding.
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let pair = format!(
            "{}:{}",
            enc(&spec.client_id),
            enc(spec.client_secret.expose())
        );
        let basic = base64::engine::general_purpose::STANDARD.encode(pair);
        req = req.header(header::AUTHORIZATION, format!("Basic {basic}"));
    }
    req.body(Full::new(Bytes::from(form)))
        .map_err(TokenError::Build)
}

/// The token and how long to trust it, from a successful answer.
fn read_token(body: &[u8]) -> Result<CachedToken, TokenError> {
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|_| TokenError::NotJson)?;
    let value = json
        .get("access_token")
        .and_then(|v| v.as_str())
        .ok_or(TokenError::NoAccessToken)?
        .to_string();
    let lifetime = json
        .get("expires_in")
        .and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_LIFETIME);
    // Renew shortly before expiry: 30 s early, or 10 % early for short-lived tokens.
    let margin = (lifetime / 10).min(Duration::from_secs(30));
    Ok(CachedToken {
        value,
        good_until: Instant::now() + lifetime.saturating_sub(margin),
    })
}
