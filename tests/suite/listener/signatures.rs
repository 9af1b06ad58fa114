//! Inbound provider signatures through the real gateway: each scheme accepts the provider's
//! signature and refuses a wrong one, a stale timestamp and a missing header.

use crate::common::{post, Gateway};
use hookgate::signature::{self, Scheme};

const CONFIG: &str = r#"
[store]
url = "{STORE}"

[provider.acme]
event_type = "body:/event"
verify = "hmac-sha256"
signature_header = "X-Acme-Signature"

[[listener]]
id = "gh"
provider = "github"
account_id = "a"
verify_secret = "gh-secret"

[[listener]]
id = "st"
provider = "stripe"
account_id = "a"
verify_secret = "whsec_stripe_secret"

[[listener]]
id = "sh"
provider = "shopify"
account_id = "a"
verify_secret = "shop-secret"

[[listener]]
id = "sl"
provider = "slack"
account_id = "a"
verify_secret = "8f742231b10e8888abcd99yyyzzz85a5"

[[listener]]
id = "sw"
provider = "standard-webhooks"
account_id = "a"
verify_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

[[listener]]
id = "gu"
provider = "guesty"
account_id = "a"
verify_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

[[listener]]
id = "lo"
provider = "lodgify"
account_id = "a"
verify_secret = "lodgify-secret"

[[listener]]
id = "ac"
provider = "acme"
account_id = "a"
verify_secret = "acme-secret"
"#;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// One provider's case: (provider, scheme, secret, body, extra headers the provider sends anyway).
type Case = (
    &'static str,
    Scheme,
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

fn cases() -> Vec<Case> {
    vec![
        (
            "github",
            Scheme::Github,
            "gh-secret",
            r#"{"zen":"hi"}"#,
            vec![("x-github-event", "ping")],
        ),
        (
            "stripe",
            Scheme::Stripe,
            "whsec_stripe_secret",
            r#"{"id":"evt_1","type":"charge.refunded"}"#,
            vec![],
        ),
        (
            "shopify",
            Scheme::Shopify,
            "shop-secret",
            r#"{"id":1}"#,
            vec![("x-shopify-topic", "orders/create")],
        ),
        (
            "slack",
            Scheme::Slack,
            "8f742231b10e8888abcd99yyyzzz85a5",
            r#"{"type":"event_callback","event":{"type":"message"}}"#,
            vec![],
        ),
        (
            "standard-webhooks",
            Scheme::StandardWebhooks,
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            r#"{"type":"user.created"}"#,
            vec![],
        ),
        (
            "lodgify",
            Scheme::parse("hmac-sha256", Some("ms-signature")).unwrap(),
            "lodgify-secret",
            r#"{"action":"booking_change"}"#,
            vec![],
        ),
        (
            "acme",
            Scheme::parse("hmac-sha256", Some("X-Acme-Signature")).unwrap(),
            "acme-secret",
            r#"{"event":"thing.done"}"#,
            vec![],
        ),
    ]
}

#[tokio::test]
async fn each_scheme_accepts_valid_and_refuses_wrong_and_missing_signatures() {
    let gw = Gateway::start(CONFIG);
    for (provider, scheme, secret, body, extra) in cases() {
        let url = gw.url(&format!("{provider}/a"));
        let signed = signature::sign(&scheme, secret, body.as_bytes(), now(), "msg_1").unwrap();
        let mut headers: Vec<(&str, &str)> = extra.clone();
        headers.extend(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let a = post(gw.public, &url, &headers, body).await;
        assert_eq!(
            a.status, 200,
            "{provider}: a valid signature must pass: {:?}",
            a.body
        );

        let wrong = signature::sign(
            &scheme,
            "not-the-secret-but-long-enough",
            body.as_bytes(),
            now(),
            "msg_2",
        );
        if let Ok(wrong) = wrong {
            let mut headers: Vec<(&str, &str)> = extra.clone();
            headers.extend(wrong.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            assert_eq!(
                post(gw.public, &url, &headers, body).await.code(),
                "unauthorized",
                "{provider}: wrong secret"
            );
        }

        let tampered = body.replace('}', " }");
        let mut headers: Vec<(&str, &str)> = extra.clone();
        headers.extend(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(
            post(gw.public, &url, &headers, tampered).await.code(),
            "unauthorized",
            "{provider}: tampered body"
        );

        assert_eq!(
            post(gw.public, &url, &extra, body).await.code(),
            "unauthorized",
            "{provider}: no signature"
        );
    }
}

#[tokio::test]
async fn timestamped_schemes_refuse_more_than_five_minutes_of_skew() {
    let gw = Gateway::start(CONFIG);
    for (provider, scheme, secret, body, extra) in cases() {
        if !matches!(
            scheme,
            Scheme::Stripe | Scheme::Slack | Scheme::StandardWebhooks
        ) {
            continue;
        }
        for skew in [-400, 400] {
            let signed =
                signature::sign(&scheme, secret, body.as_bytes(), now() + skew, "msg_3").unwrap();
            let mut headers: Vec<(&str, &str)> = extra.clone();
            headers.extend(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let a = post(gw.public, &gw.url(&format!("{provider}/a")), &headers, body).await;
            assert_eq!(
                a.code(),
                "unauthorized",
                "{provider}: {skew}s skew must be refused"
            );
        }
    }
}

#[tokio::test]
async fn guesty_signs_with_svix_headers() {
    let gw = Gateway::start(CONFIG);
    let body = r#"{"event":"reservation.new","reservation":{"_id":"1"}}"#;
    let ts = now();
    let sig = signature::sign_standard_webhooks(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_g1",
        ts,
        body.as_bytes(),
    )
    .unwrap();
    let ts = ts.to_string();
    let headers = [
        ("svix-id", "msg_g1"),
        ("svix-timestamp", ts.as_str()),
        ("svix-signature", sig.as_str()),
    ];
    let a = post(gw.public, &gw.url("guesty/a"), &headers, body).await;
    assert_eq!(a.json()["status"], "accepted", "{:?}", a.body);
    // The svix id is Guesty's delivery id: a resend is a duplicate.
    let again = post(gw.public, &gw.url("guesty/a"), &headers, body).await;
    assert_eq!(again.json()["status"], "duplicate");
}
