//! Reading a listener from a POST or PUT body: each field's JSON type, unknown fields (every one
//! listed), the `receiverUrl` and `ipAddress` shorthands, and `"***"` standing for a stored secret.
//!
//! This only checks shapes; what the values mean (URLs, CIDRs, secrets, providers) is checked by
//! the config validator afterwards, so the API and `hookgate check` apply the same rules.

use super::doc::{BasicAuthDoc, ListenerDoc, OAuthDoc, RateLimitDoc, ReceiverDoc};
use super::request::Problem;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// How every secret is shown, and what a PUT sends to keep a stored secret unchanged.
pub const MASK: &str = "***";

/// Fields the server sets; a body may carry them (a GET answer sent back) and they are ignored.
const READ_ONLY: [&str; 6] = [
    "integrationAccountWebhookId",
    "listenerUrl",
    "createdAt",
    "updatedAt",
    "deleted",
    "managedBy",
];
/// Receiver fields the server sets (`paused`): ignored in a request, like `READ_ONLY`.
const RECEIVER_READ_ONLY: [&str; 1] = ["paused"];
const LISTENER_FIELDS: [&str; 16] = [
    "name",
    "enabled",
    "headers",
    "ipAddress",
    "eventSubscription",
    "receiverUrl",
    "integrationAccountId",
    "integrationDefinitionId",
    "workspaceId",
    "apiSupport",
    "provider",
    "allowedIps",
    "receivers",
    "basicAuth",
    "verifySecret",
    "rateLimit",
];
const RECEIVER_FIELDS: [&str; 11] = [
    "url",
    "headers",
    "events",
    "format",
    "maxRetryCount",
    "signingSecret",
    "authorization",
    "oauth",
    "rateLimit",
    "forwardHeaders",
    "timeout",
];
const OAUTH_FIELDS: [&str; 5] = [
    "tokenUrl",
    "clientId",
    "clientSecret",
    "credentialsLocation",
    "scope",
];
const BASIC_AUTH_FIELDS: [&str; 2] = ["username", "password"];
const RATE_LIMIT_FIELDS: [&str; 2] = ["perSecond", "burst"];

/// Reads a listener document from `body`. `id` names the listener (the default `name`);
/// `stored` is the current document on a PUT, whose secrets `"***"` keeps.
pub fn listener(
    body: &[u8],
    id: &str,
    stored: Option<&ListenerDoc>,
) -> Result<ListenerDoc, Vec<Problem>> {
    match read_listener(body, id, stored)? {
        (doc, problems) if problems.is_empty() => Ok(doc),
        (_, problems) => Err(problems),
    }
}

/// Like `listener`, but a JSON object always gives a document (fields with problems take their
/// defaults) next to its problems, so the caller can validate the rest and list everything at once.
pub fn read_listener(
    body: &[u8],
    id: &str,
    stored: Option<&ListenerDoc>,
) -> Result<(ListenerDoc, Vec<Problem>), Vec<Problem>> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| vec![Problem::new("(body)", format!("not a JSON document: {e}"))])?;
    let Value::Object(map) = &value else {
        return Err(vec![Problem::new("(body)", "must be a JSON object")]);
    };
    let mut r = Reader {
        problems: Vec::new(),
    };
    let doc = r.listener(map, id, stored);
    Ok((doc, r.problems))
}

/// Collects problems while reading, so one answer lists them all.
struct Reader {
    problems: Vec<Problem>,
}

fn path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Absent and `null` are the same: "not set".
fn given<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).filter(|v| !v.is_null())
}

impl Reader {
    fn problem(&mut self, field: String, message: &str) {
        self.problems.push(Problem::new(field, message));
    }

    fn known_fields(&mut self, map: &Map<String, Value>, prefix: &str, known: &[&str]) {
        let receiver = prefix.starts_with("receivers[") && !prefix.contains('.');
        for key in map.keys() {
            let read_only = (prefix.is_empty() && READ_ONLY.contains(&key.as_str()))
                || (receiver && RECEIVER_READ_ONLY.contains(&key.as_str()));
            if !known.contains(&key.as_str()) && !read_only {
                self.problem(path(prefix, key), "unknown field");
            }
        }
    }

