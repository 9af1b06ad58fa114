use super::*;
use serde_json::Value;

/// What reading the whole document and asking `Value::pointer` gives, as `pluck` reports it.
fn by_value(body: &str, pointer: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).unwrap();
    match v.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[test]
fn finds_what_the_whole_document_would_give() {
    let bodies = [
        r#"{"event":"reservation.created","data":{"id":7,"list":[1,{"x":"y"}],"f":1.5,"b":true,"n":null}}"#,
        r#"{"a/b":{"m~n":"esc"},"type":"t","type":"last","big":18446744073709551615,"neg":-3}"#,
        r#"{"data":{"id":{}},"event":["x"]}"#,
        r#"["first",{"0":"zero"}]"#,
        r#""just a string""#,
        r#"{"s":"with \"quotes\" and \u00e9"}"#,
    ];
    let pointers = [
        "/event",
        "/data/id",
        "/data/list/1/x",
        "/data/list/01",
        "/data/f",
        "/data/b",
        "/data/n",
        "/data",
        "/a~1b/m~0n",
        "/type",
        "/big",
        "/neg",
        "/event/0",
        "/0",
        "/1/0",
        "",
        "/s",
        "no-slash",
        "/missing/deeper",
    ];
    for body in bodies {
        let got = pluck(body.as_bytes(), &pointers).unwrap();
        for (p, g) in pointers.iter().zip(got) {
            let expected = if p.is_empty() || p.starts_with('/') {
                by_value(body, p)
            } else {
                None
            };
            assert_eq!(g, expected, "pointer {p:?} in {body}");
        }
    }
}

#[test]
fn refuses_what_is_not_json() {
    for body in ["", "{", r#"{"a":1} trailing"#, r#"{"a":}"#, "nul"] {
        assert!(pluck(body.as_bytes(), &["/a"]).is_err(), "{body:?}");
    }
    // Checked even where nothing is looked for.
    assert!(pluck(br#"{"a":1,"b":[1,}"#, &["/a"]).is_err());
}
