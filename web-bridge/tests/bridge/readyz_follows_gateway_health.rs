//! /readyz is 200 only while the gateway's grpc.health.v1 says SERVING, and 503 with the reason otherwise
//! (gateway NOT_SERVING, or not answering at all); /healthz stays 200 whatever the gateway does.

use std::time::Duration;

use crate::support::fake_gateway::FakeGateway;
use crate::support::{Bridge, http_get};
use test_support::wait::eventually_async;

#[tokio::test]
async fn readyz_follows_gateway_health() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| {
        // Short, so the test sees the new answer without waiting the default 2 s.
        c.limits.readiness_cache = Duration::from_millis(50);
    })
    .await?;
    let (status, _, body) = http_get(bridge.addr, "/readyz").await?;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    gateway.set_serving(false).await;
    // Wait out the cache by watching /readyz change, not by sleeping.
    let addr = bridge.addr;
    let changed = eventually_async(Duration::from_secs(2), || async move {
        http_get(addr, "/readyz").await.is_ok_and(|r| r.0 != 200)
    })
    .await;
    assert!(changed, "/readyz still 200 with the gateway NOT_SERVING");
    let (status, _, body) = http_get(bridge.addr, "/readyz").await?;
    let body = String::from_utf8(body)?;
    assert_eq!(status, 503);
    assert!(body.contains("NOT_SERVING"), "{body}");
    assert_eq!(http_get(bridge.addr, "/healthz").await?.0, 200);

    gateway.set_serving(true).await;
    let back = eventually_async(Duration::from_secs(2), || async move {
        http_get(addr, "/readyz").await.is_ok_and(|r| r.0 == 200)
    })
    .await;
    assert!(back, "/readyz not back to 200 with the gateway SERVING");
    assert_eq!(http_get(bridge.addr, "/readyz").await?.0, 200);
    bridge.stop().await?;

    // A gateway that is not there at all.
    let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let uri = format!("http://{}", gone.local_addr()?);
    drop(gone);
    let bridge = Bridge::start(&uri, |_| {}).await?;
    let (status, _, body) = http_get(bridge.addr, "/readyz").await?;
    let body = String::from_utf8(body)?;
    assert_eq!(status, 503);
    assert!(body.contains("media gateway not ready"), "{body}");
    assert_eq!(http_get(bridge.addr, "/healthz").await?.0, 200);
    bridge.stop().await
}
