//! An endpoint connected to itself sends its peer's audio and video back byte for byte, and reports
//! the connection and media flow like KMS; a keyframe request reaches the peer.

use std::time::Duration;

use crate::engine_support::{engine, negotiate_probe, wait_for};
use media_probe::EchoCheckConfig;
use media_server::engine::{EndpointEvent, IceComponentState, MediaType};

#[tokio::test]
async fn loopback_echoes_media_and_reports_state() -> anyhow::Result<()> {
    let engine = engine();
    let (tx, mut rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    endpoint.connect(&endpoint).await?;
    let peer = negotiate_probe(&endpoint, &mut rx).await?;

    let config = EchoCheckConfig {
        duration: Duration::from_secs(2),
        ..EchoCheckConfig::default()
    };
    // Ask for a keyframe while the check runs, once video flows back to the peer (the endpoint says so).
    let ask = async {
        let (_, seen) = wait_for(&mut rx, Duration::from_secs(10), |e| {
            matches!(
                e,
                EndpointEvent::MediaFlowOutStateChanged {
                    kind: MediaType::Video,
                    flowing: true
                }
            )
            .then_some(())
        })
        .await?;
        endpoint.request_keyframe().await?;
        anyhow::Ok(seen)
    };
    let (report, seen) = tokio::join!(peer.echo_check(config), ask);
    let (report, seen) = (report?, seen?);

    assert_eq!(report.mismatches, 0, "{:?}", report.mismatch_examples);
    assert!(report.is_intact(0.9), "{report:?}");
    assert!(
        report.keyframe_requests > 0,
        "requestKeyframe reached the peer: {report:?}"
    );

    let all: Vec<EndpointEvent> = seen
        .into_iter()
        .chain(std::iter::from_fn(|| rx.try_recv().ok()))
        .collect();
    let has = |want: &EndpointEvent| all.contains(want);
    assert!(
        has(&EndpointEvent::ConnectionStateChanged { connected: true }),
        "{all:?}"
    );
    assert!(
        has(&EndpointEvent::MediaStateChanged { connected: true }),
        "{all:?}"
    );
    assert!(
        has(&EndpointEvent::MediaFlowInStateChanged {
            kind: MediaType::Audio,
            flowing: true
        }),
        "{all:?}"
    );
    assert!(
        has(&EndpointEvent::MediaFlowInStateChanged {
            kind: MediaType::Video,
            flowing: true
        }),
        "{all:?}"
    );
    assert!(has(&EndpointEvent::IceComponentStateChanged {
        state: IceComponentState::Ready,
        stream_id: 1,
        component_id: 1
    }));
    assert!(
        all.iter()
            .any(|e| matches!(e, EndpointEvent::NewCandidatePairSelected { .. })),
        "{all:?}"
    );

    let stats = engine.stats();
    assert!(stats.packets_in > 0 && stats.packets_out > 0, "{stats:?}");
    assert_eq!(stats.events_dropped, 0);
    drop(peer);
    endpoint.release().await;
    assert_eq!(engine.stats().udp_sockets, 0);
    Ok(())
}
