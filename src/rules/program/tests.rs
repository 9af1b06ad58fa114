use super::*;

fn facts() -> EventFacts {
    EventFacts {
        event_type: Some("reservation.created".into()),
        provider: "hostaway".into(),
        account_id: "acc".into(),
        headers: vec![("X-Env".into(), "a".into()), ("x-env".into(), "b".into())],
    }
}

fn run(source: &str, input: &str) -> Vec<String> {
    let program = JqProgram::compile(source).unwrap();
    let input = jaq_json::read::parse_single(input.as_bytes()).unwrap();
    program
        .run(input, &facts(), 5)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn the_variables_are_bound_in_order() {
    assert_eq!(
        run(
            "[$event_type, $provider, $account_id, $headers[\"x-env\"]]",
            "null"
        ),
        [r#"["reservation.created","hostaway","acc","a, b"]"#]
    );
}

#[test]
fn the_standard_library_is_there() {
    assert_eq!(run(".a | map(. * 2) | add", r#"{"a":[1,2,3]}"#), ["12"]);
    assert_eq!(run(r#".s | test("^ab")"#, r#"{"s":"abc"}"#), ["true"]);
}

#[test]
fn a_syntax_error_names_its_offset() {
    let e = JqProgram::compile(".a | {x: }").unwrap_err();
    assert_eq!(e.offset, 9, "{e:?}");
    let e = JqProgram::compile(".a and $nope").unwrap_err();
    assert_eq!(e.offset, 7, "{e:?}");
    assert!(e.message.contains("$nope"), "{e:?}");
}

#[test]
fn the_environment_is_out_of_reach() {
    let e = JqProgram::compile("env").unwrap_err();
    assert!(e.message.contains("env"), "{e:?}");
}
