//! Logs print receiver URLs without their query string, which often carries a token.

use crate::common::{post, wait_until, Gateway, Receiver};
use std::time::Duration;

#[tokio::test]
async fn delivery_logs_leave_out_the_receiver_query_string() {
    let receiver = Receiver::start().await;
    receiver.fail_next(1, 500);
    let cfg = format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]

[[listener]]
id = "l"
provider = "smoobu"
account_id = "a"

[[listener.receiver]]
url = "{}"
"#,
        receiver.url("/hook?token=s3cret-in-query")
    );
    let gw = Gateway::start(&cfg);
    post(gw.public, &gw.url("smoobu/a"), &[], r#"{"action":"x"}"#).await;
    assert!(wait_until(Duration::from_secs(5), || receiver.count() == 2).await);
    let logs = gw.log_text();
    assert!(
        wait_until(Duration::from_secs(2), || gw
            .log_text()
            .matches("delivery attempt")
            .count()
            >= 2)
        .await,
        "{logs}"
    );
    let logs = gw.log_text();
    assert!(logs.contains("/hook"), "{logs}");
    assert!(!logs.contains("s3cret-in-query"), "{logs}");
}
