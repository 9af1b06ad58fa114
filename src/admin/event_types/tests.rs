//! Unit tests of `event_types`.

use super::*;

#[test]
fn every_builtin_provider_has_event_types() {
    for p in crate::config::presets::builtin() {
        assert!(
            EVENT_TYPES.iter().any(|(name, _, _)| *name == p.name),
            "no event types for {}",
            p.name
        );
    }
}

#[test]
fn every_fixture_type_is_listed() {
    // The fixtures are real provider payloads: the type each carries must be in the table.
    use crate::ingress::event::{locate, BodyFields, RequestView};
    let presets = crate::config::presets::builtin();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut seen = 0;
    for provider_dir in std::fs::read_dir(&dir).unwrap().flatten() {
        let provider = provider_dir.file_name().to_string_lossy().into_owned();
        let Some(preset) = presets.iter().find(|p| p.name == provider) else {
            continue;
        };
        for file in std::fs::read_dir(provider_dir.path()).unwrap().flatten() {
            let text = std::fs::read_to_string(file.path()).unwrap();
            let fixture: Value = serde_json::from_str(&text).unwrap();
            let mut headers = http::HeaderMap::new();
            for (k, v) in fixture["headers"].as_object().into_iter().flatten() {
                headers.insert(
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.as_str().unwrap().parse().unwrap(),
                );
            }
            let body = match fixture.get("rawBody").and_then(Value::as_str) {
                Some(raw) => serde_json::from_str(raw).ok(),
                None => fixture.get("body").cloned(),
            };
            let bytes = body.map(|b: Value| b.to_string());
            let fields = bytes
                .as_ref()
                .map(|b| BodyFields::read(b.as_bytes(), &[&preset.event_type]).unwrap());
            let view = RequestView {
                headers: &headers,
                query: None,
                body: fields.as_ref(),
            };
            let Some(t) = locate(&preset.event_type, &view) else {
                continue; // a ping without a type (hostaway)
            };
            seen += 1;
            assert!(
                EVENT_TYPES
                    .iter()
                    .any(|(p, name, _)| *p == provider && (*name == t || *name == "*")),
                "{}: {provider} type {t} is not in the table",
                file.path().display()
            );
        }
    }
    assert!(seen > 20, "only {seen} fixtures had a type");
}
