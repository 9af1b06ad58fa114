//! The longest retry step the config allows (30 days, ±20 % jitter): the attempt is recorded, its next
//! attempt put off that far (not wrapped into the past), and the gateway keeps delivering.
//! (Steps beyond 30 days are config errors; the panic path is covered in `delivery::contained`.)

use crate::common::admin::TOKENS;
use crate::common::events::{attempts, event};
use crate::common::{post, wait_for, wait_until, Gateway, Receiver};
use std::time::Duration;

#[tokio::test]
async fn the_longest_retry_step_is_recorded_and_frees_the_slot() {
    let failing = Receiver::start().await;
    failing.fail_next(1000, 500);
    let healthy = Receiver::start().await;
    let cfg = format!(
        r#"
[store]
url = "{{STORE}}"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["30d"]
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
    let in_23_days = humantime::format_rfc3339_seconds(
        std::time::SystemTime::now() + Duration::from_secs(23 * 86_400),
    )
    .to_string();
    assert!(next.get(..19) > in_23_days.get(..19), "{delivery}");
    // The one delivery slot was given back.
    post(gw.public, &gw.url("smoobu/h"), &[], r#"{"action":"y"}"#).await;
    assert!(wait_until(Duration::from_secs(5), || healthy.count() == 1).await);
}
