//! Candidates and gathering that come before processOffer are kept and applied after it (KMS allows
//! both); media then flows.

use std::time::Duration;

use crate::engine_support::{engine, gathered};
use media_probe::{EchoCheckConfig, Peer, PeerConfig};

#[tokio::test]
async fn candidates_before_offer_are_not_lost() -> anyhow::Result<()> {
    let engine = engine();
    let (tx, mut rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    let (peer, offer) = Peer::start(PeerConfig::default()).await?;

    // Everything KMS accepts before the offer: gathering, the peer's candidates, junk and end-of-candidates.
    endpoint.gather_candidates().await?;
    for c in peer.local_candidates() {
        endpoint
            .add_ice_candidate(&c.candidate, Some(&c.sdp_mid), c.sdp_m_line_index)
            .await?;
    }
    endpoint
        .add_ice_candidate("candidate:garbage", Some("0"), 0)
        .await?;
    endpoint.add_ice_candidate("", Some("0"), 0).await?;
    endpoint.connect(&endpoint).await?;

    let answer = endpoint.process_offer(&offer).await?;
    assert!(
        answer.contains("a=candidate:"),
        "gathered before the offer, so the answer has them"
    );
    peer.set_answer(&answer).await?;
    for (candidate, mid, index) in gathered(&mut rx).await? {
        peer.add_remote_candidate(&candidate, &mid, index).await?;
    }

    let config = EchoCheckConfig {
        duration: Duration::from_secs(1),
        ..EchoCheckConfig::default()
    };
    let report = peer.echo_check(config).await?;
    assert!(report.is_intact(0.9), "{report:?}");
    endpoint.release().await;
    Ok(())
}
