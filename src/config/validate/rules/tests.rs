use super::offset_in_literal;

#[test]
fn a_literal_string_is_shifted_by_its_quote() {
    assert_eq!(offset_in_literal("'.a | {x: }'", 9), 10);
    assert_eq!(offset_in_literal("'''\n.a\n| x'''", 3), 7);
}

#[test]
fn a_basic_string_counts_its_escapes() {
    // `.a == \"x\" and $nope`: the value's offset 14 (`$`) is 14 as written.
    let literal = r#"".a == \"x\" and $nope""#;
    assert_eq!(&literal[offset_in_literal(literal, 14)..][..5], "$nope");
    assert_eq!(offset_in_literal("\"\\u00e9 x\"", 3), 8);
}
