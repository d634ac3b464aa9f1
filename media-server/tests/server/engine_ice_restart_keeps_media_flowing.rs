//! ICE restart mid-call: a str0m peer echoing through a loopback endpoint moves to a new socket (its
//! old path is gone) and restarts ICE; the endpoint answers with new credentials, announces its
//! candidates again, raises CONNECTING then READY as KMS would, and media flows again, now only over
//! the new credentials. In one-port mode the routing table holds exactly the new ufrag for the
//! endpoint, and nothing once it is released.

use std::time::Duration;

use crate::engine_support::{engine, gathered, one_port_engine, wait_for};
use media_server::engine::{EndpointEvent, Engine, IceComponentState};
use test_support::restart_peer::RestartPeer;
use test_support::wait::eventually;

#[tokio::test]
async fn port_range_mode() -> anyhow::Result<()> {
    restart_mid_call(engine(), false).await
}

#[tokio::test]
async fn one_port_mode() -> anyhow::Result<()> {
    restart_mid_call(one_port_engine(), true).await
}

async fn restart_mid_call(engine: Engine, one_port: bool) -> anyhow::Result<()> {
    let (tx, mut events) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    endpoint.connect(&endpoint).await?;
    let mut peer = RestartPeer::offer().await?;
    let answer = endpoint.process_offer(&peer.sdp).await?;
    endpoint.gather_candidates().await?;
    let first: Vec<String> = gathered(&mut events)
        .await?
        .into_iter()
        .map(|(c, _, _)| c)
        .collect();
    peer.start(&answer, &first)?;
    anyhow::ensure!(
        eventually(Duration::from_secs(10), || peer.received() > 25).await,
        "no echo before the restart"
    );
    wait_for(&mut events, Duration::from_secs(5), |e| {
        matches!(
            e,
            EndpointEvent::IceComponentStateChanged {
                state: IceComponentState::Ready,
                ..
            }
        )
        .then_some(())
    })
    .await?;
    let old_ufrag = test_support::ice_ufrag(&answer).map(str::to_owned);

    let restart = peer.restart(true).await?;
    let restarted = endpoint.process_offer(&restart.offer).await?;
    let new_ufrag = test_support::ice_ufrag(&restarted).map(str::to_owned);
    assert!(new_ufrag.is_some() && new_ufrag != old_ufrag, "{restarted}");
    assert_eq!(
        endpoint.remote_sdp().await?.as_deref(),
        Some(restart.offer.as_str())
    );
    assert_eq!(
        endpoint
            .local_sdp()
            .await?
            .as_deref()
            .and_then(test_support::ice_ufrag),
        new_ufrag.as_deref(),
        "the local description is the new answer"
    );
    if one_port {
        assert_eq!(
            engine.stats().routed_ufrags,
            1,
            "the old ufrag left the table"
        );
    }
    let at_restart = peer.received();
    peer.accept_answer(&restarted).await?;
    // KMS gathers again after the new offer: the same host candidates, now for the new ufrag.
    endpoint.gather_candidates().await?;
    let after = events_until_ready_and_gathered(&mut events).await?;
    let again: Vec<&String> = after
        .iter()
        .filter_map(|e| match e {
            EndpointEvent::IceCandidateFound { candidate, .. } => Some(candidate),
            _ => None,
        })
        .collect();
    assert!(!again.is_empty(), "{after:?}");
    let new = new_ufrag.as_deref().unwrap_or_default();
    for c in &again {
        assert!(
            !c.contains(" ufrag ") || c.ends_with(&format!(" ufrag {new}")),
            "{c}"
        );
        peer.add_remote_candidate(c).await?;
    }
    let position = |state: IceComponentState| {
        after.iter().position(|e| {
            matches!(e, EndpointEvent::IceComponentStateChanged { state: s, .. } if *s == state)
        })
    };
    let (connecting, ready) = (
        position(IceComponentState::Connecting),
        position(IceComponentState::Ready),
    );
    assert!(
        connecting.is_some() && ready > connecting,
        "the restart's checks are reported, then READY: {after:?}"
    );
    anyhow::ensure!(
        eventually(Duration::from_secs(10), || peer.received()
            > at_restart + 50)
        .await,
        "media did not come back after the restart: {} echoed before, {} now",
        at_restart,
        peer.received()
    );
    let stats = engine.stats();
    assert_eq!(stats.ice_restarts, 1, "{stats:?}");
    if one_port {
        assert_eq!(stats.routed_ufrags, 1, "{stats:?}");
        // The peer's old socket and its new one, both verified by this endpoint.
        assert!((1..=2).contains(&stats.routed_addresses), "{stats:?}");
    }
    let no_errors: Vec<EndpointEvent> = std::iter::from_fn(|| events.try_recv().ok()).collect();
    assert!(
        !no_errors
            .iter()
            .any(|e| matches!(e, EndpointEvent::Error { .. })),
        "{no_errors:?}"
    );

    drop(peer);
    endpoint.release().await;
    let stats = engine.stats();
    assert_eq!(
        (stats.endpoints, stats.routed_ufrags, stats.routed_addresses),
        (0, 0, 0),
        "nothing outlives the endpoint: {stats:?}"
    );
    Ok(())
}

/// The events after a restart, until both IceGatheringDone and READY have come.
async fn events_until_ready_and_gathered(
    events: &mut tokio::sync::mpsc::Receiver<EndpointEvent>,
) -> anyhow::Result<Vec<EndpointEvent>> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let done = |seen: &[EndpointEvent]| {
        seen.contains(&EndpointEvent::IceGatheringDone)
            && seen.iter().any(|e| {
                matches!(
                    e,
                    EndpointEvent::IceComponentStateChanged {
                        state: IceComponentState::Ready,
                        ..
                    }
                )
            })
    };
    while !done(&seen) {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(e)) => seen.push(e),
            Ok(None) => anyhow::bail!("event channel closed"),
            Err(_) => anyhow::bail!("no READY and GatheringDone within 10 s: {seen:?}"),
        }
    }
    Ok(seen)
}
