//! Hostile callers and a hostile media server get a clear refusal and nothing else: a candidate flood is
//! RESOURCE_EXHAUSTED past the per-session cap (and the media server sees no more than the cap), candidates
//! naming loopback or private addresses never reach the media server unless the operator allows them, an
//! oversized `sdp_mid` is INVALID_ARGUMENT, and a media server spewing bad frames neither takes the link
//! down nor keeps Start from working.

use crate::common::{self, OFFER, Script, on_peer_with, what};
use crate::support::{eventually, eventually_async, http::get};
use media_gateway::CandidateNetworks;
use std::time::Duration;
use test_support::elsewhere::{closed_by_server, connect_from_elsewhere};

fn added(peer: &crate::support::peer::Peer) -> Vec<String> {
    peer.received()
        .iter()
        .filter(|r| what(r) == "addIceCandidate")
        .filter_map(|r| {
            r["params"]["operationParams"]["candidate"]["candidate"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

fn public(i: usize) -> String {
    format!(
        "candidate:{i} 1 udp 2122260223 8.8.{}.{} 9 typ host",
        i / 250,
        i % 250
    )
}

#[tokio::test]
async fn a_candidate_flood_stops_at_the_cap() {
    let (mut gw, peer) = on_peer_with(Script::default(), |mut c| {
        c.max_candidates = 20;
        c
    })
    .await;
    let id = common::start_session(&mut gw.client, OFFER).await;
    let mut refused = 0;
    for i in 0..200 {
        match common::add_candidate(&mut gw.client, &id, public(i)).await {
            Ok(()) => {}
            Err(e) => {
                assert_eq!(e.code(), tonic::Code::ResourceExhausted, "{e:?}");
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 180);
    // A well-behaved caller alongside is untouched: its own candidates go through.
    let other = common::start_session(&mut gw.client, OFFER).await;
    common::add_candidate(&mut gw.client, &other, public(999))
        .await
        .expect("the other session's candidate");
    // The flood's 20, and the other session's one.
    assert!(eventually(Duration::from_secs(2), || added(&peer).len() == 21).await);
    assert_eq!(
        added(&peer).len(),
        21,
        "the media server saw more than the cap"
    );
    // The session itself is fine: Stop releases it as usual.
    let stopped = gw
        .client
        .stop(media_proto::v1::StopRequest { session_id: id })
        .await
        .expect("Stop");
    assert!(stopped.into_inner().released);
}

#[tokio::test]
async fn private_and_loopback_candidates_stay_away_unless_allowed() {
    let (mut gw, peer) = on_peer_with(Script::default(), |mut c| {
        c.candidate_networks = CandidateNetworks::default();
        c
    })
    .await;
    let id = common::start_session(&mut gw.client, OFFER).await;
    let lines = [
        "candidate:1 1 udp 2122260223 127.0.0.1 9 typ host",
        "candidate:2 1 udp 2122260223 192.168.1.20 9 typ host",
        "candidate:3 1 udp 2122260223 169.254.3.3 9 typ host",
        "candidate:4 1 udp 2122260223 224.0.0.251 9 typ host",
        "candidate:5 1 udp 2122260223 printer.corp.example 9 typ host",
        "candidate:6 1 udp 2122260223 8.8.4.4 9 typ host",
        "candidate:7 1 udp 2122260223 3c1b7a2e-9d3c.local 9 typ host",
    ];
    for l in lines {
        // Accepted (a browser's other candidates may do), but not forwarded.
        common::add_candidate(&mut gw.client, &id, l)
            .await
            .expect("accepted");
    }
    assert!(eventually(Duration::from_secs(2), || added(&peer).len() == 2).await);
    let forwarded = added(&peer);
    assert_eq!(forwarded, [lines[5], lines[6]], "{forwarded:?}");
}

#[tokio::test]
async fn an_oversized_sdp_mid_is_invalid() {
    let (mut gw, _peer) = on_peer_with(Script::default(), |c| c).await;
    let id = common::start_session(&mut gw.client, OFFER).await;
    let e = gw
        .client
        .add_ice_candidate(media_proto::v1::AddIceCandidateRequest {
            session_id: id,
            candidate: Some(media_proto::v1::IceCandidate {
                candidate: public(1),
                sdp_mid: "m".repeat(100_000),
                sdp_m_line_index: 0,
            }),
        })
        .await
        .expect_err("refused");
    assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e:?}");
    assert!(e.message().len() < 200, "{}", e.message());
}

#[tokio::test]
async fn a_media_server_spewing_garbage_does_not_take_the_link_down() {
    let peer = crate::support::peer::Peer::with_handler(
        "server-1",
        common::hello_world(Script::default()),
    )
    .await;
    let mut gw = common::gateway_with_metrics(common::config(vec![peer.uri()])).await;
    common::wait_for_link(&gw.gateway, &peer).await;
    for i in 0..5_000 {
        let junk = match i % 4 {
            0 => "not json at all".to_owned(),
            1 => format!(
                "{{\"id\":{},\"jsonrpc\":\"2.0\",\"result\":{{}}}}",
                1_000_000 + i
            ),
            2 => "{\"jsonrpc\":\"2.0\",\"method\":\"onEvent\",\"params\":{\"value\":7}}".to_owned(),
            _ => "[".repeat(1000),
        };
        peer.push(junk);
    }
    let metrics = gw.gateway.metrics_addr().expect("metrics");
    // Still up, and Start works through the same link.
    let up = eventually_async(Duration::from_secs(5), || async move {
        get(metrics, "/metrics").await.1.lines().any(|l| {
            l.contains("media_server_link_state{")
                && l.contains("state=\"up\"")
                && l.ends_with(" 1")
        })
    })
    .await;
    assert!(up, "the link went down");
    common::start_session(&mut gw.client, OFFER).await;
    assert_eq!(
        peer.connections(),
        1,
        "the link reconnected: the garbage dropped it"
    );
}

fn metric(text: &str, name_and_labels: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with(name_and_labels))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn an_address_at_its_connection_cap_locks_out_only_itself() {
    let peer = crate::support::peer::Peer::with_handler(
        "server-1",
        common::hello_world(Script::default()),
    )
    .await;
    let mut config = common::config(vec![peer.uri()]);
    config.max_connections = 32;
    config.max_connections_per_ip = 4;
    config.header_read_timeout = Duration::from_millis(500);
    let mut gw = common::gateway_with_metrics(config).await;
    common::wait_for_link(&gw.gateway, &peer).await;
    let grpc = gw.gateway.local_addr();
    let metrics = gw.gateway.metrics_addr().expect("metrics");

    // Four idle connections from 127.0.0.2 are its share; the fifth is closed on accept.
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(connect_from_elsewhere(grpc).await.expect("TCP connect"));
    }
    let open = eventually_async(Duration::from_secs(5), || async move {
        metric(
            &get(metrics, "/metrics").await.1,
            "media_gateway_connections_open ",
        ) == Some(6)
    })
    .await;
    assert!(open, "the test's client, four idle ones and this GET");
    let mut surplus = connect_from_elsewhere(grpc).await.expect("TCP connect");
    assert!(closed_by_server(&mut surplus, Duration::from_secs(2)).await);
    let text = get(metrics, "/metrics").await.1;
    assert_eq!(
        metric(
            &text,
            "media_gateway_connections_refused_total{reason=\"per_ip\"}"
        ),
        Some(1),
        "{text}"
    );

    // Callers from the test's own address are untouched: the open client and a new one both Start.
    common::start_session(&mut gw.client, OFFER).await;
    let mut fresh = media_proto::v1::media_session_client::MediaSessionClient::connect(format!(
        "http://{grpc}"
    ))
    .await
    .expect("a new caller connects");
    common::start_session(&mut fresh, OFFER).await;

    // Closing the idle ones gives their slots back.
    drop(idle);
    let given_back = eventually_async(Duration::from_secs(5), || async move {
        metric(
            &get(metrics, "/metrics").await.1,
            "media_gateway_connections_open ",
        ) == Some(3)
    })
    .await;
    assert!(given_back, "the two clients and this GET are left");
    let mut again = connect_from_elsewhere(grpc).await.expect("TCP connect");
    assert!(
        !closed_by_server(&mut again, Duration::from_millis(300)).await,
        "127.0.0.2 is admitted again"
    );
}

#[tokio::test]
async fn a_slow_metrics_client_is_closed_after_the_header_timeout() {
    use tokio::io::AsyncWriteExt;
    let peer = crate::support::peer::Peer::with_handler(
        "server-1",
        common::hello_world(Script::default()),
    )
    .await;
    let mut config = common::config(vec![peer.uri()]);
    config.header_read_timeout = Duration::from_millis(500);
    let gw = common::gateway_with_metrics(config).await;
    let metrics = gw.gateway.metrics_addr().expect("metrics");
    let mut slow = tokio::net::TcpStream::connect(metrics).await.unwrap();
    slow.write_all(b"GET /metr").await.unwrap();
    let started = std::time::Instant::now();
    assert!(closed_by_server(&mut slow, Duration::from_secs(5)).await);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(get(metrics, "/healthz").await.0, 200);
}
