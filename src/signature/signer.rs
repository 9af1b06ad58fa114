//! A receiver's Standard Webhooks signing key, decoded and keyed once when the configuration is
//! loaded rather than at every attempt.

use super::{key, Scheme, VerifyError, B64};
use base64::Engine as _;
use ring::hmac;
use std::fmt;

/// HMAC-SHA256 with the key already absorbed (its inner and outer blocks are hashed once).
#[derive(Clone)]
pub struct Signer {
    keyed: hmac::Key,
}

impl Signer {
    /// The signer of a `whsec_` secret; an error when the secret cannot sign.
    pub fn new(secret: &str) -> Result<Signer, VerifyError> {
        let key = key(&Scheme::StandardWebhooks, secret)?;
        Ok(Signer {
            keyed: hmac::Key::new(hmac::HMAC_SHA256, &key),
        })
    }

    /// The `webhook-signature` value "v1,<base64>" over "<id>.<timestamp>.<body>".
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = hmac::Context::with_key(&self.keyed);
        let ts = timestamp.to_string();
        for part in [id.as_bytes(), b".", ts.as_bytes(), b".", body] {
            mac.update(part);
        }
        format!("v1,{}", B64.encode(mac.sign()))
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(***)")
    }
}

/// A signer is made from its receiver's `signing_secret`, which is what receivers compare by.
impl PartialEq for Signer {
    fn eq(&self, _: &Signer) -> bool {
        true
    }
}
