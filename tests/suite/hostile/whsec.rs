//! `whsec_` secrets are base64 with or without `=` padding, for outbound signing and inbound
//! Standard Webhooks (and Guesty) verification alike.

use crate::common::{post, wait_until, Gateway, Receiver};
use base64::Engine;
use std::time::Duration;

/// 23 key bytes: padded base64 ends in one `=`.
const KEY: &[u8] = b"hookgate-unpadded-key!!";

/// The secret as the gateway is given it, and the padded twin the reference library takes.
fn secrets() -> (String, String) {
    let padded = base64::engine::general_purpose::STANDARD.encode(KEY);
    assert!(padded.ends_with('='));
    (
        format!("whsec_{}", padded.trim_end_matches('=')),
        format!("whsec_{padded}"),
    )
}

fn config(receiver: &str, secret: &str) -> String {
    format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]

[[listener]]
id = "sw"
provider = "standard-webhooks"
account_id = "sw"
verify_secret = "{secret}"

[[listener]]
id = "gu"
provider = "guesty"
account_id = "gu"
verify_secret = "{secret}"

[[listener]]
id = "plain"
provider = "smoobu"
account_id = "a"

[[listener.receiver]]
url = "{receiver}"
signing_secret = "{secret}"
"#
    )
}

#[tokio::test]
async fn an_unpadded_secret_signs_for_receivers() {
    let receiver = Receiver::start().await;
    let (secret, padded) = secrets();
    let gw = Gateway::start(&config(&receiver.url("/r"), &secret));
    let a = post(gw.public, &gw.url("smoobu/a"), &[], r#"{"action":"x"}"#).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 1).await);
    let got = &receiver.received()[0];
    let wh = standardwebhooks::Webhook::new(&padded).unwrap();
    wh.verify(&got.body, &got.headers)
        .expect("the signature verifies with the unpadded secret");
}

#[tokio::test]
async fn an_unpadded_secret_verifies_incoming_signatures() {
    let (secret, padded) = secrets();
    let gw = Gateway::start(&config("http://127.0.0.1:9/never", &secret));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let ts = now.to_string();
    let body = r#"{"type":"x.y","data":{}}"#;
    let wh = standardwebhooks::Webhook::new(&padded).unwrap();
    for (path, prefix) in [("standard-webhooks/sw", "webhook"), ("guesty/gu", "svix")] {
        let id = format!("msg_{prefix}");
        let sig = wh.sign(&id, now, body.as_bytes()).unwrap();
        let (hid, hts, hsig) = (
            format!("{prefix}-id"),
            format!("{prefix}-timestamp"),
            format!("{prefix}-signature"),
        );
        let headers = [
            (hid.as_str(), id.as_str()),
            (hts.as_str(), ts.as_str()),
            (hsig.as_str(), sig.as_str()),
        ];
        let a = post(gw.public, &gw.url(path), &headers, body).await;
        assert_eq!(a.status, 200, "{path}: {:?}", a.body);
    }
}
