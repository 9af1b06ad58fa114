//! Checks a listener document with the validator `hookgate check` runs on the file: the document
//! is written out as the `[[listener]]` table it stands for and validated as such, so the API and
//! the file can never disagree on what a valid listener is.

use super::doc::{ListenerDoc, RateLimitDoc, ReceiverDoc};
use super::request::Problem;
use crate::config::raw::{RawListener, Sp};
use crate::config::validate::Validator;
use crate::config::{Config, ListenerSpec};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::{Table, Value};

/// The shape of the generated text: one `[[listener]]`.
#[derive(Deserialize)]
struct OneListener {
    listener: Vec<Sp<RawListener>>,
}

/// Validates `doc` as listener `id` under the running configuration (its providers and
/// `allow_targets`). Every problem comes back, named by its JSON field.
pub fn check(id: &str, doc: &ListenerDoc, config: &Config) -> Result<ListenerSpec, Vec<Problem>> {
    let text = match toml::to_string(&wrap(id, doc)) {
        Ok(t) => t,
        Err(e) => {
            // Never log the text: it holds the secrets.
            tracing::error!(error = %e, "cannot write a listener as TOML");
            return Err(vec![Problem::new(
                "(body)",
                "the listener could not be checked",
            )]);
        }
    };
    let raw: OneListener = match toml::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e.message(), "cannot read back a listener written as TOML");
            return Err(vec![Problem::new(
                "(body)",
                "the listener could not be checked",
            )]);
        }
    };
    let Some(raw) = raw.listener.first() else {
        return Err(vec![Problem::new(
            "(body)",
            "the listener could not be checked",
        )]);
    };
    let mut v = Validator::new(&text, Path::new("(management API)"));
    let spec = v.listener(raw, "listener", &config.providers, &config.delivery);
    let problems: Vec<Problem> = v
        .errs
        .errors
        .iter()
        .map(|e| Problem::new(json_field(&e.key), e.message.clone()))
        .collect();
    match spec {
        Some(spec) if problems.is_empty() => Ok(spec),
        _ if problems.is_empty() => Err(vec![Problem::new("(body)", "not a valid listener")]),
        _ => Err(problems),
    }
}

