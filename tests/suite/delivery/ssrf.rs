//! The private-address guard at connect time: a name that resolves to loopback is blocked.
//! (Literal addresses are refused at load: see the config module.)

use crate::common::admin::TOKENS;
use crate::common::events::{attempts, delivery_statuses};
use crate::common::{post, wait_for, Gateway, Receiver};
use std::time::Duration;

#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_blocked_at_connect_time() {
    let receiver = Receiver::start().await;
    let cfg = format!(
        "[store]\nurl = \"{{STORE}}\"\n[delivery]\nretry_schedule = [\"100ms\"]\nmax_retry_count = 1\n{TOKENS}\n[[listener]]\nid = \"l\"\nprovider = \"smoobu\"\naccount_id = \"a\"\n[[listener.receiver]]\nurl = \"http://localhost:{}/x\"\n",
        receiver.addr.port()
    );
    let gw = Gateway::start(&cfg);
    let a = post(gw.public, &gw.url("smoobu/a"), &[], r#"{"action":"x"}"#).await;
    let event_id = a.event_id();
    assert!(
        wait_for(Duration::from_secs(5), || async {
            delivery_statuses(gw.admin, &event_id).await == ["failed"]
        })
        .await
    );
    let attempts = attempts(gw.admin, &event_id).await;
    assert!(
        attempts
            .iter()
            .all(|a| a.2.as_deref().unwrap_or("").contains("blocked_target")),
        "{attempts:?}"
    );
    assert_eq!(receiver.count(), 0, "nothing reached the loopback receiver");
}
