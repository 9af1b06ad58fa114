//! OAuth 2.0 client credentials for receivers: fetch, cache until shortly before expiry, refresh on 401.

use super::client::{error_chain, HttpClient};
use crate::config::{CredentialsLocation, OAuthSpec};
use base64::Engine;
use bytes::Bytes;
use dashmap::DashMap;
use http::{header, Method, Request};
use http_body_util::{BodyExt, Full};
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

/// How long a token without `expires_in` is trusted.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

impl TokenCache {
    /// A valid token; `stale` is a token the receiver just refused, which is never handed out again.
    pub async fn token(
        &self,
        spec: &OAuthSpec,
        client: &HttpClient,
        stale: Option<&str>,
    ) -> Result<String, String> {
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
        let fresh = fetch(spec, client).await?;
        let value = fresh.value.clone();
        *guard = Some(fresh);
        Ok(value)
    }
}

async fn fetch(spec: &OAuthSpec, client: &HttpClient) -> Result<CachedToken, String> {
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
    let req = req
        .body(Full::new(Bytes::from(form)))
        .map_err(|e| format!("cannot build the token request: {e}"))?;
    let resp = tokio::time::timeout(Duration::from_secs(15), client.request(req))
        .await
        .map_err(|_| "the token endpoint did not answer within 15s".to_string())?
        .map_err(|e| format!("the token endpoint is unreachable: {}", error_chain(&e)))?;
    let status = resp.status();
    let body = tokio::time::timeout(Duration::from_secs(15), resp.into_body().collect())
        .await
        .map_err(|_| "the token endpoint's answer did not arrive in time".to_string())?
        .map_err(|e| format!("cannot read the token endpoint's answer: {e}"))?
        .to_bytes();
    if !status.is_success() {
        // The body may echo credentials; keep only the status and the OAuth error code.
        let code = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or_default();
        return Err(format!("the token endpoint answered {status} {code}")
            .trim_end()
            .to_string());
    }
    let json: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| "the token endpoint's answer is not JSON".to_string())?;
    let value = json
        .get("access_token")
        .and_then(|v| v.as_str())
        .ok_or("the token endpoint's answer has no access_token")?
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
