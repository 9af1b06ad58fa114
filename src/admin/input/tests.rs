use super::*;

fn read(body: &str, stored: Option<&ListenerDoc>) -> Result<ListenerDoc, Vec<Problem>> {
    listener(body.as_bytes(), "the-id", stored)
}

fn fields(problems: &[Problem]) -> Vec<&str> {
    problems.iter().map(|p| p.field.as_str()).collect()
}

#[test]
fn shorthands_expand_and_read_only_fields_are_ignored() {
    let doc = read(
        r#"{"provider":"smoobu","integrationAccountId":"a","receiverUrl":"https://r.example/h",
            "ipAddress":"203.0.113.7","createdAt":"x","managedBy":"api","listenerUrl":[],
            "integrationAccountWebhookId":"ignored","deleted":null}"#,
        None,
    )
    .unwrap();
    assert_eq!(doc.name, "the-id");
    assert_eq!(doc.receivers.len(), 1);
    assert_eq!(doc.receivers[0].url, "https://r.example/h");
    assert_eq!(doc.receivers[0].format, "raw");
    assert_eq!(doc.allowed_ips, vec!["203.0.113.7"]);
    assert!(doc.enabled);
}

#[test]
fn every_shape_problem_is_listed() {
    let problems = read(
        r#"{"provider":3,"enabled":"yes","bogus":1,"receivers":[{"url":"https://a/","extra":true,"maxRetryCount":-1}],
            "rateLimit":{"perSecond":"fast"},"eventSubscription":{"a":1}}"#,
        None,
    )
    .unwrap_err();
    let f = fields(&problems);
    for want in [
        "provider",
        "integrationAccountId",
        "enabled",
        "bogus",
        "receivers[0].extra",
        "receivers[0].maxRetryCount",
        "rateLimit.perSecond",
        "eventSubscription.a",
    ] {
        assert!(f.contains(&want), "{want} missing from {f:?}");
    }
    assert_eq!(f.iter().filter(|x| **x == "provider").count(), 1, "{f:?}");
}

#[test]
fn disagreeing_shorthands_are_refused() {
    let problems = read(
        r#"{"provider":"smoobu","integrationAccountId":"a","receiverUrl":"https://one/",
            "receivers":[{"url":"https://two/"}],"ipAddress":"10.0.0.1","allowedIps":["10.0.0.2/32"]}"#,
        None,
    )
    .unwrap_err();
    assert_eq!(fields(&problems), vec!["ipAddress", "receiverUrl"]);
    // The same value in both forms is fine (a GET answer sent back).
    read(
        r#"{"provider":"smoobu","integrationAccountId":"a","receiverUrl":"https://one",
            "receivers":[{"url":"https://one/"}],"ipAddress":"10.0.0.1","allowedIps":["10.0.0.1/32"]}"#,
        None,
    )
    .unwrap();
}

#[test]
fn the_mask_keeps_stored_secrets_and_is_refused_without_one() {
    let body = r#"{"provider":"hostaway","integrationAccountId":"a","headers":{"X-Key":"***"},
        "basicAuth":{"username":"u","password":"***"},"verifySecret":"***",
        "receivers":[{"url":"https://r/","signingSecret":"***","authorization":"***",
          "oauth":{"tokenUrl":"https://t/","clientId":"c","clientSecret":"***"}}]}"#;
    let problems = read(body, None).unwrap_err();
    assert_eq!(problems.len(), 6, "{problems:?}");
    assert!(problems.iter().all(|p| p.message.contains("***")));
    let mut stored = read(
        r#"{"provider":"hostaway","integrationAccountId":"a","headers":{"x-key":"k"},
        "basicAuth":{"username":"u","password":"pw"},"verifySecret":"vs",
        "receivers":[{"url":"https://r","signingSecret":"whsec_x","authorization":"Bearer t",
          "oauth":{"tokenUrl":"https://t/","clientId":"c","clientSecret":"cs"}}]}"#,
        None,
    )
    .unwrap();
    stored.name = "kept".into();
    let doc = read(body, Some(&stored)).unwrap();
    assert_eq!(doc.headers["X-Key"], "k");
    assert_eq!(doc.basic_auth.unwrap().password, "pw");
    assert_eq!(doc.verify_secret.as_deref(), Some("vs"));
    let r = &doc.receivers[0];
    assert_eq!(r.signing_secret.as_deref(), Some("whsec_x"));
    assert_eq!(r.authorization.as_deref(), Some("Bearer t"));
    assert_eq!(r.oauth.as_ref().unwrap().client_secret, "cs");
}

#[test]
fn non_objects_are_refused() {
    assert_eq!(fields(&read("[1]", None).unwrap_err()), vec!["(body)"]);
    assert_eq!(fields(&read("{", None).unwrap_err()), vec!["(body)"]);
}

#[test]
fn stars_do_not_follow_a_receiver_to_a_new_url_or_token_url() {
    let stored = read(
        r#"{"provider":"smoobu","integrationAccountId":"a",
        "receivers":[{"url":"https://r/","headers":{"X-K":"hv"},"signingSecret":"whsec_x",
          "oauth":{"tokenUrl":"https://t/","clientId":"c","clientSecret":"cs"}}]}"#,
        None,
    )
    .unwrap();
    let put = |url: &str, token_url: &str| {
        let body = format!(
            r#"{{"provider":"smoobu","integrationAccountId":"a",
            "receivers":[{{"url":"{url}","headers":{{"x-k":"***"}},"signingSecret":"***",
              "oauth":{{"tokenUrl":"{token_url}","clientId":"c","clientSecret":"***"}}}}]}}"#
        );
        read_listener(body.as_bytes(), "the-id", Some(&stored)).unwrap()
    };
    let same = put("https://r", "https://t/");
    assert!(same.problems.is_empty(), "{:?}", same.problems);
    assert_eq!(same.doc.receivers[0].headers["x-k"], "hv");
    for moved in [
        put("https://other/", "https://t/"),
        put("https://r/", "https://t2/"),
    ] {
        assert!(moved.secret_required);
        let mut f = fields(&moved.problems);
        f.sort();
        assert_eq!(
            f,
            [
                "receivers[0].headers.x-k",
                "receivers[0].oauth.clientSecret",
                "receivers[0].signingSecret"
            ]
        );
    }
}
