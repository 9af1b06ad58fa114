use super::*;
use crate::config::Secret;

fn listener(handshake: Handshake, secret: Option<&str>) -> ListenerSpec {
    let toml = "[[listener]]\nid = \"l\"\nprovider = \"smoobu\"\naccount_id = \"a\"\n";
    let config = crate::config::parse(toml, std::path::Path::new("t.toml")).unwrap();
    let mut spec = (*config.listeners[0]).clone();
    spec.handshake = handshake;
    spec.handshake_secret = secret.map(|s| Secret::new(s.to_string()));
    spec
}

#[test]
fn meta_compares_the_verify_token() {
    let spec = listener(Handshake::Meta, Some("tok"));
    let ok = "hub.mode=subscribe&hub.verify_token=tok&hub.challenge=1158201444";
    assert_eq!(
        answer_get(&spec, Some(ok)),
        Ok(Reply::Text("1158201444".into()))
    );
    let bad = "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1";
    assert_eq!(answer_get(&spec, Some(bad)), Err(Refusal::HandshakeRefused));
    assert_eq!(answer_get(&spec, None), Err(Refusal::MethodNotAllowed));
}

#[test]
fn a_slack_event_is_not_a_handshake() {
    let spec = listener(Handshake::Slack, None);
    let event = br#"{"type":"event_callback","event":{"type":"message"}}"#;
    assert!(recognise_post(&spec, None, event).is_none());
    let check = br#"{"type":"url_verification","challenge":"abc"}"#;
    let found = recognise_post(&spec, None, check).unwrap();
    assert!(found.signed);
    assert_eq!(found.reply, Reply::Json(json!({"challenge": "abc"})));
}
