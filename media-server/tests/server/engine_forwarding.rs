//! Two endpoints connected to each other forward media between their peers, and a keyframe request
//! from the receiving peer reaches the sending peer. The far peer reflects what it gets, so the probe's
//! frames make the round trip probe -> A -> B -> reflector -> B -> A -> probe intact.

use std::time::Duration;

use crate::engine_support::{engine, gathered, negotiate_probe};
use media_probe::EchoCheckConfig;
use test_support::echo_peer::EchoPeer;

#[tokio::test]
async fn media_crosses_two_endpoints_and_keyframe_requests_come_back() -> anyhow::Result<()> {
    let engine = engine();
    let (tx_a, mut rx_a) = engine.event_channel();
    let (tx_b, mut rx_b) = engine.event_channel();
    let a = engine.create_endpoint(tx_a)?;
    let b = engine.create_endpoint(tx_b)?;
    a.connect(&b).await?;
    b.connect(&a).await?;

    let mut reflector = EchoPeer::offer().await?;
    let answer = b.process_offer(&reflector.sdp).await?;
    b.gather_candidates().await?;
    let b_candidates: Vec<String> = gathered(&mut rx_b)
        .await?
        .into_iter()
        .map(|c| c.0)
        .collect();
    b.add_ice_candidate(&reflector.candidate, Some("0"), 0)
        .await?;
    reflector.start(&answer, &b_candidates)?;

    let probe = negotiate_probe(&a, &mut rx_a).await?;
    let config = EchoCheckConfig {
        duration: Duration::from_secs(2),
        ..EchoCheckConfig::default()
    };
    let report = probe.echo_check(config).await?;

    assert_eq!(report.mismatches, 0, "{:?}", report.mismatch_examples);
    assert!(report.is_intact(0.8), "{report:?}");
    assert!(reflector.echoed() > 0, "the reflector got media through B");
    assert!(
        report.keyframe_requests > 0,
        "the reflector's PLIs reached the probe: {report:?}"
    );

    a.release().await;
    b.release().await;
    assert_eq!(engine.stats().udp_sockets, 0);
    Ok(())
}
