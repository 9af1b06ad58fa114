//! Who may call the management API: `Authorization: Bearer TOKEN` or `x-api-key: TOKEN`, matched
//! in constant time against `[[admin.token]]`, then the token's scopes.

use crate::config::{constant_time_eq, AdminToken};
use http::HeaderMap;

/// What each kind of call needs (as in the 8x8 API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    View,
    Add,
    Edit,
    Remove,
}

impl Scope {
    /// The scope's name in `[[admin.token]].scopes`.
    pub fn name(self) -> &'static str {
        match self {
            Scope::View => "WEBHOOKS:VIEW",
            Scope::Add => "WEBHOOKS:ADD",
            Scope::Edit => "WEBHOOKS:EDIT",
            Scope::Remove => "WEBHOOKS:REMOVE",
        }
    }
}

/// Why a call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No token, or one that matches no configured token: 401.
    Unauthorized,
    /// A known token without the scope: 403.
    Forbidden,
}

/// The token a request presents, if any. `Authorization` wins when it carries a Bearer token;
/// otherwise `x-api-key` is used.
fn presented(headers: &HeaderMap) -> Option<&[u8]> {
    let bearer = headers
        .get(http::header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .and_then(|v| {
            let (scheme, rest) = v.split_at(v.iter().position(|b| *b == b' ')?);
            scheme
                .eq_ignore_ascii_case(b"bearer")
                .then(|| rest.trim_ascii())
        });
    bearer
        .or_else(|| headers.get("x-api-key").map(|v| v.as_bytes().trim_ascii()))
        .filter(|t| !t.is_empty())
}

/// Finds the caller's token: `Unauthorized` without one or with one that matches none.
pub fn identify<'a>(
    headers: &HeaderMap,
    tokens: &'a [AdminToken],
) -> Result<&'a AdminToken, Denied> {
    let given = presented(headers).ok_or(Denied::Unauthorized)?;
    // Compare against every token, without stopping at the first match, so the time taken does
    // not tell which (or whether an earlier) token matched.
    let mut found = None;
    for token in tokens {
        if constant_time_eq(given, token.secret.expose().as_bytes()) && found.is_none() {
            found = Some(token);
        }
    }
    found.ok_or(Denied::Unauthorized)
}

/// Checks a known token has `scope`: `Forbidden` otherwise.
pub fn permit(token: &AdminToken, scope: Scope) -> Result<(), Denied> {
    if token.scopes.iter().any(|s| s == scope.name()) {
        Ok(())
    } else {
        Err(Denied::Forbidden)
    }
}

#[cfg(test)]
mod tests;
