//! Frequent /readyz probes cost one gateway health Check per cache period, not one each.

use crate::support::fake_gateway::FakeGateway;
use crate::support::{Bridge, http_get, metrics, sample};

#[tokio::test]
async fn readyz_caches_gateway_health() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    // The default cache period (2 s) is far longer than ten probes take.
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    for _ in 0..10 {
        assert_eq!(http_get(bridge.addr, "/readyz").await?.0, 200);
    }
    let text = metrics(bridge.addr).await?;
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_gateway_calls_total{method="Check",code="OK"}"#
        ),
        1.0,
        "{text}"
    );
    bridge.stop().await
}
