//! Unit tests of `openapi`.

use super::*;
use crate::admin::routes::{resolve, Resolved, TEMPLATES};

#[test]
fn every_served_path_is_documented_and_nothing_else() {
    let doc = build(&["hostaway".to_string()]);
    let paths = doc["paths"].as_object().unwrap();
    let api: Vec<&str> = paths
        .keys()
        .map(String::as_str)
        .filter(|p| p.starts_with("/api/"))
        .collect();
    assert_eq!(api.len(), TEMPLATES.len());
    for template in TEMPLATES {
        let item = paths[template]
            .as_object()
            .unwrap_or_else(|| panic!("{template} undocumented"));
        let concrete = template.replace("{id}", "x").replace("{eventId}", "x");
        for method in ["get", "post", "put", "delete", "patch"] {
            let served = matches!(
                resolve(&method.to_uppercase().parse().unwrap(), &concrete),
                Resolved::Found(..)
            );
            assert_eq!(served, item.contains_key(method), "{method} {template}");
            if let Some(op) = item.get(method) {
                let Resolved::Found(_, scope) =
                    resolve(&method.to_uppercase().parse().unwrap(), &concrete)
                else {
                    unreachable!()
                };
                assert_eq!(op["x-scope"], scope.name(), "{method} {template}");
            }
        }
    }
}

#[test]
fn answers_are_described_exactly() {
    let doc = build(&["hostaway".to_string()]);
    let schemas = &doc["components"]["schemas"];
    for name in [
        "Listener",
        "Receiver",
        "OAuth",
        "BasicAuth",
        "RateLimit",
        "Event",
        "Delivery",
        "DeliveryWithAttempts",
        "Attempt",
    ] {
        let s = &schemas[name];
        assert_eq!(s["additionalProperties"], false, "{name}");
        let properties = s["properties"].as_object().unwrap();
        let required = s["required"].as_array().unwrap();
        assert_eq!(
            properties.len(),
            required.len(),
            "{name}: every field is always sent"
        );
    }
    let input = &schemas["ListenerInput"];
    assert_eq!(input["additionalProperties"], false);
    assert_eq!(
        input["required"],
        json!(["integrationAccountId", "provider"])
    );
    assert_eq!(input["properties"]["provider"]["enum"], json!(["hostaway"]));
    assert_eq!(input["properties"]["createdAt"]["readOnly"], true);
    let receiver = &schemas["Receiver"]["properties"];
    assert_eq!(receiver["format"]["enum"], json!(["raw", "envelope"]));
    assert_eq!(receiver["signingSecret"]["enum"], json!(["***", null]));
}

#[test]
fn every_reference_resolves() {
    let doc = build(&["hostaway".to_string()]);
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"#/components/").skip(1) {
        let target = &part[..part.find('"').unwrap()];
        let (kind, name) = target.split_once('/').unwrap();
        assert!(
            doc["components"][kind].get(name).is_some(),
            "dangling reference {target}"
        );
    }
}
