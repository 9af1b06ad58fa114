//! The fuzz targets' entry points answer as the server and the management API do.

use super::*;
use http_body_util::Full;

const CONFIG: &str = r#"
[store]
url = "sqlite://unused.db"

[delivery]
allow_targets = ["127.0.0.1/32"]

[[listener]]
id = "l"
provider = "hostaway"
account_id = "a"
basic_auth = { username = "u", password = "p" }

[[listener.receiver]]
url = "http://127.0.0.1:9/x"
"#;

fn config() -> Config {
    crate::config::parse(CONFIG, Path::new("listeners.toml")).expect("valid")
}

fn post(path: &str, authorization: Option<&str>) -> Request<Full<Bytes>> {
    let mut req = Request::post(path);
    if let Some(a) = authorization {
        req = req.header(http::header::AUTHORIZATION, a);
    }
    req.body(Full::new(Bytes::from_static(
        br#"{"event":"reservation.created","data":{"id":1}}"#,
    )))
    .unwrap()
}

fn status_of(answer: &Response<Bytes>) -> (u16, serde_json::Value) {
    let body = serde_json::from_slice(answer.body()).expect("a JSON answer");
    (answer.status().as_u16(), body)
}

#[tokio::test]
async fn a_gateway_runs_the_listener_checks_and_stores() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::open(config(), &dir.path().join("g.db"))
        .await
        .unwrap();
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let clock = crate::store::now_ms;
    let nobody = gw.answer(post("/api/v1/listener/hostaway/b", None), peer, clock);
    let (status, body) = status_of(&nobody.await);
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("listener_not_found"))
    );
    let stranger = gw.answer(post("/api/v1/listener/hostaway/a", None), peer, clock);
    let (status, body) = status_of(&stranger.await);
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    let auth = "Basic dTpw"; // u:p
    let known = gw.answer(post("/api/v1/listener/hostaway/a", Some(auth)), peer, clock);
    let (status, body) = status_of(&known.await);
    assert_eq!((status, body["status"].as_str()), (200, Some("accepted")));
    let id = body["eventId"].as_str().unwrap();
    assert!(gw.app.store.event_detail(id).await.unwrap().is_some());
}

#[test]
fn a_listener_body_is_read_shown_and_read_back() {
    let config = config();
    let body = br#"{"provider":"smoobu","integrationAccountId":"1",
        "receivers":[{"url":"http://127.0.0.1:9/y","signingSecret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]}"#;
    let made = read_listener(body, "id-1", None, &config).unwrap_or_else(|r| panic!("{r:?}"));
    let shown = made.rendered("http://gw.example");
    assert_eq!(shown["receivers"][0]["signingSecret"], "***");
    let sent_back = serde_json::to_vec(&shown).unwrap();
    let again =
        read_listener(&sent_back, "id-1", Some(&made), &config).unwrap_or_else(|r| panic!("{r:?}"));
    assert_eq!(again.document(), made.document());
    assert!(made.rebuilt(&config).is_ok());
    let refused = read_listener(b"{\"provider\":1}", "id-2", None, &config).unwrap_err();
    assert_eq!(refused.code, "invalid_request");
    assert!(refused.problems.iter().any(|p| p.field == "provider"));
}
