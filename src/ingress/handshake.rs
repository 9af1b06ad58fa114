//! Provider handshakes (SPEC section 12): a provider checking a listener URL before it sends
//! events gets its answer here, and the request is neither stored nor delivered.
//!
//! GET handshakes (meta, microsoft-graph, twitter, dropbox) are answered right after the
//! source and rate-limit checks; POST ones (slack, zoom, microsoft-graph) once the body is
//! read, and the slack and zoom ones only when the listener's usual credential and signature
//! checks pass, as those providers sign them like their events.

use super::refusal::Refusal;
use crate::config::{constant_time_eq, Handshake, ListenerSpec};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// A handshake's answer: 200 with this body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Json(Value),
    Text(String),
    /// Plain text with `X-Content-Type-Options: nosniff` (dropbox).
    TextNoSniff(String),
}

/// Whether a POST request is a handshake, and whether it is signed like the provider's events.
pub struct PostHandshake {
    pub reply: Reply,
    pub signed: bool,
}

/// The first value of query parameter `name`.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn hmac_sha256(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn secret(spec: &ListenerSpec) -> &[u8] {
    spec.handshake_secret
        .as_ref()
        .map_or(b"".as_slice(), |s| s.expose().as_bytes())
}

/// The answer to a GET on a listener whose handshake uses GET. A GET that is not the
/// handshake is refused as a method other than POST; a meta token that does not match is 403.
pub fn answer_get(spec: &ListenerSpec, query: Option<&str>) -> Result<Reply, Refusal> {
    let param = |name: &str| query_param(query, name);
    match spec.handshake {
        Handshake::Meta => {
            let (Some(mode), Some(token), Some(challenge)) = (
                param("hub.mode"),
                param("hub.verify_token"),
                param("hub.challenge"),
            ) else {
                return Err(Refusal::MethodNotAllowed);
            };
            if mode == "subscribe" && constant_time_eq(token.as_bytes(), secret(spec)) {
                Ok(Reply::Text(challenge))
            } else {
                Err(Refusal::HandshakeRefused)
            }
        }
        Handshake::MicrosoftGraph => param("validationToken")
            .map(Reply::Text)
            .ok_or(Refusal::MethodNotAllowed),
        Handshake::Twitter => param("crc_token")
            .map(|token| {
                let digest = hmac_sha256(secret(spec), token.as_bytes());
                let encoded = base64::engine::general_purpose::STANDARD.encode(digest);
                Reply::Json(json!({"response_token": format!("sha256={encoded}")}))
            })
            .ok_or(Refusal::MethodNotAllowed),
        Handshake::Dropbox => param("challenge")
            .map(Reply::TextNoSniff)
            .ok_or(Refusal::MethodNotAllowed),
        Handshake::None | Handshake::Slack | Handshake::Zoom => Err(Refusal::MethodNotAllowed),
    }
}

/// The handshake a POST carries, if it is one; other POSTs are events.
pub fn recognise_post(
    spec: &ListenerSpec,
    query: Option<&str>,
    body: &[u8],
) -> Option<PostHandshake> {
    let json = || serde_json::from_slice::<Value>(body).ok();
    let reply = match spec.handshake {
        Handshake::Slack => {
            let v = json()?;
            if v["type"] != "url_verification" {
                return None;
            }
            Reply::Json(json!({"challenge": v.get("challenge")?.as_str()?}))
        }
        Handshake::Zoom => {
            let v = json()?;
            if v["event"] != "endpoint.url_validation" {
                return None;
            }
            let plain = v.pointer("/payload/plainToken")?.as_str()?;
            let encrypted = hex::encode(hmac_sha256(secret(spec), plain.as_bytes()));
            Reply::Json(json!({"plainToken": plain, "encryptedToken": encrypted}))
        }
        Handshake::MicrosoftGraph => Reply::Text(query_param(query, "validationToken")?),
        _ => return None,
    };
    Some(PostHandshake {
        signed: matches!(spec.handshake, Handshake::Slack | Handshake::Zoom),
        reply,
    })
}

#[cfg(test)]
mod tests;
