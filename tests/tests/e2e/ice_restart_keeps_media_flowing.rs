//! A real str0m peer in a call through the gateway and the media server restarts ICE mid-call over
//! gRPC (RestartIce), first from a new UDP socket so its old path is gone, then again from the same
//! one: media comes back each time on the new ICE credentials, with the server's new candidates
//! trickled over StreamCandidates and the peer's over AddIceCandidate, in the port-range mode and in
//! one-port mode (where the table routes only the current ufrag). Afterwards the media server holds
//! no pipeline, endpoint or route.

use e2e_tests::Gateway;
use media_proto::v1::session_event::Event;
use media_proto::v1::{
    AddIceCandidateRequest, IceCandidate, RestartIceRequest, StartRequest, StopRequest,
    StreamCandidatesRequest,
};
use std::time::Duration;
use test_support::restart_peer::RestartPeer;
use test_support::wait::eventually;
use tokio_stream::StreamExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_range_mode() -> anyhow::Result<()> {
    restart_mid_call(None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_port_mode() -> anyhow::Result<()> {
    restart_mid_call(Some(0)).await
}

type Events = tonic::Streaming<media_proto::v1::SessionEvent>;

/// The server candidates on `stream` until GatheringDone.
async fn candidates(stream: &mut Events) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    loop {
        let item = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("stream ended"))??;
        match item.event {
            Some(Event::Candidate(c)) => found.push(c.candidate),
            Some(Event::GatheringDone(_)) => return Ok(found),
            Some(Event::Ended(e)) => anyhow::bail!("session ended: {e:?}"),
            _ => {}
        }
    }
}

async fn restart_mid_call(udp_port: Option<u16>) -> anyhow::Result<()> {
    let mut media = media_server::Config::default();
    media.engine.udp_port = udp_port;
    let gw = Gateway::start_with_media(
        media_gateway::Config {
            candidate_networks: media_gateway::CandidateNetworks::LOCAL,
            ..media_gateway::Config::default()
        },
        media,
    )
    .await?;
    let mut client = gw.client().await?;
    let mut peer = RestartPeer::offer().await?;
    let started = client
        .start(StartRequest {
            sdp_offer: peer.sdp.clone(),
            wait_for_candidates: false,
        })
        .await?
        .into_inner();
    anyhow::ensure!(
        started.capabilities.is_some_and(|c| c.ice_restart),
        "our media server can restart ICE"
    );
    let id = started.session_id;
    let mut stream = client
        .stream_candidates(StreamCandidatesRequest {
            session_id: id.clone(),
        })
        .await?
        .into_inner();
    let first = candidates(&mut stream).await?;
    peer.start(&started.sdp_answer, &first)?;
    let candidate = |c: &str| AddIceCandidateRequest {
        session_id: id.clone(),
        candidate: Some(IceCandidate {
            candidate: c.to_owned(),
            sdp_mid: "0".into(),
            sdp_m_line_index: 0,
        }),
    };
    client.add_ice_candidate(candidate(&peer.candidate)).await?;
    anyhow::ensure!(
        eventually(Duration::from_secs(10), || peer.received() > 25).await,
        "no echo before the restart"
    );

    // The first restart moves the peer to a new socket (its old path is gone); the second keeps it,
    // as a restart after a transient failure would.
    let mut server_ufrag = test_support::ice_ufrag(&started.sdp_answer).map(str::to_owned);
    for (round, move_socket) in [(1u64, true), (2, false)] {
        let restart = peer.restart(move_socket).await?;
        let restarted_at = std::time::Instant::now();
        let answer = client
            .restart_ice(RestartIceRequest {
                session_id: id.clone(),
                sdp_offer: restart.offer.clone(),
            })
            .await?
            .into_inner()
            .sdp_answer;
        let new_ufrag = test_support::ice_ufrag(&answer).map(str::to_owned);
        anyhow::ensure!(
            new_ufrag.is_some() && new_ufrag != server_ufrag,
            "new server credentials: {answer}"
        );
        server_ufrag = new_ufrag;
        let at_restart = peer.received();
        peer.accept_answer(&answer).await?;
        if move_socket {
            client
                .add_ice_candidate(candidate(&restart.candidate))
                .await?;
        }
        let again = candidates(&mut stream).await?;
        for c in &again {
            peer.add_remote_candidate(c).await?;
        }
        anyhow::ensure!(
            eventually(Duration::from_secs(10), || peer.received() > at_restart).await,
            "no echo after restart {round}"
        );
        // Printed, not asserted: the time from the new offer to the first echo afterwards.
        eprintln!(
            "ice restart {round} ({}, {}): first echo {:.1} ms after the new offer",
            if udp_port.is_some() {
                "one port"
            } else {
                "port range"
            },
            if move_socket {
                "new socket"
            } else {
                "same socket"
            },
            restarted_at.elapsed().as_secs_f64() * 1000.0
        );
        anyhow::ensure!(
            eventually(Duration::from_secs(10), || peer.received()
                > at_restart + 50)
            .await,
            "media did not come back after restart {round}: {at_restart} echoed before, {} now",
            peer.received()
        );
        let stats = gw.media_stats().engine;
        assert_eq!(stats.ice_restarts, round, "{stats:?}");
        if udp_port.is_some() {
            assert_eq!(
                (stats.udp_sockets, stats.routed_ufrags),
                (1, 1),
                "one shared socket, and only the current ufrag routed: {stats:?}"
            );
        }
    }

    drop(peer);
    let released = client
        .stop(StopRequest { session_id: id })
        .await?
        .into_inner()
        .released;
    assert!(released);
    gw.assert_released().await?;
    let stats = gw.media_stats().engine;
    assert_eq!(
        (stats.endpoints, stats.routed_ufrags, stats.routed_addresses),
        (0, 0, 0),
        "{stats:?}"
    );
    gw.stop().await
}
