//! A gRPC error from the gateway reaches the browser as a sentence (a string, never an object).
mod support;

use support::fake_gateway::FakeGateway;
use support::{Bridge, recv_error, send};

#[tokio::test]
async fn gateway_rejection_is_clear_text() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let mut ws = bridge.connect(None).await?;
    send(&mut ws, r#"{"id":"start","sdpOffer":"v=0 reject-me"}"#).await?;
    assert_eq!(
        recv_error(&mut ws).await?,
        "the media server rejected the request: the offer has no media sections"
    );
    assert_eq!(bridge.counters.live_sessions(), 0);
    bridge.stop().await
}
