//! Unit tests of `routes`.

use super::*;

#[test]
fn every_route_resolves_with_its_scope() {
    let cases = [
        ("GET", "/api/v1/integration_account_webhook", Scope::View),
        ("POST", "/api/v1/integration_account_webhook", Scope::Add),
        ("GET", "/api/v1/integration_account_webhook/x", Scope::View),
        ("PUT", "/api/v1/integration_account_webhook/x", Scope::Edit),
        (
            "DELETE",
            "/api/v1/integration_account_webhook/x",
            Scope::Remove,
        ),
        (
            "POST",
            "/api/v1/integration_account_webhook/x/test",
            Scope::Edit,
        ),
        (
            "GET",
            "/api/v1/integration_account_webhook/x/events",
            Scope::View,
        ),
        (
            "POST",
            "/api/v1/integration_account_webhook/x/resume",
            Scope::Edit,
        ),
        ("GET", "/api/v1/events/e", Scope::View),
        ("DELETE", "/api/v1/events/e", Scope::Remove),
        ("POST", "/api/v1/events/e/retry", Scope::Edit),
        ("GET", "/api/v1/event_types", Scope::View),
    ];
    for (method, path, scope) in cases {
        match resolve(&method.parse().unwrap(), path) {
            Resolved::Found(_, s) => assert_eq!(s, scope, "{method} {path}"),
            other => panic!("{method} {path}: {other:?}"),
        }
    }
}

#[test]
fn ids_are_decoded_and_odd_paths_are_not_found() {
    assert_eq!(
        resolve(&Method::GET, "/api/v1/events/a%20b"),
        Resolved::Found(Endpoint::GetEvent("a b".into()), Scope::View)
    );
    assert_eq!(resolve(&Method::GET, "/api/v1/events/"), Resolved::NotFound);
    assert_eq!(resolve(&Method::GET, "/api/v1/nothing"), Resolved::NotFound);
    assert_eq!(
        resolve(&Method::PATCH, "/api/v1/events/e"),
        Resolved::WrongMethod("GET, DELETE")
    );
}
