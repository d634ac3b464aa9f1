//! A drain never waits longer than the grace period, even for a Start the gateway never answers.
use crate::support;

use std::time::Duration;

use crate::support::Bridge;
use crate::support::fake_gateway::FakeGateway;

#[tokio::test]
async fn drain_ends_within_grace_period() -> anyhow::Result<()> {
    // Start is held for the whole test: only the grace period can end the drain.
    let gateway = FakeGateway::start(true).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| {
        c.limits.shutdown_grace = Duration::from_millis(300);
    })
    .await?;
    let mut ws = bridge.connect(None).await?;
    support::send_start(&mut ws).await?;
    support::start_reached(&gateway).await?;

    bridge.shutdown.cancel();
    // Far below the 30 s Start timeout that would otherwise bound it.
    tokio::time::timeout(Duration::from_secs(5), bridge.task)
        .await
        .map_err(|_| anyhow::anyhow!("run did not return after the grace period"))???;
    assert!(
        tokio::net::TcpStream::connect(bridge.addr).await.is_err(),
        "the listener is closed once run returns"
    );
    Ok(())
}
