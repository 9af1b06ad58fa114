//! Locator lists (`body:/ptr|header:Name|query:name`) parsed, written back and read from a
//! request: `locators \0 header lines \0 query \0 body`.
#![no_main]

mod common;

use hookgate::config::Locators;
use hookgate::ingress::event::{locate, BodyFields, RequestView};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [text, lines, query, body] = common::fields::<4>(data);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let Ok(locators) = Locators::parse(text) else {
        return;
    };
    // What is written back parses to the same list.
    let written = locators.to_string();
    assert_eq!(
        Locators::parse(&written).as_ref(),
        Ok(&locators),
        "{written}"
    );
    let headers = common::headers(lines);
    // The body's fields are read in one pass without building the document, as ingress does.
    let fields = BodyFields::read(body, &[&locators]).ok();
    let view = RequestView {
        headers: &headers,
        query: std::str::from_utf8(query).ok(),
        body: fields.as_ref(),
    };
    let _ = locate(&locators, &view);
});
