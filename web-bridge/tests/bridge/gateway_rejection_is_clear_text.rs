//! A gRPC error from the gateway reaches the browser as a sentence (a string, never an object).
use crate::support;

use crate::support::{recv_error, send};

#[tokio::test]
async fn gateway_rejection_is_clear_text() -> anyhow::Result<()> {
    let (_gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    send(&mut ws, r#"{"id":"start","sdpOffer":"v=0 reject-me"}"#).await?;
    assert_eq!(
        recv_error(&mut ws).await?,
        "the media server rejected the request: the offer has no media sections"
    );
    assert_eq!(bridge.counters.live_sessions(), 0);
    bridge.stop().await
}
