//! Reading a listener from a POST or PUT body: serde reads the shape (each field's JSON type,
//! unknown fields), then the `receiverUrl` and `ipAddress` shorthands are expanded and `"***"`
//! takes the stored secret.
//!
//! A receiver of a PUT is matched with the stored receiver that has the same URL. One whose URL
//! matches none (a new receiver, or one whose URL changed) has no stored secrets, and neither
//! has one whose `oauth.tokenUrl` changed: `"***"` in their secrets is `secret_required`, so a
//! masked secret can never be sent to a new destination.
//!
//! This only checks shapes; what the values mean (URLs, CIDRs, secrets, providers) is checked by
//! the config validator afterwards, so the API and `hookgate check` apply the same rules.

mod shape;

use std::collections::BTreeMap;

use super::doc::{BasicAuthDoc, ListenerDoc, OAuthDoc, RateLimitDoc, ReceiverDoc, ResponseDoc};
use super::request::Problem;
pub use shape::{ListenerInput, OAuthInput, RateLimitInput, ReceiverInput, MASK};

/// Reads a listener document from `body`. `id` names the listener (the default `name`);
/// `stored` is the current document on a PUT, whose secrets `"***"` keeps.
#[cfg(test)]
pub fn listener(
    body: &[u8],
    id: &str,
    stored: Option<&ListenerDoc>,
) -> Result<ListenerDoc, Vec<Problem>> {
    let read = read_listener(body, id, stored)?;
    if read.problems.is_empty() {
        Ok(read.doc)
    } else {
        Err(read.problems)
    }
}

/// A body read into a listener document, with every problem found on the way.
pub struct ReadBody {
    /// Fields with problems take their defaults.
    pub doc: ListenerDoc,
    pub problems: Vec<Problem>,
    /// Some problem is a masked secret sent to a new destination (`secret_required`).
    pub secret_required: bool,
}

/// Like `listener`, but a JSON object always gives a document next to its problems, so the
/// caller can validate the rest and list everything at once.
pub fn read_listener(
    body: &[u8],
    id: &str,
    stored: Option<&ListenerDoc>,
) -> Result<ReadBody, Vec<Problem>> {
    let (input, problems) = shape::read(body)?;
    let mut r = Reader {
        problems,
        secret_required: false,
    };
    let doc = r.listener(input, id, stored);
    Ok(ReadBody {
        doc,
        problems: r.problems,
        secret_required: r.secret_required,
    })
}

/// Collects problems while expanding, so one answer lists them all.
struct Reader {
    problems: Vec<Problem>,
    secret_required: bool,
}

impl Reader {
    fn problem(&mut self, field: impl Into<String>, message: &str) {
        self.problems.push(Problem::new(field, message));
    }

    /// A required value; absent is a problem, unless its shape was already refused.
    fn required(&mut self, value: Option<String>, field: impl Into<String>) -> String {
        value.unwrap_or_else(|| {
            let field = field.into();
            if !self.problems.iter().any(|p| p.field == field) {
                self.problem(field, "is required");
            }
            String::new()
        })
    }

