//! A listener's `handshake`, `handshake_secret` and `response` (SPEC section 12).

use super::Validator;
use crate::config::answers::{CustomResponse, Handshake};
use crate::config::raw::{RawListener, RawResponse, Sp};
use crate::config::secret::Secret;
use http::{HeaderName, HeaderValue};

/// The largest custom answer body, in bytes.
const MAX_RESPONSE_BODY: usize = 64 * 1024;

/// Headers the gateway sets itself on an answer.
const OWN_HEADERS: [&str; 5] = [
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "x-hookgate-event-id",
];

impl Validator<'_> {
    /// The handshake (the provider's preset unless set) and its secret.
    pub(super) fn handshake(
        &mut self,
        raw: &Sp<RawListener>,
        key: &str,
    ) -> (Handshake, Option<Secret>) {
        let l = raw.get_ref();
        let handshake = match &l.handshake {
            None => Handshake::preset_for(l.provider.get_ref()),
            Some(v) => Handshake::parse(v.get_ref()).unwrap_or_else(|| {
                let known: Vec<&str> = Handshake::ALL.iter().map(|h| h.name()).collect();
                self.errs.push(
                    v.span(),
                    format!("{key}.handshake"),
                    format!("`{}` is not one of {}", v.get_ref(), known.join(", ")),
                );
                Handshake::None
            }),
        };
        let secret_key = format!("{key}.handshake_secret");
        let secret = l
            .handshake_secret
            .as_ref()
            .and_then(|s| self.secret(s, &secret_key));
        match (&l.handshake_secret, handshake.needs_secret()) {
            (None, true) => self.errs.push(
                l.handshake.as_ref().map_or(raw.span(), Sp::span),
                secret_key,
                format!(
                    "the `{}` handshake needs handshake_secret",
                    handshake.name()
                ),
            ),
            (Some(s), false) => self.errs.push(
                s.span(),
                secret_key,
                format!(
                    "the `{}` handshake uses no secret (meta, zoom and twitter do)",
                    handshake.name()
                ),
            ),
            _ => {}
        }
        (handshake, secret)
    }

    /// The custom answer: a 2xx status, a content type, a body and extra headers.
    pub(super) fn response(&mut self, raw: &Sp<RawResponse>, key: &str) -> Option<CustomResponse> {
        let r = raw.get_ref();
        let mut ok = true;
        let status = match &r.status {
            None => 200,
            Some(s) if (200..300).contains(&s.get_ref().0) => s.get_ref().0 as u16,
            Some(s) => {
                self.errs.push(
                    s.span(),
                    format!("{key}.status"),
                    format!(
                        "{} is out of range: a custom answer is 2xx (200 to 299)",
                        s.get_ref().0
                    ),
                );
                ok = false;
                200
            }
        };
        let content_type = match &r.content_type {
            None => HeaderValue::from_static("text/plain"),
            Some(v) => self
                .header_value(v, &format!("{key}.content_type"))
                .unwrap_or_else(|| {
                    ok = false;
                    HeaderValue::from_static("text/plain")
                }),
        };
        let body = r
            .body
            .as_ref()
            .map(|b| b.get_ref().clone())
            .unwrap_or_default();
        if body.len() > MAX_RESPONSE_BODY {
            let span = r.body.as_ref().map_or(raw.span(), Sp::span);
            self.errs.push(
                span,
                format!("{key}.body"),
                format!(
                    "{} bytes is out of range: at most {MAX_RESPONSE_BODY}",
                    body.len()
                ),
            );
            ok = false;
        }
        let headers = self.response_headers(r, key, &mut ok);
        ok.then_some(CustomResponse {
            status,
            content_type,
            body,
            headers,
        })
    }

    fn response_headers(
        &mut self,
        r: &RawResponse,
        key: &str,
        ok: &mut bool,
    ) -> Vec<(HeaderName, HeaderValue)> {
        let mut out = Vec::new();
        for (name, value) in &r.headers {
            let hkey = format!("{key}.headers.{name}");
            let Some(hn) = self.header_name(name, value.span(), &hkey) else {
                *ok = false;
                continue;
            };
            if OWN_HEADERS.contains(&hn.as_str()) {
                self.errs.push(
                    value.span(),
                    hkey,
                    "the gateway sets this header itself (use content_type for Content-Type)",
                );
                *ok = false;
                continue;
            }
            match self.header_value(value, &hkey) {
                Some(hv) => out.push((hn, hv)),
                None => *ok = false,
            }
        }
        out
    }

    fn header_value(&mut self, v: &Sp<String>, key: &str) -> Option<HeaderValue> {
        HeaderValue::from_str(v.get_ref())
            .map_err(|_| self.errs.push(v.span(), key, "not a valid header value"))
            .ok()
    }
}
