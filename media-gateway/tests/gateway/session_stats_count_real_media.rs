//! GetSessionStats on the embedded media server while a real str0m peer sends audio and video through
//! a loopback session: every kind and direction is reported, with packets, bytes, a bitrate and the
//! codec, and the counters grow between two calls.

use crate::common;
use media_probe::{EchoCheckConfig, Peer, PeerConfig};
use media_proto::v1::session_event::Event;
use media_proto::v1::{FlowDirection, GetSessionStatsRequest, MediaKind, MediaStats, StopRequest};
use std::time::Duration;
use tokio_stream::StreamExt;

fn find(all: &[MediaStats], kind: MediaKind, direction: FlowDirection) -> Option<&MediaStats> {
    all.iter()
        .find(|s| s.kind == kind as i32 && s.direction == direction as i32)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_media_server_counts_both_directions() {
    let mut gw = common::gateway(common::config(Vec::new())).await;
    let (peer, offer) = Peer::start(PeerConfig::default()).await.expect("peer");
    let r = common::start_when_up(&mut gw.client, &offer).await;
    let id = r.session_id;
    peer.set_answer(&r.sdp_answer).await.expect("answer");
    for c in peer.local_candidates() {
        gw.client
            .add_ice_candidate(media_proto::v1::AddIceCandidateRequest {
                session_id: id.clone(),
                candidate: Some(media_proto::v1::IceCandidate {
                    candidate: c.candidate.clone(),
                    sdp_mid: c.sdp_mid.clone(),
                    sdp_m_line_index: c.sdp_m_line_index,
                }),
            })
            .await
            .expect("AddIceCandidate");
    }
    let mut events = common::open_stream(&mut gw.client, &id).await;
    loop {
        let item = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("events in time");
        match item.expect("stream open").expect("no error").event {
            Some(Event::Candidate(c)) => peer
                .add_remote_candidate(&c.candidate, &c.sdp_mid, c.sdp_m_line_index)
                .await
                .expect("remote candidate"),
            Some(Event::GatheringDone(_)) => break,
            Some(Event::Ended(e)) => panic!("ended early: {e:?}"),
            _ => {}
        }
    }

    let config = EchoCheckConfig {
        duration: Duration::from_secs(4),
        ..EchoCheckConfig::default()
    };
    let mut client = gw.client.clone();
    let request = || GetSessionStatsRequest {
        session_id: id.clone(),
    };
    let sample = async {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let first = client.get_session_stats(request()).await?.into_inner();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let second = client.get_session_stats(request()).await?.into_inner();
        Ok::<_, tonic::Status>((first.streams, second.streams))
    };
    let (report, samples) = tokio::join!(peer.echo_check(config), sample);
    let report = report.expect("echo check");
    let (first, second) = samples.expect("GetSessionStats");
    assert!(report.is_intact(0.9), "{report:?}");
    for kind in [MediaKind::Audio, MediaKind::Video] {
        for direction in [FlowDirection::In, FlowDirection::Out] {
            let what = format!("{kind:?} {direction:?}");
            let a = find(&first, kind, direction).unwrap_or_else(|| panic!("{what}: {first:?}"));
            let b = find(&second, kind, direction).unwrap_or_else(|| panic!("{what}: {second:?}"));
            eprintln!("{what}: {b:?}");
            assert!(a.packets > 0 && a.bytes > 0, "{what}: {a:?}");
            assert!(b.packets > a.packets, "{what}: {a:?} then {b:?}");
            assert!(b.bitrate_bps > 0, "{what}: {b:?}");
            let top = if kind == MediaKind::Audio {
                "audio/"
            } else {
                "video/"
            };
            assert!(b.codec.starts_with(top), "{what}: {b:?}");
        }
    }
    gw.client
        .stop(StopRequest { session_id: id })
        .await
        .expect("Stop");
    gw.shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), gw.gateway.join()).await;
}
