//! Every `/api/` route needs a token with its scope; health, metrics and OpenAPI are open.

use super::config;
use crate::common::admin::{call, listener_path};
use crate::common::Gateway;

#[tokio::test]
async fn every_route_needs_a_token_and_its_scope() {
    let gw = Gateway::start(&config("http://127.0.0.1:9/r"));
    let routes = [
        ("GET", listener_path(""), "view-token"),
        ("POST", listener_path(""), "add-token"),
        ("GET", listener_path("x"), "view-token"),
        ("PUT", listener_path("x"), "edit-token"),
        ("DELETE", listener_path("x"), "remove-token"),
        ("POST", listener_path("x") + "/test", "edit-token"),
        ("POST", listener_path("x") + "/resume", "edit-token"),
        ("GET", listener_path("x") + "/events", "view-token"),
        ("GET", "/api/v1/events/e".into(), "view-token"),
        ("POST", "/api/v1/events/e/retry".into(), "edit-token"),
        ("DELETE", "/api/v1/events/e".into(), "remove-token"),
        ("GET", "/api/v1/event_types".into(), "view-token"),
    ];
    let all = [
        "view-token",
        "add-token",
        "edit-token",
        "remove-token",
        "no-scope-token",
    ];
    for (method, path, needed) in &routes {
        for token in ["", "wrong-token", "all-scopes-token-but-longer"] {
            let a = call(gw.admin, method, path, token, "{}").await;
            assert_eq!(a.status, 401, "{method} {path} with {token:?}");
            assert_eq!(a.code(), "unauthorized");
        }
        // x-api-key works like a Bearer token.
        let a = crate::common::post_from(
            "127.0.0.1".parse().unwrap(),
            gw.admin,
            method,
            path,
            &[("x-api-key", needed)],
            bytes::Bytes::from_static(b"{}"),
        )
        .await;
        assert!(
            a.status != 401 && a.status != 403,
            "{method} {path}: x-api-key refused"
        );
        for token in all {
            let a = call(gw.admin, method, path, token, "{}").await;
            if token == *needed {
                assert!(
                    a.status != 401 && a.status != 403,
                    "{method} {path}: {token} refused with {}",
                    a.status
                );
            } else {
                assert_eq!(a.status, 403, "{method} {path} with {token}");
                assert_eq!(a.code(), "forbidden");
                // The SPEC error shape.
                let j = a.json();
                assert!(
                    j["errorId"].is_string()
                        && j["timestamp"].is_string()
                        && j["message"].is_string()
                );
            }
        }
    }
    // Health, metrics and the OpenAPI document are open.
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let a = call(gw.admin, "GET", path, "", "").await;
        assert_eq!(a.status, 200, "{path}");
    }
    let doc = call(gw.admin, "GET", "/openapi.json", "", "").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["apiKey"]["name"],
        "x-api-key"
    );
}
