//! Offers KMS rejects: empty (40201), not SDP (40201), parsable but not negotiable (40205).

use crate::engine_support::{CHROMIUM_OFFER, engine};
use media_server::engine::EngineError;

#[tokio::test]
async fn empty_garbage_and_unnegotiable_offers_are_told_apart() -> anyhow::Result<()> {
    let engine = engine();
    let (tx, _rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;

    let empty = endpoint.process_offer("  \r\n").await;
    assert!(matches!(empty, Err(EngineError::EmptyOffer)), "{empty:?}");

    let garbage = endpoint.process_offer("this is not SDP").await;
    assert!(
        matches!(garbage, Err(EngineError::InvalidSdp(_))),
        "{garbage:?}"
    );

    // The session part of a real offer, without a single m-line: valid SDP, nothing to negotiate.
    let session_only = CHROMIUM_OFFER.split("m=audio").next().unwrap_or_default();
    let nothing = endpoint.process_offer(session_only).await;
    assert!(
        matches!(
            nothing,
            Err(EngineError::OfferNotNegotiable(_) | EngineError::InvalidSdp(_))
        ),
        "{nothing:?}"
    );

    // None of the failures counts as a negotiation: a good offer still works.
    let answer = endpoint.process_offer(CHROMIUM_OFFER).await?;
    assert!(answer.contains("m=video"));
    endpoint.release().await;
    Ok(())
}
