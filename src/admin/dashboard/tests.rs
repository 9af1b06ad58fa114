//! Unit tests of `dashboard`.

use super::*;

#[test]
fn every_module_imported_is_served() {
    for a in ASSETS.iter().filter(|a| a.content_type == JS) {
        for line in a.body.lines().filter(|l| l.starts_with("import ")) {
            let file = line
                .rsplit("'./")
                .next()
                .unwrap()
                .split('\'')
                .next()
                .unwrap();
            let path = format!("/assets/{file}");
            assert!(asset(&path).is_some(), "{} imports {path}", a.path);
        }
    }
}

#[test]
fn the_page_has_nothing_inline_the_policy_would_block() {
    let page = asset("/").unwrap().body;
    assert!(!page.contains("<script>"), "inline script");
    assert!(!page.contains("style="), "inline style attribute");
    assert!(!page.contains("<style"), "inline style element");
    assert!(!page.contains("http://") && !page.contains("https://"));
    for a in ASSETS.iter() {
        assert!(
            !a.body.contains("innerHTML"),
            "{} writes HTML as text",
            a.path
        );
    }
}
