//! The drain stops every WHIP resource's session: after the shutdown token is cancelled, POST gets 503, each
//! session gets Stop, and `run` returns with no resource or session held.
use std::time::Duration;

use crate::support::fake_gateway::{Call, FakeGateway};
use crate::support::whip::{self, WHIP_OFFER};
use crate::support::{Bridge, eventually};

#[tokio::test]
async fn whip_drain_stops_sessions() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    whip::created(bridge.addr).await?;
    whip::created(bridge.addr).await?;
    assert_eq!(bridge.counters.whip_resources(), 2);
    bridge.shutdown.cancel();
    let late = whip::post(bridge.addr, WHIP_OFFER, &[]).await;
    if let Ok(late) = late {
        assert_eq!(late.status, 503, "a POST while draining");
    }
    let Bridge { task, counters, .. } = bridge;
    tokio::time::timeout(Duration::from_secs(5), task).await???;
    for n in 1..=2 {
        let stopped = Call::Stop {
            session: format!("session-{n}"),
        };
        eventually("Stop for each WHIP session", || {
            gateway.calls().contains(&stopped)
        })
        .await?;
    }
    assert_eq!(counters.whip_resources(), 0);
    assert_eq!(counters.live_sessions(), 0);
    Ok(())
}