    fn string(&mut self, map: &Map<String, Value>, prefix: &str, name: &str) -> Option<String> {
        match given(map, name)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.problem(path(prefix, name), "must be a string");
                None
            }
        }
    }

    fn required(&mut self, map: &Map<String, Value>, prefix: &str, name: &str) -> String {
        if given(map, name).is_none() {
            self.problem(path(prefix, name), "is required");
            return String::new();
        }
        self.string(map, prefix, name).unwrap_or_default()
    }

    fn boolean(&mut self, map: &Map<String, Value>, name: &str, default: bool) -> bool {
        match given(map, name) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.problem(name.to_string(), "must be true or false");
                default
            }
        }
    }

    fn number(&mut self, map: &Map<String, Value>, prefix: &str, name: &str) -> Option<u32> {
        let v = given(map, name)?;
        match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Some(n),
            None => {
                self.problem(
                    path(prefix, name),
                    "must be a whole number from 0 to 4294967295",
                );
                None
            }
        }
    }

    fn object<'a>(
        &mut self,
        map: &'a Map<String, Value>,
        prefix: &str,
        name: &str,
    ) -> Option<&'a Map<String, Value>> {
        match given(map, name)? {
            Value::Object(o) => Some(o),
            _ => {
                self.problem(path(prefix, name), "must be an object");
                None
            }
        }
    }

    fn strings(
        &mut self,
        map: &Map<String, Value>,
        prefix: &str,
        name: &str,
    ) -> Option<Vec<String>> {
        let field = path(prefix, name);
        match given(map, name)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        _ => self.problem(format!("{field}[{i}]"), "must be a string"),
                    }
                }
                Some(out)
            }
            _ => {
                self.problem(field, "must be an array of strings");
                None
            }
        }
    }

    /// An object of strings. With `secret`, a value may be `"***"`, kept from `stored` by name.
    fn string_map(
        &mut self,
        map: &Map<String, Value>,
        prefix: &str,
        name: &str,
        stored: Option<&BTreeMap<String, String>>,
        secret: bool,
    ) -> BTreeMap<String, String> {
        let field = path(prefix, name);
        let Some(o) = self.object(map, prefix, name) else {
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        for (k, v) in o {
            let kept = stored.and_then(|s| {
                s.iter()
                    .find(|(sk, _)| sk.eq_ignore_ascii_case(k))
                    .map(|(_, sv)| sv.as_str())
            });
            let key = format!("{field}.{k}");
            match v {
                Value::String(s) if secret => {
                    if let Some(s) = self.unmask(s, kept, key) {
                        out.insert(k.clone(), s);
                    }
                }
                Value::String(s) => {
                    out.insert(k.clone(), s.clone());
                }
                _ => self.problem(key, "must be a string"),
            }
        }
        out
    }

    /// A secret: the value in clear, or `"***"` for the stored one.
    fn secret(
        &mut self,
        map: &Map<String, Value>,
        prefix: &str,
        name: &str,
        stored: Option<&str>,
    ) -> Option<String> {
        let value = self.string(map, prefix, name)?;
        self.unmask(&value, stored, path(prefix, name))
    }

    fn unmask(&mut self, value: &str, stored: Option<&str>, field: String) -> Option<String> {
        if value != MASK {
            return Some(value.to_string());
        }
        match stored {
            Some(s) => Some(s.to_string()),
            None => {
                self.problem(
                    field,
                    "\"***\" keeps a stored secret, and there is none here: send the secret in clear",
                );
                None
            }
        }
    }

    fn rate_limit(&mut self, map: &Map<String, Value>, prefix: &str) -> Option<RateLimitDoc> {
        let field = path(prefix, "rateLimit");
        let o = self.object(map, prefix, "rateLimit")?;
        self.known_fields(o, &field, &RATE_LIMIT_FIELDS);
        if given(o, "perSecond").is_none() {
            self.problem(format!("{field}.perSecond"), "is required");
        }
        Some(RateLimitDoc {
            per_second: self.number(o, &field, "perSecond").unwrap_or(0),
            burst: self.number(o, &field, "burst"),
        })
    }

    fn listener(
        &mut self,
        map: &Map<String, Value>,
        id: &str,
        stored: Option<&ListenerDoc>,
    ) -> ListenerDoc {
        self.known_fields(map, "", &LISTENER_FIELDS);
        let provider = self.required(map, "", "provider");
        let account = self.required(map, "", "integrationAccountId");
        let allowed_ips = self.allowed_ips(map);
        let headers = self.string_map(map, "", "headers", stored.map(|s| &s.headers), true);
        let basic_auth = self.object(map, "", "basicAuth").map(|o| {
            self.known_fields(o, "basicAuth", &BASIC_AUTH_FIELDS);
            let kept = stored
                .and_then(|s| s.basic_auth.as_ref())
                .map(|b| b.password.as_str());
            if given(o, "password").is_none() {
                self.problem("basicAuth.password".into(), "is required");
            }
            BasicAuthDoc {
                username: self.required(o, "basicAuth", "username"),
                password: self
                    .secret(o, "basicAuth", "password", kept)
                    .unwrap_or_default(),
            }
        });
        let verify_secret = self.secret(
            map,
            "",
            "verifySecret",
            stored.and_then(|s| s.verify_secret.as_deref()),
        );
        let event_subscription = self.object(map, "", "eventSubscription").map(|o| {
            let mut subs = BTreeMap::new();
            for (k, v) in o {
                match v {
                    Value::Bool(b) => {
                        subs.insert(k.clone(), *b);
                    }
                    _ => self.problem(format!("eventSubscription.{k}"), "must be true or false"),
                }
            }
            subs
        });
        let receivers = self.receivers(map, stored);
        ListenerDoc {
            name: self
                .string(map, "", "name")
                .unwrap_or_else(|| id.to_string()),
            provider,
            integration_account_id: account,
            workspace_id: self.string(map, "", "workspaceId"),
            integration_definition_id: self.string(map, "", "integrationDefinitionId"),
            enabled: self.boolean(map, "enabled", true),
            api_support: self.boolean(map, "apiSupport", false),
            allowed_ips,
            headers,
            basic_auth,
            verify_secret,
            rate_limit: self.rate_limit(map, ""),
            event_subscription,
            receivers,
        }
    }

    /// `allowedIps`, or the `ipAddress` shorthand for one; when both are sent they must agree.
    fn allowed_ips(&mut self, map: &Map<String, Value>) -> Vec<String> {
        let list = self.strings(map, "", "allowedIps");
        let single = self.string(map, "", "ipAddress");
        match (list, single) {
            (Some(list), Some(ip)) => {
                if !list.first().is_some_and(|first| same_net(first, &ip)) {
                    self.problem(
                        "ipAddress".into(),
                        "disagrees with allowedIps[0]; send one of them, or the same value",
                    );
                }
                list
            }
            (Some(list), None) => list,
            (None, Some(ip)) => vec![ip],
            (None, None) => Vec::new(),
        }
    }

    /// `receivers`, or the `receiverUrl` shorthand for one with defaults; when both are sent,
    /// `receiverUrl` must be the first receiver's URL.
    fn receivers(
        &mut self,
        map: &Map<String, Value>,
        stored: Option<&ListenerDoc>,
    ) -> Vec<ReceiverDoc> {
        let short = self.string(map, "", "receiverUrl");
        let Some(value) = given(map, "receivers") else {
            return short.map(ReceiverDoc::with_url).into_iter().collect();
        };
        let Value::Array(items) = value else {
            self.problem("receivers".into(), "must be an array of objects");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let prefix = format!("receivers[{i}]");
            let Value::Object(o) = item else {
                self.problem(prefix, "must be an object");
                continue;
            };
            out.push(self.receiver(o, &prefix, i, stored));
        }
        if let Some(url) = short {
            if !out.first().is_some_and(|r| same_url(&r.url, &url)) {
                self.problem(
                    "receiverUrl".into(),
                    "disagrees with receivers[0].url; send one of them, or the same value",
                );
            }
        }
        out
    }

    fn receiver(
        &mut self,
        o: &Map<String, Value>,
        prefix: &str,
        index: usize,
        stored: Option<&ListenerDoc>,
    ) -> ReceiverDoc {
        self.known_fields(o, prefix, &RECEIVER_FIELDS);
        let url = self.required(o, prefix, "url");
        // The stored receiver whose secrets "***" keeps: the one with this URL, else the one at
        // the same place (a PUT that changed the URL and kept the secret).
        let old = stored.and_then(|s| {
            s.receivers
                .iter()
                .find(|r| same_url(&r.url, &url))
                .or_else(|| s.receivers.get(index))
        });
        let oauth = self.object(o, prefix, "oauth").map(|a| {
            let field = path(prefix, "oauth");
            self.known_fields(a, &field, &OAUTH_FIELDS);
            let kept = old
                .and_then(|r| r.oauth.as_ref())
                .map(|x| x.client_secret.as_str());
            if given(a, "clientSecret").is_none() {
                self.problem(format!("{field}.clientSecret"), "is required");
            }
            OAuthDoc {
                token_url: self.required(a, &field, "tokenUrl"),
                client_id: self.required(a, &field, "clientId"),
                client_secret: self
                    .secret(a, &field, "clientSecret", kept)
                    .unwrap_or_default(),
                credentials_location: self
                    .string(a, &field, "credentialsLocation")
                    .unwrap_or_else(|| "header".into()),
                scope: self.string(a, &field, "scope"),
            }
        });
        ReceiverDoc {
            headers: self.string_map(o, prefix, "headers", None, false),
            events: self.strings(o, prefix, "events"),
            format: self
                .string(o, prefix, "format")
                .unwrap_or_else(|| "raw".into()),
            max_retry_count: self.number(o, prefix, "maxRetryCount"),
            signing_secret: self.secret(
                o,
                prefix,
                "signingSecret",
                old.and_then(|r| r.signing_secret.as_deref()),
            ),
            authorization: self.secret(
                o,
                prefix,
                "authorization",
                old.and_then(|r| r.authorization.as_deref()),
            ),
            oauth,
            rate_limit: self.rate_limit(o, prefix),
            forward_headers: self
                .strings(o, prefix, "forwardHeaders")
                .unwrap_or_default(),
            timeout: self.string(o, prefix, "timeout"),
            url,
        }
    }
}

