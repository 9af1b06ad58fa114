//! Step 6 of the listener checks: required headers, HTTP Basic and the provider's signature.

use crate::config::{constant_time_eq, ListenerSpec, ProviderSpec};
use crate::signature::{self, Scheme};
use base64::Engine;
use http::HeaderMap;

/// Why a request was refused; logged, never sent (a 401 does not say which check failed).
#[derive(Debug)]
pub struct AuthFailure(pub String);

/// Runs every credential check the listener has. All secret comparisons are constant-time.
pub fn check(
    listener: &ListenerSpec,
    provider: &ProviderSpec,
    headers: &HeaderMap,
    body: &[u8],
    now_unix: i64,
) -> Result<(), AuthFailure> {
    for (name, expected) in &listener.required_headers {
        let got = headers.get(name).map(|v| v.as_bytes()).unwrap_or_default();
        if !constant_time_eq(got, expected.expose().as_bytes()) {
            return Err(AuthFailure(format!(
                "required header {name} missing or wrong"
            )));
        }
    }
    if let Some(basic) = &listener.basic_auth {
        let expected = format!("{}:{}", basic.username, basic.password.expose());
        let given = basic_credentials(headers).unwrap_or_default();
        if !constant_time_eq(&given, expected.as_bytes()) {
            return Err(AuthFailure("basic auth missing or wrong".into()));
        }
    }
    if provider.scheme.signs() {
        if let Some(secret) = &listener.verify_secret {
            signature::verify(&provider.scheme, secret.expose(), headers, body, now_unix)
                .map_err(|e| AuthFailure(format!("{} signature: {e}", provider.scheme.name())))?;
        }
    } else if provider.scheme == Scheme::Basic && listener.basic_auth.is_none() {
        // `verify = "basic"` with a verify_secret and no basic_auth: the secret is the password of any user.
        if let Some(secret) = &listener.verify_secret {
            let given = basic_credentials(headers).unwrap_or_default();
            let password = given.splitn(2, |b| *b == b':').nth(1).unwrap_or_default();
            if !constant_time_eq(password, secret.expose().as_bytes()) {
                return Err(AuthFailure("basic auth missing or wrong".into()));
            }
        }
    }
    Ok(())
}

/// The decoded "user:password" of an `Authorization: Basic` header.
fn basic_credentials(headers: &HeaderMap) -> Option<Vec<u8>> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
}
