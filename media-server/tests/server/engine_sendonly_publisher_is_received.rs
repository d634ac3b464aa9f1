//! A sendonly publisher (a str0m peer offering audio and video `a=sendonly`) on an endpoint connected
//! to itself, as the gateway wires every session: the answer is recvonly, its media arrives and is
//! reported FLOWING in, and the endpoint sends nothing back (no flow out, nothing counted as dropped).

use std::time::Duration;

use crate::engine_support::{engine, gathered, wait_for};
use media_server::engine::{EndpointEvent, MediaType};
use test_support::media_directions;
use test_support::publisher::Publisher;

#[tokio::test]
async fn sendonly_publisher_media_flows_in() -> anyhow::Result<()> {
    let engine = engine();
    let (tx, mut rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    endpoint.connect(&endpoint).await?;

    let mut publisher = Publisher::offer().await?;
    assert_eq!(media_directions(&publisher.sdp), ["sendonly", "sendonly"]);
    let answer = endpoint.process_offer(&publisher.sdp).await?;
    assert_eq!(
        media_directions(&answer),
        ["recvonly", "recvonly"],
        "{answer}"
    );
    endpoint.gather_candidates().await?;
    let ours: Vec<String> = gathered(&mut rx).await?.into_iter().map(|c| c.0).collect();
    endpoint
        .add_ice_candidate(&publisher.candidate, Some("0"), 0)
        .await?;
    publisher.start(&answer, &ours)?;

    let mut seen = Vec::new();
    for kind in [MediaType::Audio, MediaType::Video] {
        let want = EndpointEvent::MediaFlowInStateChanged {
            kind,
            flowing: true,
        };
        if seen.contains(&want) {
            continue;
        }
        let (_, before) = wait_for(&mut rx, Duration::from_secs(10), |e| {
            (*e == want).then_some(())
        })
        .await?;
        seen.extend(before);
        seen.push(want);
    }
    // Let media run a while, to see that nothing goes back and nothing breaks.
    tokio::time::sleep(Duration::from_secs(1)).await;
    seen.extend(std::iter::from_fn(|| rx.try_recv().ok()));

    let sent = publisher.sent();
    let stats = engine.stats();
    assert!(sent > 50, "the publisher sent {sent} frames");
    // Every synthetic frame fits one RTP packet; the rest of packets_in is STUN, DTLS and RTCP.
    assert!(
        stats.packets_in >= sent * 8 / 10,
        "the endpoint received {} datagrams for {sent} frames: {stats:?}",
        stats.packets_in
    );
    assert!(
        seen.contains(&EndpointEvent::MediaStateChanged { connected: true }),
        "{seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, EndpointEvent::MediaFlowOutStateChanged { .. })),
        "nothing flows out to a sendonly peer: {seen:?}"
    );
    assert_eq!(publisher.received(), 0, "the publisher got media back");
    assert_eq!(stats.media_dropped, 0, "{stats:?}");
    assert_eq!(stats.events_dropped, 0, "{stats:?}");

    drop(publisher);
    endpoint.release().await;
    assert_eq!(engine.stats().udp_sockets, 0);
    Ok(())
}
