//! A WHIP resource into which no media flows for `whip_idle_timeout` (a client that vanished without
//! DELETE: it never connected, or crashed) is stopped and unlisted, so it cannot hold its place in the
//! table for ever. The recording gateway never reports media.
use std::time::Duration;

use crate::support::fake_gateway::{Call, FakeGateway};
use crate::support::whip;
use crate::support::{Bridge, eventually, metrics, sample};

#[tokio::test]
async fn whip_resource_without_media_is_stopped() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| {
        c.limits.whip_idle_timeout = Duration::from_millis(300);
    })
    .await?;
    let (location, _) = whip::created(bridge.addr).await?;
    eventually("the silent resource to be stopped", || {
        gateway.calls().contains(&Call::Stop {
            session: "session-1".into(),
        })
    })
    .await?;
    eventually("the resource to be unlisted", || {
        bridge.counters.whip_resources() == 0 && bridge.counters.live_sessions() == 0
    })
    .await?;
    assert_eq!(whip::delete(bridge.addr, &location, &[]).await?.status, 404);
    let text = metrics(bridge.addr).await?;
    assert_eq!(sample(&text, "web_bridge_whip_idle_closed_total"), 1.0);
    bridge.stop().await
}
