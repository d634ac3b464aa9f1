//! Shared helpers for the engine tests: an engine on 127.0.0.1, event waiting, and wiring a probe peer
//! to an endpoint the way the JSON-RPC layer would (offer, gather, candidates both ways).

use std::time::Duration;

use anyhow::{Context, bail};
use media_probe::{Peer, PeerConfig};
use media_server::engine::{Endpoint, EndpointEvent, Engine, EngineConfig};
use tokio::sync::mpsc;

pub(crate) use test_support::CHROMIUM_OFFER;

pub(crate) fn engine() -> Engine {
    Engine::new(EngineConfig::default()).expect("engine")
}

/// An engine in one-port mode: every endpoint on one UDP port of 127.0.0.1 the OS picks.
pub(crate) fn one_port_engine() -> Engine {
    Engine::new(EngineConfig {
        udp_port: Some(0),
        ..EngineConfig::default()
    })
    .expect("engine")
}

/// The `ip:port` a candidate line names.
pub(crate) fn candidate_addr(candidate: &str) -> Option<std::net::SocketAddr> {
    let fields: Vec<&str> = candidate.split_whitespace().collect();
    format!("{}:{}", fields.get(4)?, fields.get(5)?)
        .parse()
        .ok()
}

/// Waits for the first event matching `pick`, collecting the ones before it.
pub(crate) async fn wait_for<T>(
    events: &mut mpsc::Receiver<EndpointEvent>,
    within: Duration,
    mut pick: impl FnMut(&EndpointEvent) -> Option<T>,
) -> anyhow::Result<(T, Vec<EndpointEvent>)> {
    let mut before = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .with_context(|| format!("no matching event within {within:?}; saw {before:?}"))?
            .context("event channel closed")?;
        if let Some(found) = pick(&event) {
            return Ok((found, before));
        }
        before.push(event);
    }
}

/// Candidates the endpoint reports until IceGatheringDone: `(candidate, sdp_mid, index)`.
pub(crate) async fn gathered(
    events: &mut mpsc::Receiver<EndpointEvent>,
) -> anyhow::Result<Vec<(String, String, u32)>> {
    let (_, before) = wait_for(events, Duration::from_secs(5), |e| {
        (*e == EndpointEvent::IceGatheringDone).then_some(())
    })
    .await?;
    Ok(before
        .into_iter()
        .filter_map(|e| match e {
            EndpointEvent::IceCandidateFound {
                candidate,
                sdp_mid,
                sdp_m_line_index,
            } => Some((candidate, sdp_mid, sdp_m_line_index)),
            _ => None,
        })
        .collect())
}

/// A probe peer negotiated with `endpoint` with trickle ICE both ways, the Kurento call order of the
/// design: processOffer, gatherCandidates, then the peer's candidates.
pub(crate) async fn negotiate_probe(
    endpoint: &Endpoint,
    events: &mut mpsc::Receiver<EndpointEvent>,
) -> anyhow::Result<Peer> {
    let (peer, offer) = Peer::start(PeerConfig::default()).await?;
    let answer = endpoint.process_offer(&offer).await?;
    peer.set_answer(&answer).await?;
    endpoint.gather_candidates().await?;
    let found = gathered(events).await?;
    if found.is_empty() {
        bail!("endpoint gathered no candidate");
    }
    for (candidate, mid, index) in &found {
        peer.add_remote_candidate(candidate, mid, *index).await?;
    }
    for c in peer.local_candidates() {
        endpoint
            .add_ice_candidate(&c.candidate, Some(&c.sdp_mid), c.sdp_m_line_index)
            .await?;
    }
    Ok(peer)
}
