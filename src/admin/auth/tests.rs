//! Unit tests of `auth`.

use super::*;
use crate::config::Secret;

fn authorize<'a>(
    headers: &HeaderMap,
    tokens: &'a [AdminToken],
    scope: Scope,
) -> Result<&'a AdminToken, Denied> {
    let token = identify(headers, tokens)?;
    permit(token, scope).map(|()| token)
}

fn tokens() -> Vec<AdminToken> {
    vec![
        AdminToken {
            name: "viewer".into(),
            secret: Secret::new("v-token"),
            scopes: vec!["WEBHOOKS:VIEW".into()],
        },
        AdminToken {
            name: "ops".into(),
            secret: Secret::new("o-token"),
            scopes: vec!["WEBHOOKS:VIEW".into(), "WEBHOOKS:REMOVE".into()],
        },
    ]
}

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, v.parse().unwrap());
    }
    h
}

#[test]
fn bearer_and_api_key_are_both_accepted() {
    let t = tokens();
    let h = headers(&[("authorization", "Bearer o-token")]);
    assert_eq!(authorize(&h, &t, Scope::Remove).unwrap().name, "ops");
    let h = headers(&[("authorization", "bearer  v-token ")]);
    assert_eq!(authorize(&h, &t, Scope::View).unwrap().name, "viewer");
    let h = headers(&[("x-api-key", "v-token")]);
    assert_eq!(authorize(&h, &t, Scope::View).unwrap().name, "viewer");
    // A Basic header does not hide a valid x-api-key.
    let h = headers(&[("authorization", "Basic eDp5"), ("x-api-key", "o-token")]);
    assert_eq!(authorize(&h, &t, Scope::View).unwrap().name, "ops");
}

#[test]
fn unknown_missing_and_unscoped_tokens_are_refused() {
    let t = tokens();
    let none = HeaderMap::new();
    assert_eq!(
        authorize(&none, &t, Scope::View).unwrap_err(),
        Denied::Unauthorized
    );
    let wrong = headers(&[("authorization", "Bearer nope")]);
    assert_eq!(
        authorize(&wrong, &t, Scope::View).unwrap_err(),
        Denied::Unauthorized
    );
    let empty = headers(&[("authorization", "Bearer ")]);
    assert_eq!(
        authorize(&empty, &t, Scope::View).unwrap_err(),
        Denied::Unauthorized
    );
    let viewer = headers(&[("x-api-key", "v-token")]);
    assert_eq!(
        authorize(&viewer, &t, Scope::Add).unwrap_err(),
        Denied::Forbidden
    );
}
