use super::*;
use crate::admin::input;
use std::path::Path;

const FILE_HEAD: &str = "[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n";

fn config() -> Config {
    crate::config::parse(FILE_HEAD, Path::new("t.toml")).unwrap()
}

#[test]
fn the_same_bad_value_is_located_by_json_field_and_by_toml_line() {
    let doc = input::listener(
        br#"{"provider":"smoobu","integrationAccountId":"a",
             "receivers":[{"url":"http://127.0.0.1:9/ok"},{"url":"https://r.example/","timeout":"soon"}]}"#,
        "id-3",
        None,
    )
    .unwrap();
    let problems = check("id-3", &doc, &config()).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, "receivers[1].timeout");
    let file = format!(
        "{FILE_HEAD}[[listener]]\nid = \"id-3\"\nprovider = \"smoobu\"\naccount_id = \"a\"\n\
         [[listener.receiver]]\nurl = \"http://127.0.0.1:9/ok\"\n\
         [[listener.receiver]]\nurl = \"https://r.example/\"\ntimeout = \"soon\"\n"
    );
    let errors = crate::config::parse(&file, Path::new("t.toml")).unwrap_err();
    assert_eq!(errors.errors.len(), 1);
    let e = &errors.errors[0];
    assert_eq!((e.line, e.column), (11, 11));
    assert_eq!(e.key, "listener[0].receiver[1].timeout");
    assert_eq!(e.message, problems[0].message);
}

#[test]
fn a_good_document_becomes_the_listener_the_file_would_give() {
    let doc = input::listener(
        br#"{"provider":"stripe","integrationAccountId":"acct_1","verifySecret":"whsec_abc",
             "allowedIps":["203.0.113.0/24"],"rateLimit":{"perSecond":5},
             "eventSubscription":{"*":true},
             "receivers":[{"url":"http://127.0.0.1:9/h","format":"envelope","maxRetryCount":2,
               "signingSecret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","timeout":"2s"}]}"#,
        "id-1",
        None,
    )
    .unwrap();
    let spec = check("id-1", &doc, &config()).unwrap();
    let file = format!(
        r#"{FILE_HEAD}
[[listener]]
id = "id-1"
name = "id-1"
provider = "stripe"
account_id = "acct_1"
verify_secret = "whsec_abc"
allowed_ips = ["203.0.113.0/24"]
rate_limit = {{ per_second = 5 }}
event_subscription = {{ "*" = true }}
[[listener.receiver]]
url = "http://127.0.0.1:9/h"
format = "envelope"
max_retry_count = 2
signing_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
timeout = "2s"
"#
    );
    let from_file = crate::config::parse(&file, Path::new("t.toml")).unwrap();
    assert_eq!(&spec, &*from_file.listeners[0]);
    // The canonical document of the result checks to the same listener again.
    let again = check("id-1", &ListenerDoc::from(&spec), &config()).unwrap();
    assert_eq!(spec, again);
}

#[test]
fn problems_match_what_check_says_about_the_same_table() {
    let doc = input::listener(
        br#"{"provider":"nope","integrationAccountId":"a b","allowedIps":["10.0.0.300"],
             "receivers":[{"url":"http://10.1.2.3/x","signingSecret":"plain","format":"xml"}]}"#,
        "id-2",
        None,
    )
    .unwrap();
    let problems = check("id-2", &doc, &config()).unwrap_err();
    let file = format!(
        r#"{FILE_HEAD}
[[listener]]
id = "id-2"
provider = "nope"
account_id = "a b"
allowed_ips = ["10.0.0.300"]
[[listener.receiver]]
url = "http://10.1.2.3/x"
signing_secret = "plain"
format = "xml"
"#
    );
    let errors = crate::config::parse(&file, Path::new("t.toml")).unwrap_err();
    let mut from_file: Vec<String> = errors.errors.iter().map(|e| e.message.clone()).collect();
    let mut from_api: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
    from_file.sort();
    from_api.sort();
    assert_eq!(from_api, from_file);
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    for f in [
        "provider",
        "integrationAccountId",
        "allowedIps[0]",
        "receivers[0].url",
        "receivers[0].signingSecret",
        "receivers[0].format",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}
