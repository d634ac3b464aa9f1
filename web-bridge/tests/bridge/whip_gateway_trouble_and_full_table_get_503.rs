//! WHIP answers 503 with Retry-After when waiting would help: the gateway is unreachable, or the bridge
//! already holds `whip_max_resources` resources (until one is deleted).
use crate::support::Bridge;
use crate::support::fake_gateway::FakeGateway;
use crate::support::whip::{self, WHIP_OFFER};

#[tokio::test]
async fn unreachable_gateway_gets_503_with_retry_after() -> anyhow::Result<()> {
    // A port nothing listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let uri = format!("http://{}", closed.local_addr()?);
    drop(closed);
    let bridge = Bridge::start(&uri, |_| {}).await?;
    let r = whip::post(bridge.addr, WHIP_OFFER, &[]).await?;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("5"));
    assert!(r.text().contains("unreachable"), "{}", r.text());
    assert_eq!(bridge.counters.whip_resources(), 0);
    assert_eq!(bridge.counters.live_sessions(), 0);
    bridge.stop().await
}

#[tokio::test]
async fn full_table_gets_503_until_a_resource_is_deleted() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| c.limits.whip_max_resources = 1).await?;
    let (location, _) = whip::created(bridge.addr).await?;
    let full = whip::post(bridge.addr, WHIP_OFFER, &[]).await?;
    assert_eq!(full.status, 503);
    assert_eq!(full.header("retry-after"), Some("5"));
    assert_eq!(whip::delete(bridge.addr, &location, &[]).await?.status, 200);
    crate::support::eventually("the slot to be given back", || {
        bridge.counters.live_sessions() == 0
    })
    .await?;
    whip::created(bridge.addr).await?;
    bridge.stop().await
}
