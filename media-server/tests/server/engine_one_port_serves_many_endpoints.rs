//! One-port mode: several endpoints set up at once on one UDP port each echo their own peer's media
//! (the probe's payloads carry per-peer patterns, so a crossed route would show as mismatches), the
//! engine holds one socket throughout, and the routing table empties as the endpoints are released.

use std::collections::HashSet;
use std::time::Duration;

use crate::engine_support::{candidate_addr, negotiate_probe, one_port_engine};
use media_probe::EchoCheckConfig;
use media_server::engine::EndpointEvent;

const PEERS: usize = 4;

#[tokio::test]
async fn concurrent_endpoints_on_one_port_each_get_their_own_media() -> anyhow::Result<()> {
    let engine = one_port_engine();
    let mut endpoints = Vec::new();
    let mut peers = Vec::new();
    let mut ports = HashSet::new();
    for _ in 0..PEERS {
        let (tx, mut rx) = engine.event_channel();
        let endpoint = engine.create_endpoint(tx)?;
        endpoint.connect(&endpoint).await?;
        let peer = negotiate_probe(&endpoint, &mut rx).await?;
        let sdp = endpoint.local_sdp().await?.unwrap_or_default();
        for line in sdp.lines().filter_map(|l| l.strip_prefix("a=candidate:")) {
            let addr = candidate_addr(&format!("candidate:{line}"));
            ports.insert(addr.map(|a| a.port()));
        }
        endpoints.push((endpoint, rx));
        peers.push(peer);
    }
    assert_eq!(
        ports.len(),
        1,
        "every endpoint advertises the same port: {ports:?}"
    );
    let stats = engine.stats();
    assert_eq!(
        (stats.endpoints, stats.udp_sockets),
        (PEERS, 1),
        "{stats:?}"
    );
    assert_eq!(stats.routed_ufrags, PEERS, "{stats:?}");

    let config = EchoCheckConfig {
        duration: Duration::from_secs(2),
        ..EchoCheckConfig::default()
    };
    let reports =
        futures_util::future::join_all(peers.iter().map(|p| p.echo_check(config.clone()))).await;
    for report in reports {
        let report = report?;
        assert_eq!(report.mismatches, 0, "{:?}", report.mismatch_examples);
        assert!(report.is_intact(0.9), "{report:?}");
    }
    let stats = engine.stats();
    // Each probe sends from one socket, which its endpoint verified and claimed.
    assert_eq!(stats.routed_addresses, PEERS, "{stats:?}");
    assert_eq!(stats.inbox_drops, 0, "{stats:?}");
    for (_, rx) in &mut endpoints {
        let events: Vec<EndpointEvent> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, EndpointEvent::Error { .. })),
            "{events:?}"
        );
    }

    drop(peers);
    for (i, (endpoint, _)) in endpoints.iter().enumerate() {
        endpoint.release().await;
        let stats = engine.stats();
        let left = PEERS - i - 1;
        assert_eq!(
            (stats.endpoints, stats.routed_ufrags, stats.routed_addresses),
            (left, left, left),
            "each release removes that endpoint's routes at once: {stats:?}"
        );
    }
    assert_eq!(
        engine.stats().udp_sockets,
        1,
        "the shared socket stays with the engine"
    );
    Ok(())
}
