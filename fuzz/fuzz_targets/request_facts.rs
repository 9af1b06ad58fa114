//! What the request_path target knows about a request without the gateway, from
//! `gateway.toml`, and what that allows the answer to be: each check of SPEC section 3, when
//! it must fail, decides the answer, whatever comes after it.

use bytes::Bytes;
use http::{Method, Request, Response};
use std::net::IpAddr;

/// The largest body `gateway.toml` takes.
const MAX_BODY: usize = 65536;

/// A listener of `gateway.toml`, as far as the checks before the body's content go.
struct Listener {
    tail: &'static str,
    allowed_ips: Option<ipnet::IpNet>,
    required_header: Option<(&'static str, &'static str)>,
    basic_auth: bool,
    /// The headers of which one carries the signature; empty when unsigned.
    signature: &'static [&'static str],
    get_handshake: bool,
}

const fn listener(tail: &'static str, signature: &'static [&'static str]) -> Listener {
    Listener {
        tail,
        allowed_ips: None,
        required_header: None,
        basic_auth: false,
        signature,
        get_handshake: false,
    }
}

fn listeners() -> [Listener; 8] {
    [
        Listener {
            allowed_ips: Some("203.0.113.0/24".parse().unwrap()),
            required_header: Some(("x-hostaway-token", "hostaway-token")),
            basic_auth: true,
            ..listener("hostaway/acc-ip", &[])
        },
        Listener {
            basic_auth: true,
            ..listener("hostaway/acc-basic", &[])
        },
        Listener {
            required_header: Some(("x-api-key", "smoobu-key")),
            ..listener("smoobu/1306068", &[])
        },
        listener("stripe/acct_1", &["stripe-signature"]),
        listener("github/octo-org", &["x-hub-signature-256"]),
        Listener {
            get_handshake: true,
            ..listener("github/meta-org", &["x-hub-signature-256"])
        },
        listener("slack/T1", &["x-slack-signature"]),
        listener(
            "standard-webhooks/sw",
            &["webhook-signature", "svix-signature"],
        ),
    ]
}

/// The trusted proxies of `gateway.toml`.
fn trusted_proxy(ip: IpAddr) -> bool {
    "10.0.0.0/8".parse::<ipnet::IpNet>().unwrap().contains(&ip)
}

/// The statuses SPEC section 3 (and 12's handshakes, and the 202 custom answer of
/// `github/meta-org`) allow on the public address, with the `code` of each refusal.
const STATUSES: [(u16, &[&str]); 12] = [
    (200, &[]),
    (202, &[]),
    (400, &["invalid_payload"]),
    (401, &["unauthorized"]),
    (403, &["ip_not_allowed", "handshake_refused"]),
    (404, &["listener_not_found", "not_found"]),
    (405, &["method_not_allowed"]),
    (408, &["request_timeout"]),
    (413, &["payload_too_large"]),
    (429, &["rate_limited"]),
    (431, &["headers_too_large"]),
    (503, &["unavailable"]),
];

pub struct Facts {
    path: String,
    listener: Option<Listener>,
    method: Method,
    /// The TCP peer is outside the listener's `allowed_ips` and not a trusted proxy.
    peer_refused: bool,
    /// The peer is a trusted proxy of a listener with `allowed_ips`: whether the source
    /// passes depends on `X-Forwarded-For`, so a 403 is a right answer too.
    source_unsure: bool,
    /// Some credential the listener needs is not sent at all.
    credential_missing: bool,
    /// Every credential header the listener needs is there (right or wrong).
    credentials_sent: bool,
    body_too_large: bool,
}

impl Facts {
    pub fn of(req: &Request<http_body_util::Full<Bytes>>, peer: IpAddr) -> Facts {
        let path = req.uri().path().to_string();
        let listener = path.strip_prefix("/api/v1/listener/").and_then(|tail| {
            let tail = percent_encoding::percent_decode_str(tail.trim_end_matches('/'))
                .decode_utf8_lossy()
                .into_owned();
            listeners().into_iter().find(|l| l.tail == tail)
        });
        let headers = req.headers();
        let source_unsure =
            (listener.as_ref()).is_some_and(|l| l.allowed_ips.is_some() && trusted_proxy(peer));
        let (peer_refused, credentials_sent, credential_missing) = match &listener {
            None => (false, false, false),
            Some(l) => {
                let refused =
                    l.allowed_ips.is_some_and(|net| !net.contains(&peer)) && !trusted_proxy(peer);
                let header = l.required_header.is_none_or(|(name, value)| {
                    headers
                        .get_all(name)
                        .iter()
                        .any(|v| v.as_bytes() == value.as_bytes())
                });
                let header_named = l
                    .required_header
                    .is_none_or(|(n, _)| headers.contains_key(n));
                let basic = !l.basic_auth || headers.contains_key(http::header::AUTHORIZATION);
                let signed =
                    l.signature.is_empty() || l.signature.iter().any(|h| headers.contains_key(*h));
                (
                    refused,
                    header && basic && signed,
                    !(header_named && basic && signed),
                )
            }
        };
        let declared = (headers.get(http::header::CONTENT_LENGTH))
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let body_len = http_body::Body::size_hint(req.body()).exact().unwrap_or(0);
        Facts {
            path,
            listener,
            method: req.method().clone(),
            peer_refused,
            source_unsure,
            credential_missing,
            credentials_sent,
            body_too_large: declared.is_some_and(|n| n > MAX_BODY as u64)
                || body_len > MAX_BODY as u64,
        }
    }

    /// Asserts that `answer` is one SPEC allows for this request.
    pub fn check(&self, answer: &Response<Bytes>) {
        let status = answer.status().as_u16();
        let Some((_, codes)) = STATUSES.iter().find(|(s, _)| *s == status) else {
            panic!("status {status} is not in the SPEC: {answer:?}");
        };
        if status >= 400 {
            let body: serde_json::Value = serde_json::from_slice(answer.body())
                .unwrap_or_else(|e| panic!("a refusal's body is not JSON ({e}): {answer:?}"));
            for key in ["code", "message", "errorId", "timestamp"] {
                assert!(body[key].is_string(), "no {key} in {body}");
            }
            let code = body["code"].as_str().unwrap();
            assert!(codes.contains(&code), "{status} with code {code}");
        }
        // A head over max_header_bytes is refused before any check; the health checks answer
        // on their own.
        if status == 431 || self.path == "/healthz" || self.path == "/readyz" {
            return;
        }
        self.check_order(status, answer);
    }

    fn check_order(&self, status: u16, answer: &Response<Bytes>) {
        let Some(l) = &self.listener else {
            return assert_eq!(status, 404, "no listener at {}", self.path);
        };
        let get = self.method == Method::GET && l.get_handshake;
        if self.method != Method::POST && !get {
            assert_eq!(status, 405, "{} on {}", self.method, l.tail);
            let allow = answer.headers().get(http::header::ALLOW);
            return assert_eq!(allow.map(|v| v.as_bytes()), Some(&b"POST"[..]));
        }
        if self.peer_refused {
            return assert_eq!(status, 403, "a peer outside allowed_ips on {}", l.tail);
        }
        if self.source_unsure && status == 403 {
            return;
        }
        if get {
            // A GET handshake is answered or refused; it is never taken as an event.
            return assert!(status == 200 || status >= 400, "GET answered {status}");
        }
        if self.body_too_large {
            return assert_eq!(status, 413, "a body over max_body_bytes on {}", l.tail);
        }
        if self.credential_missing {
            return assert_eq!(status, 401, "a credential missing on {}", l.tail);
        }
        if status < 300 {
            assert!(
                self.credentials_sent,
                "{status} without the credentials of {}",
                l.tail
            );
        }
    }
}
