//! Checks a listener document with the validator `hookgate check` runs on the file. The document
//! becomes the `RawListener` a `[[listener]]` table gives, each value positioned at the JSON field
//! it came from, so the one validator judges both and its errors name the JSON fields.

use super::doc::{ListenerDoc, OAuthDoc, RateLimitDoc, ReceiverDoc, ResponseDoc};
use super::request::Problem;
use crate::config::raw::{
    RawBasicAuth, RawListener, RawOAuth, RawRateLimit, RawReceiver, RawResponse, RawSecret, Sp,
    Whole,
};
use crate::config::validate::Validator;
use crate::config::{Config, ListenerSpec};
use std::collections::BTreeMap;

/// Validates `doc` as listener `id` under the running configuration (its providers and
/// `allow_targets`). Every problem comes back, named by its JSON field.
pub fn check(id: &str, doc: &ListenerDoc, config: &Config) -> Result<ListenerSpec, Vec<Problem>> {
    let mut fields = Fields::default();
    let raw = fields.listener(id, doc);
    let mut v = Validator::for_fields(&fields.names);
    let spec = v.listener(&raw, "listener", &config.providers, &config.delivery);
    let problems: Vec<Problem> = v
        .errs
        .errors
        .iter()
        .map(|e| Problem::new(e.key.clone(), e.message.clone()))
        .collect();
    match spec {
        Some(spec) if problems.is_empty() => Ok(spec),
        _ if problems.is_empty() => Err(vec![Problem::new("(body)", "not a valid listener")]),
        _ => Err(problems),
    }
}

/// The JSON fields values are taken from; a value's position is its field's index here.
#[derive(Default)]
struct Fields {
    names: Vec<String>,
}

fn secret(value: &str) -> RawSecret {
    RawSecret::Literal(value.to_string())
}

impl Fields {
    /// `value`, positioned at JSON field `name`.
    fn at<T>(&mut self, name: impl Into<String>, value: T) -> Sp<T> {
        let index = self.names.len();
        self.names.push(name.into());
        Sp::new(index..index + 1, value)
    }

    fn strings(&mut self, field: &str, list: &[String]) -> Vec<Sp<String>> {
        list.iter()
            .enumerate()
            .map(|(i, s)| self.at(format!("{field}[{i}]"), s.clone()))
            .collect()
    }

    fn rate_limit(&mut self, field: &str, r: Option<&RateLimitDoc>) -> Option<Sp<RawRateLimit>> {
        let r = r?;
        let raw = RawRateLimit {
            per_second: self.at(format!("{field}.perSecond"), r.per_second),
            burst: r.burst.map(|b| self.at(format!("{field}.burst"), b)),
        };
        Some(self.at(field, raw))
    }

    fn listener(&mut self, id: &str, d: &ListenerDoc) -> Sp<RawListener> {
        let required_headers = d
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), self.at(format!("headers.{k}"), secret(v))))
            .collect();
        let basic_auth = d.basic_auth.as_ref().map(|b| {
            let raw = RawBasicAuth {
                username: self.at("basicAuth.username", b.username.clone()),
                password: self.at("basicAuth.password", secret(&b.password)),
            };
            self.at("basicAuth", raw)
        });
        let receiver = d
            .receivers
            .iter()
            .enumerate()
            .map(|(i, r)| self.receiver(&format!("receivers[{i}]"), r))
            .collect();
        let raw = RawListener {
            id: self.at("integrationAccountWebhookId", id.to_string()),
            name: Some(self.at("name", d.name.clone())),
            provider: self.at("provider", d.provider.clone()),
            account_id: self.at("integrationAccountId", d.integration_account_id.clone()),
            workspace_id: d.workspace_id.clone().map(|w| self.at("workspaceId", w)),
            integration_definition_id: d
                .integration_definition_id
                .clone()
                .map(|i| self.at("integrationDefinitionId", i)),
            enabled: Some(d.enabled),
            api_support: Some(d.api_support),
            allowed_ips: self.strings("allowedIps", &d.allowed_ips),
            required_headers,
            basic_auth,
            verify_secret: d
                .verify_secret
                .as_deref()
                .map(|s| self.at("verifySecret", secret(s))),
            rate_limit: self.rate_limit("rateLimit", d.rate_limit.as_ref()),
            event_subscription: d.event_subscription.clone(),
            receiver,
            handshake: d.handshake.clone().map(|h| self.at("handshake", h)),
            handshake_secret: (d.handshake_secret.as_deref())
                .map(|s| self.at("handshakeSecret", secret(s))),
            response: d.response.as_ref().map(|r| self.response(r)),
        };
        self.at("(listener)", raw)
    }

    fn response(&mut self, r: &ResponseDoc) -> Sp<RawResponse> {
        let raw = RawResponse {
            status: r
                .status
                .map(|s| self.at("response.status", Whole(s.into()))),
            content_type: (r.content_type.clone()).map(|c| self.at("response.contentType", c)),
            body: r.body.clone().map(|b| self.at("response.body", b)),
            headers: (r.headers.iter())
                .map(|(k, v)| {
                    (
                        k.clone(),
                        self.at(format!("response.headers.{k}"), v.clone()),
                    )
                })
                .collect(),
        };
        self.at("response", raw)
    }

    fn oauth(&mut self, field: &str, o: &OAuthDoc) -> Sp<RawOAuth> {
        let raw = RawOAuth {
            token_url: self.at(format!("{field}.tokenUrl"), o.token_url.clone()),
            client_id: self.at(format!("{field}.clientId"), o.client_id.clone()),
            client_secret: self.at(format!("{field}.clientSecret"), secret(&o.client_secret)),
            credentials_location: Some(self.at(
                format!("{field}.credentialsLocation"),
                o.credentials_location.clone(),
            )),
            scope: o.scope.clone(),
        };
        self.at(field, raw)
    }

    fn receiver(&mut self, field: &str, r: &ReceiverDoc) -> Sp<RawReceiver> {
        let headers: BTreeMap<String, Sp<String>> = r
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    self.at(format!("{field}.headers.{k}"), v.clone()),
                )
            })
            .collect();
        let named = |name: &str| format!("{field}.{name}");
        let raw = RawReceiver {
            url: self.at(named("url"), r.url.clone()),
            headers,
            authorization: r
                .authorization
                .as_deref()
                .map(|s| self.at(named("authorization"), secret(s))),
            signing_secret: r
                .signing_secret
                .as_deref()
                .map(|s| self.at(named("signingSecret"), secret(s))),
            max_retry_count: r
                .max_retry_count
                .map(|n| self.at(named("maxRetryCount"), Whole(n.into()))),
            rate_limit: self.rate_limit(&named("rateLimit"), r.rate_limit.as_ref()),
            events: r.events.clone(),
            format: Some(self.at(named("format"), r.format.clone())),
            // The validator names the list, not the item, for a bad forwarded header.
            forward_headers: (r.forward_headers.iter())
                .map(|h| self.at(named("forwardHeaders"), h.clone()))
                .collect(),
            oauth: r.oauth.as_ref().map(|o| self.oauth(&named("oauth"), o)),
            timeout: r.timeout.clone().map(|t| self.at(named("timeout"), t)),
            order_by: r.order_by.clone().map(|o| self.at(named("orderBy"), o)),
            filter: r.filter.clone().map(|p| self.at(named("filter"), p)),
            transform: r.transform.clone().map(|p| self.at(named("transform"), p)),
        };
        self.at(field, raw)
    }
}

#[cfg(test)]
mod tests;