fn wrap(id: &str, doc: &ListenerDoc) -> Table {
    let mut file = Table::new();
    file.insert(
        "listener".into(),
        Value::Array(vec![Value::Table(listener_table(id, doc))]),
    );
    file
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

fn strings(list: &[String]) -> Value {
    Value::Array(list.iter().map(|x| s(x)).collect())
}

fn string_table(map: &BTreeMap<String, String>) -> Value {
    Value::Table(map.iter().map(|(k, v)| (k.clone(), s(v))).collect())
}

fn rate_limit(r: &RateLimitDoc) -> Value {
    let mut t = Table::new();
    t.insert("per_second".into(), Value::Integer(r.per_second.into()));
    if let Some(b) = r.burst {
        t.insert("burst".into(), Value::Integer(b.into()));
    }
    Value::Table(t)
}

/// The `[[listener]]` table a document stands for, key for key.
fn listener_table(id: &str, d: &ListenerDoc) -> Table {
    let mut t = Table::new();
    t.insert("id".into(), s(id));
    t.insert("name".into(), s(&d.name));
    t.insert("provider".into(), s(&d.provider));
    t.insert("account_id".into(), s(&d.integration_account_id));
    if let Some(w) = &d.workspace_id {
        t.insert("workspace_id".into(), s(w));
    }
    if let Some(i) = &d.integration_definition_id {
        t.insert("integration_definition_id".into(), s(i));
    }
    t.insert("enabled".into(), Value::Boolean(d.enabled));
    t.insert("api_support".into(), Value::Boolean(d.api_support));
    t.insert("allowed_ips".into(), strings(&d.allowed_ips));
    t.insert("required_headers".into(), string_table(&d.headers));
    if let Some(b) = &d.basic_auth {
        let mut ba = Table::new();
        ba.insert("username".into(), s(&b.username));
        ba.insert("password".into(), s(&b.password));
        t.insert("basic_auth".into(), Value::Table(ba));
    }
    if let Some(v) = &d.verify_secret {
        t.insert("verify_secret".into(), s(v));
    }
    if let Some(r) = &d.rate_limit {
        t.insert("rate_limit".into(), rate_limit(r));
    }
    if let Some(subs) = &d.event_subscription {
        t.insert(
            "event_subscription".into(),
            Value::Table(
                subs.iter()
                    .map(|(k, v)| (k.clone(), Value::Boolean(*v)))
                    .collect(),
            ),
        );
    }
    t.insert(
        "receiver".into(),
        Value::Array(
            d.receivers
                .iter()
                .map(|r| Value::Table(receiver_table(r)))
                .collect(),
        ),
    );
    t
}

fn receiver_table(r: &ReceiverDoc) -> Table {
    let mut t = Table::new();
    t.insert("url".into(), s(&r.url));
    t.insert("headers".into(), string_table(&r.headers));
    if let Some(e) = &r.events {
        t.insert("events".into(), strings(e));
    }
    t.insert("format".into(), s(&r.format));
    if let Some(n) = r.max_retry_count {
        t.insert("max_retry_count".into(), Value::Integer(n.into()));
    }
    if let Some(x) = &r.signing_secret {
        t.insert("signing_secret".into(), s(x));
    }
    if let Some(x) = &r.authorization {
        t.insert("authorization".into(), s(x));
    }
    if let Some(o) = &r.oauth {
        let mut ot = Table::new();
        ot.insert("token_url".into(), s(&o.token_url));
        ot.insert("client_id".into(), s(&o.client_id));
        ot.insert("client_secret".into(), s(&o.client_secret));
        ot.insert("credentials_location".into(), s(&o.credentials_location));
        if let Some(scope) = &o.scope {
            ot.insert("scope".into(), s(scope));
        }
        t.insert("oauth".into(), Value::Table(ot));
    }
    if let Some(rl) = &r.rate_limit {
        t.insert("rate_limit".into(), rate_limit(rl));
    }
    t.insert("forward_headers".into(), strings(&r.forward_headers));
    if let Some(x) = &r.timeout {
        t.insert("timeout".into(), s(x));
    }
    t
}

/// Turns a validator key (`listener.receiver[0].signing_secret`) into the JSON field it came
/// from (`receivers[0].signingSecret`).
fn json_field(key: &str) -> String {
    let rest = key
        .strip_prefix("listener")
        .unwrap_or(key)
        .trim_start_matches('.');
    if rest.is_empty() {
        return "(listener)".into();
    }
    let mut out: Vec<String> = Vec::new();
    let mut parts = rest.split('.');
    while let Some(segment) = parts.next() {
        let (name, index) = segment.split_at(segment.find('[').unwrap_or(segment.len()));
        let mapped = match name {
            "receiver" => "receivers".to_string(),
            "id" => "integrationAccountWebhookId".to_string(),
            "account_id" => "integrationAccountId".to_string(),
            "required_headers" => "headers".to_string(),
            other => camel(other),
        };
        out.push(format!("{mapped}{index}"));
        if matches!(name, "required_headers" | "headers") {
            // A header name may hold dots: the rest of the key is that name.
            let tail: Vec<&str> = parts.collect();
            if !tail.is_empty() {
                out.push(tail.join("."));
            }
            break;
        }
    }
    out.join(".")
}

fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::input;

    const FILE_HEAD: &str = "[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n";

    fn config() -> Config {
        crate::config::parse(FILE_HEAD, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn validator_keys_become_json_fields() {
        assert_eq!(
            json_field("listener.receiver[2].signing_secret"),
            "receivers[2].signingSecret"
        );
        assert_eq!(json_field("listener.account_id"), "integrationAccountId");
        assert_eq!(
            json_field("listener.required_headers.X-Odd.Name"),
            "headers.X-Odd.Name"
        );
        assert_eq!(json_field("listener.allowed_ips[0]"), "allowedIps[0]");
        assert_eq!(
            json_field("listener.receiver[0].oauth.token_url"),
            "receivers[0].oauth.tokenUrl"
        );
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
}
