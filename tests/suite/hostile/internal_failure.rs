//! A retry step too large for any clock: the attempt is still recorded, its next attempt put
//! off as far as time can be written (not wrapped into the past), and the gateway keeps
//! delivering. (The panic path itself is covered in `delivery::contained`.)

use crate::common::admin::TOKENS;
use crate::common::events::{attempts, event};
use crate::common::{post, wait_for, wait_until, Gateway, Receiver};
use std::time::Duration;

#[tokio::test]
async fn a_huge_retry_step_saturates_and_the_attempt_is_recorded() {
    let failing = Receiver::start().await;
    failing.fail_next(1000, 500);
    let healthy = Receiver::start().await;
    let cfg = format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["18446744073709551615s"]
concurrency = 1

[[listener]]
id = "f"
provider = "smoobu"
account_id = "f"

[[listener.receiver]]
url = "{}"

[[listener]]
id = "h"
provider = "smoobu"
account_id = "h"

[[listener.receiver]]
url = "{}"
{TOKENS}
"#,
        failing.url("/f"),
        healthy.url("/h")
    );
    let gw = Gateway::start(&cfg);
    let a = post(gw.public, &gw.url("smoobu/f"), &[], r#"{"action":"x"}"#).await;
    let id = a.event_id();
    assert!(
        wait_for(Duration::from_secs(5), || async {
            attempts(gw.admin, &id).await.len() == 1
        })
        .await,
        "the attempt was never recorded"
    );
    let delivery = event(gw.admin, &id).await["deliveries"][0].clone();
    assert_eq!(delivery["status"], "pending", "{delivery}");
    let next = delivery["nextAttemptAt"].as_str().unwrap_or_default();
    assert!(next.starts_with("9999-12-31"), "{delivery}");
    // The one delivery slot was given back.
    post(gw.public, &gw.url("smoobu/h"), &[], r#"{"action":"y"}"#).await;
    assert!(wait_until(Duration::from_secs(5), || healthy.count() == 1).await);
}
