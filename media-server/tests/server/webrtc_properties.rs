//! MediaObject and WebRtcEndpoint properties are stored and returned.

use crate::common;

#[tokio::test]
async fn webrtc_properties() -> anyhow::Result<()> {
    common::play("webrtc_properties.txt").await?;
    Ok(())
}