    /// A secret: the value in clear, or `"***"` for the stored one.
    fn unmask(&mut self, value: String, stored: Option<&str>, field: String) -> Option<String> {
        if value != MASK {
            return Some(value);
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

    /// A secret of a receiver: as `unmask`, except that a receiver going to a new destination
    /// (`moved`) has nothing stored to keep.
    fn receiver_secret(
        &mut self,
        value: String,
        stored: Option<&str>,
        field: String,
        moved: bool,
    ) -> Option<String> {
        if value != MASK || !moved {
            return self.unmask(value, stored, field);
        }
        self.secret_required = true;
        self.problem(
            field,
            "a receiver whose url or oauth.tokenUrl changed must send its secrets in clear, not \"***\"",
        );
        None
    }

    fn secret(&mut self, value: Option<String>, stored: Option<&str>, field: &str) -> String {
        match value {
            None => self.required(None, field),
            Some(v) => self
                .unmask(v, stored, field.to_string())
                .unwrap_or_default(),
        }
    }

    fn rate_limit(&mut self, r: Option<RateLimitInput>, field: &str) -> Option<RateLimitDoc> {
        let r = r?;
        Some(RateLimitDoc {
            per_second: r.per_second.unwrap_or_else(|| {
                self.problem(format!("{field}.perSecond"), "is required");
                0
            }),
            burst: r.burst,
        })
    }

    fn listener(
        &mut self,
        l: ListenerInput,
        id: &str,
        stored: Option<&ListenerDoc>,
    ) -> ListenerDoc {
        let provider = self.required(l.provider, "provider");
        let account = self.required(l.integration_account_id, "integrationAccountId");
        let allowed_ips = self.allowed_ips(l.allowed_ips, l.ip_address);
        let mut headers = BTreeMap::new();
        for (name, value) in l.headers.unwrap_or_default() {
            let kept = stored.and_then(|s| header(&s.headers, &name));
            if let Some(v) = self.unmask(value, kept, format!("headers.{name}")) {
                headers.insert(name, v);
            }
        }
        let basic_auth = l.basic_auth.map(|b| {
            let kept = stored.and_then(|s| s.basic_auth.as_ref());
            BasicAuthDoc {
                username: self.required(b.username, "basicAuth.username"),
                password: self.secret(
                    b.password,
                    kept.map(|k| k.password.as_str()),
                    "basicAuth.password",
                ),
            }
        });
        let kept = stored.and_then(|s| s.verify_secret.as_deref());
        let verify_secret = l
            .verify_secret
            .and_then(|v| self.unmask(v, kept, "verifySecret".into()));
        let receivers = self.receivers(l.receivers, l.receiver_url, stored);
        let kept = stored.and_then(|s| s.handshake_secret.as_deref());
        let handshake_secret = l
            .handshake_secret
            .and_then(|v| self.unmask(v, kept, "handshakeSecret".into()));
        ListenerDoc {
            handshake: l.handshake,
            handshake_secret,
            response: l.response.map(|r| ResponseDoc {
                status: r.status,
                content_type: r.content_type,
                body: r.body,
                headers: r.headers.unwrap_or_default(),
            }),
            name: l.name.unwrap_or_else(|| id.to_string()),
            provider,
            integration_account_id: account,
            workspace_id: l.workspace_id,
            integration_definition_id: l.integration_definition_id,
            enabled: l.enabled.unwrap_or(true),
            api_support: l.api_support.unwrap_or(false),
            allowed_ips,
            headers,
            basic_auth,
            verify_secret,
            rate_limit: self.rate_limit(l.rate_limit, "rateLimit"),
            event_subscription: l.event_subscription,
            receivers,
        }
    }

    /// `allowedIps`, or the `ipAddress` shorthand for one; when both are sent they must agree.
    fn allowed_ips(&mut self, list: Option<Vec<String>>, single: Option<String>) -> Vec<String> {
        match (list, single) {
            (Some(list), Some(ip)) => {
                if !list.first().is_some_and(|first| same_net(first, &ip)) {
                    self.problem(
                        "ipAddress",
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
        list: Option<Vec<ReceiverInput>>,
        short: Option<String>,
        stored: Option<&ListenerDoc>,
    ) -> Vec<ReceiverDoc> {
        let Some(list) = list else {
            return short.map(ReceiverDoc::with_url).into_iter().collect();
        };
        let out: Vec<ReceiverDoc> = list
            .into_iter()
            .enumerate()
            .map(|(i, r)| self.receiver(r, i, stored))
            .collect();
        if let Some(url) = short {
            if !out.first().is_some_and(|r| same_url(&r.url, &url)) {
                self.problem(
                    "receiverUrl",
                    "disagrees with receivers[0].url; send one of them, or the same value",
                );
            }
        }
        out
    }

    fn receiver(
        &mut self,
        r: ReceiverInput,
        index: usize,
        stored: Option<&ListenerDoc>,
    ) -> ReceiverDoc {
        let field = format!("receivers[{index}]");
        let url = self.required(r.url, format!("{field}.url"));
        // The stored receiver whose secrets "***" keeps: the one with this URL (module doc).
        let old = stored.and_then(|s| s.receivers.iter().find(|o| same_url(&o.url, &url)));
        let token_url = r.oauth.as_ref().and_then(|o| o.token_url.as_deref());
        let old_token_url = old.and_then(|o| o.oauth.as_ref()).map(|o| &o.token_url);
        let token_url_changed = match (token_url, old_token_url) {
            (Some(new), Some(old)) => !same_url(new, old),
            (new, old) => new.is_some() != old.is_some(),
        };
        let moved = stored.is_some() && (old.is_none() || token_url_changed);
        let oauth = r.oauth.map(|o| self.oauth(o, &field, old, moved));
        let signing_secret = r.signing_secret.and_then(|v| {
            let kept = old.and_then(|o| o.signing_secret.as_deref());
            self.receiver_secret(v, kept, format!("{field}.signingSecret"), moved)
        });
        let authorization = r.authorization.and_then(|v| {
            let kept = old.and_then(|o| o.authorization.as_deref());
            self.receiver_secret(v, kept, format!("{field}.authorization"), moved)
        });
        let mut headers = BTreeMap::new();
        for (name, value) in r.headers.unwrap_or_default() {
            let kept = old.and_then(|o| header(&o.headers, &name));
            let field = format!("{field}.headers.{name}");
            if let Some(v) = self.receiver_secret(value, kept, field, moved) {
                headers.insert(name, v);
            }
        }
        ReceiverDoc {
            url,
            headers,
            events: r.events,
            format: r.format.unwrap_or_else(|| "raw".into()),
            max_retry_count: r.max_retry_count,
            signing_secret,
            authorization,
            oauth,
            rate_limit: self.rate_limit(r.rate_limit, &format!("{field}.rateLimit")),
            forward_headers: r.forward_headers.unwrap_or_default(),
            timeout: r.timeout,
            order_by: r.order_by,
            filter: r.filter,
            transform: r.transform,
        }
    }

    fn oauth(
        &mut self,
        o: OAuthInput,
        receiver: &str,
        old: Option<&ReceiverDoc>,
        moved: bool,
    ) -> OAuthDoc {
        let field = format!("{receiver}.oauth");
        let kept = old
            .and_then(|r| r.oauth.as_ref())
            .map(|x| x.client_secret.as_str());
        let secret_field = format!("{field}.clientSecret");
        let client_secret = match o.client_secret {
            Some(v) => self
                .receiver_secret(v, kept, secret_field, moved)
                .unwrap_or_default(),
            None => self.required(None, secret_field),
        };
        OAuthDoc {
            token_url: self.required(o.token_url, format!("{field}.tokenUrl")),
            client_id: self.required(o.client_id, format!("{field}.clientId")),
            client_secret,
            credentials_location: o.credentials_location.unwrap_or_else(|| "header".into()),
            scope: o.scope,
        }
    }
}

/// A header's value by name, whatever its case.
fn header<'a>(headers: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
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
mod tests;