/// Two receiver URLs are the same when they parse to the same URL ("http://a" = "http://a/").
fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Two allowed-IP entries are the same network ("127.0.0.1" = "127.0.0.1/32").
fn same_net(a: &str, b: &str) -> bool {
    fn net(s: &str) -> Option<ipnet::IpNet> {
        let s = s.trim();
        s.parse::<ipnet::IpNet>()
            .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .ok()
            .map(|n| n.trunc())
    }
    match (net(a), net(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.trim() == b.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str, stored: Option<&ListenerDoc>) -> Result<ListenerDoc, Vec<Problem>> {
        listener(body.as_bytes(), "the-id", stored)
    }

    fn fields(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn shorthands_expand_and_read_only_fields_are_ignored() {
        let doc = read(
            r#"{"provider":"smoobu","integrationAccountId":"a","receiverUrl":"https://r.example/h",
                "ipAddress":"203.0.113.7","createdAt":"x","managedBy":"api","listenerUrl":[],
                "integrationAccountWebhookId":"ignored","deleted":null}"#,
            None,
        )
        .unwrap();
        assert_eq!(doc.name, "the-id");
        assert_eq!(doc.receivers.len(), 1);
        assert_eq!(doc.receivers[0].url, "https://r.example/h");
        assert_eq!(doc.receivers[0].format, "raw");
        assert_eq!(doc.allowed_ips, vec!["203.0.113.7"]);
        assert!(doc.enabled);
    }

    #[test]
    fn every_shape_problem_is_listed() {
        let problems = read(
            r#"{"provider":3,"enabled":"yes","bogus":1,"receivers":[{"url":"https://a/","extra":true,"maxRetryCount":-1}],
                "rateLimit":{"perSecond":"fast"},"eventSubscription":{"a":1}}"#,
            None,
        )
        .unwrap_err();
        let f = fields(&problems);
        for want in [
            "provider",
            "integrationAccountId",
            "enabled",
            "bogus",
            "receivers[0].extra",
            "receivers[0].maxRetryCount",
            "rateLimit.perSecond",
            "eventSubscription.a",
        ] {
            assert!(f.contains(&want), "{want} missing from {f:?}");
        }
    }

    #[test]
    fn disagreeing_shorthands_are_refused() {
        let problems = read(
            r#"{"provider":"smoobu","integrationAccountId":"a","receiverUrl":"https://one/",
                "receivers":[{"url":"https://two/"}],"ipAddress":"10.0.0.1","allowedIps":["10.0.0.2/32"]}"#,
            None,
        )
        .unwrap_err();
        assert_eq!(fields(&problems), vec!["ipAddress", "receiverUrl"]);
        // The same value in both forms is fine (a GET answer sent back).
        read(
            r#"{"provider":"smoobu","integrationAccountId":"a","receiverUrl":"https://one",
                "receivers":[{"url":"https://one/"}],"ipAddress":"10.0.0.1","allowedIps":["10.0.0.1/32"]}"#,
            None,
        )
        .unwrap();
    }

    #[test]
    fn the_mask_keeps_stored_secrets_and_is_refused_without_one() {
        let body = r#"{"provider":"hostaway","integrationAccountId":"a","headers":{"X-Key":"***"},
            "basicAuth":{"username":"u","password":"***"},"verifySecret":"***",
            "receivers":[{"url":"https://r/","signingSecret":"***","authorization":"***",
              "oauth":{"tokenUrl":"https://t/","clientId":"c","clientSecret":"***"}}]}"#;
        let problems = read(body, None).unwrap_err();
        assert_eq!(problems.len(), 6, "{problems:?}");
        assert!(problems.iter().all(|p| p.message.contains("***")));
        let mut stored = read(
            r#"{"provider":"hostaway","integrationAccountId":"a","headers":{"x-key":"k"},
            "basicAuth":{"username":"u","password":"pw"},"verifySecret":"vs",
            "receivers":[{"url":"https://r","signingSecret":"whsec_x","authorization":"Bearer t",
              "oauth":{"tokenUrl":"https://t/","clientId":"c","clientSecret":"cs"}}]}"#,
            None,
        )
        .unwrap();
        stored.name = "kept".into();
        let doc = read(body, Some(&stored)).unwrap();
        assert_eq!(doc.headers["X-Key"], "k");
        assert_eq!(doc.basic_auth.unwrap().password, "pw");
        assert_eq!(doc.verify_secret.as_deref(), Some("vs"));
        let r = &doc.receivers[0];
        assert_eq!(r.signing_secret.as_deref(), Some("whsec_x"));
        assert_eq!(r.authorization.as_deref(), Some("Bearer t"));
        assert_eq!(r.oauth.as_ref().unwrap().client_secret, "cs");
    }

    #[test]
    fn non_objects_are_refused() {
        assert_eq!(fields(&read("[1]", None).unwrap_err()), vec!["(body)"]);
        assert_eq!(fields(&read("{", None).unwrap_err()), vec!["(body)"]);
    }
}
