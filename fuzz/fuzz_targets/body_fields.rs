//! The one-pass JSON field reader of ingress (`BodyFields`, read through `locate`) against
//! `serde_json::Value::pointer`: `pointer \0 body`. On a body that is JSON without a repeated
//! key, both find the same text (strings as they are, numbers and booleans written out) or both
//! find none (null, objects, arrays, empty strings, misses).
//!
//! Where they may differ, and the target does not compare: a body that is not JSON (only the
//! reader's error matters, and it must not panic), and an object with a repeated key (the
//! document keeps the last copy; the reader may keep a value found under an earlier one).
#![no_main]

mod common;

use hookgate::config::{Locator, Locators};
use hookgate::ingress::event::{locate, BodyFields, RequestView};
use libfuzzer_sys::fuzz_target;
use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::HashSet;

/// Deserializes only from JSON in which no object repeats a key.
struct NoRepeatedKey;

impl<'de> Deserialize<'de> for NoRepeatedKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoRepeatedKey)
    }
}

impl<'de> Visitor<'de> for NoRepeatedKey {
    type Value = NoRepeatedKey;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoRepeatedKey>()?.is_some() {}
        Ok(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key) {
                return Err(A::Error::custom("repeated key"));
            }
            map.next_value::<NoRepeatedKey>()?;
        }
        Ok(self)
    }
}

/// What `locate` should find at `pointer` in `doc`.
fn expected(doc: &Value, pointer: &str) -> Option<String> {
    match doc.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let [pointer, body] = common::fields::<2>(data);
    let Ok(pointer) = std::str::from_utf8(pointer) else {
        return;
    };
    let Ok(locators) = Locators::parse(&format!("body:{pointer}")) else {
        return;
    };
    // A `|` in the text makes several locators: only single pointers are compared.
    let [Locator::Body(pointer)] = locators.0.as_slice() else {
        return;
    };
    let fields = BodyFields::read(body, &[&locators]);
    let Ok(doc) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let fields =
        fields.unwrap_or_else(|e| panic!("serde_json reads the body, BodyFields not: {e}"));
    if serde_json::from_slice::<NoRepeatedKey>(body).is_err() {
        return;
    }
    let headers = http::HeaderMap::new();
    let view = RequestView {
        headers: &headers,
        query: None,
        body: Some(&fields),
    };
    assert_eq!(
        locate(&locators, &view),
        expected(&doc, pointer),
        "at {pointer:?}"
    );
});
