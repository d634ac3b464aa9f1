//! `start` without a usable sdpOffer gets an `error` and never reaches the gateway.
use crate::support;

use crate::support::{recv_error, send};

#[tokio::test]
async fn start_without_offer_gets_error() -> anyhow::Result<()> {
    let (gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    send(&mut ws, r#"{"id":"start"}"#).await?;
    assert_eq!(recv_error(&mut ws).await?, "start has no \"sdpOffer\"");
    send(&mut ws, r#"{"id":"start","sdpOffer":"  "}"#).await?;
    assert_eq!(
        recv_error(&mut ws).await?,
        "start has an empty \"sdpOffer\""
    );
    send(&mut ws, r#"{"id":"start","sdpOffer":{"sdp":"v=0"}}"#).await?;
    assert_eq!(
        recv_error(&mut ws).await?,
        "start's \"sdpOffer\" must be a string holding the SDP offer"
    );
    assert!(gateway.calls().is_empty(), "{:?}", gateway.calls());
    bridge.stop().await
}
