//! A second processOffer on one endpoint is KMS's 40208 SDP_END_POINT_ALREADY_NEGOTIATED.

use crate::engine_support::{CHROMIUM_OFFER, engine};
use media_server::engine::EngineError;

#[tokio::test]
async fn second_offer_is_already_negotiated() -> anyhow::Result<()> {
    let engine = engine();
    let (tx, _rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    let first = endpoint.process_offer(CHROMIUM_OFFER).await?;
    let second = endpoint.process_offer(CHROMIUM_OFFER).await;
    assert!(
        matches!(second, Err(EngineError::AlreadyNegotiated)),
        "{second:?}"
    );
    assert_eq!(
        endpoint.local_sdp().await?.as_deref(),
        Some(first.as_str()),
        "first answer stands"
    );
    endpoint.release().await;
    Ok(())
}
