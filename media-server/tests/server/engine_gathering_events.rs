//! gatherCandidates reports each candidate once per active m-line (BUNDLE, as KMS does), then
//! IceGatheringDone; called before the offer, the events follow the offer and the answer holds them.

use crate::engine_support::{CHROMIUM_OFFER, engine, gathered};
use media_server::engine::EndpointEvent;

#[tokio::test]
async fn one_candidate_event_per_mline_then_done() -> anyhow::Result<()> {
    let engine = engine();
    let (tx, mut rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    endpoint.process_offer(CHROMIUM_OFFER).await?;
    endpoint.gather_candidates().await?;

    let found = gathered(&mut rx).await?;
    assert_eq!(
        found.len(),
        2,
        "one host candidate x two m-lines: {found:?}"
    );
    assert_eq!(
        found[0].0, found[1].0,
        "same candidate string on both m-lines"
    );
    assert_eq!((found[0].1.as_str(), found[0].2), ("0", 0));
    assert_eq!((found[1].1.as_str(), found[1].2), ("1", 1));
    assert!(
        found[0].0.starts_with("candidate:") && found[0].0.contains("127.0.0.1"),
        "{}",
        found[0].0
    );
    assert!(found[0].0.contains("typ host"));

    let local = endpoint.local_sdp().await?.unwrap_or_default();
    assert_eq!(
        local.matches(&format!("a={}", found[0].0)).count(),
        2,
        "local SDP holds them:\n{local}"
    );

    // Gathering twice reports nothing new.
    endpoint.gather_candidates().await?;
    let later: Vec<EndpointEvent> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert!(
        !later.iter().any(|e| matches!(
            e,
            EndpointEvent::IceCandidateFound { .. } | EndpointEvent::IceGatheringDone
        )),
        "no second round of candidates: {later:?}"
    );
    endpoint.release().await;
    Ok(())
}

#[tokio::test]
async fn gathering_before_the_offer_reports_after_it() -> anyhow::Result<()> {
    let engine = engine();
    let (tx, mut rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    endpoint.gather_candidates().await?;
    let early = rx.try_recv();
    assert!(
        early.is_err(),
        "no m-lines yet, so nothing to report: {early:?}"
    );

    let answer = endpoint.process_offer(CHROMIUM_OFFER).await?;
    let found = gathered(&mut rx).await?;
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        answer.contains(&format!("a={}", found[0].0)),
        "answer holds the candidate:\n{answer}"
    );
    endpoint.release().await;
    Ok(())
}
