//! A sink endpoint whose source changes (`disconnect` from one publisher's endpoint, `connect` from
//! another's) carries on the same outgoing streams: its peer keeps receiving, and sees no gap in the
//! sequence numbers where the source changed, as if one sender had sent it all. Media is forwarded
//! packet by packet, so without renumbering the new source's own numbers (random, per RFC 3550)
//! would reach the peer as a jump or as packets it takes for old ones. The same holds when the source's
//! own peer starts a new stream (a new SSRC, numbered anew) on the same m-line.

use std::time::Duration;

use media_server::engine::{Endpoint, Engine};
use test_support::echo_peer::EchoPeer;
use test_support::publisher::Publisher;

use crate::engine_support::{engine, gathered};

/// A new endpoint that has answered `offer` and taken the peer's `candidate`: the endpoint, its answer
/// and its own candidates.
async fn answering(
    engine: &Engine,
    offer: &str,
    candidate: &str,
) -> anyhow::Result<(Endpoint, String, Vec<String>)> {
    let (tx, mut rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    let answer = endpoint.process_offer(offer).await?;
    endpoint.gather_candidates().await?;
    let ours = gathered(&mut rx).await?.into_iter().map(|c| c.0).collect();
    endpoint.add_ice_candidate(candidate, Some("0"), 0).await?;
    Ok((endpoint, answer, ours))
}

/// A publisher on its own endpoint.
async fn publishing(engine: &Engine) -> anyhow::Result<(Endpoint, Publisher)> {
    let mut publisher = Publisher::offer().await?;
    let (endpoint, answer, ours) = answering(engine, &publisher.sdp, &publisher.candidate).await?;
    publisher.start(&answer, &ours)?;
    Ok((endpoint, publisher))
}

/// Waits until `receiver` has had `more` frames beyond `from`.
async fn frames_past(receiver: &EchoPeer, from: u64, more: u64) -> anyhow::Result<u64> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while receiver.echoed() < from + more {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the receiver got {} frames, waiting for {}",
            receiver.echoed(),
            from + more
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(receiver.echoed())
}

#[tokio::test]
async fn a_new_source_continues_the_sinks_streams_without_a_gap() -> anyhow::Result<()> {
    let engine = engine();
    let (first, first_publisher) = publishing(&engine).await?;
    let (second, second_publisher) = publishing(&engine).await?;

    let mut receiver = EchoPeer::offer().await?;
    let (sink, answer, ours) = answering(&engine, &receiver.sdp, &receiver.candidate).await?;
    receiver.start(&answer, &ours)?;

    first.connect(&sink).await?;
    let before = frames_past(&receiver, 0, 50).await?;
    let gaps_before = receiver.gaps();

    first.disconnect(&sink).await?;
    second.connect(&sink).await?;
    let after = frames_past(&receiver, before, 50).await?;

    assert!(second_publisher.sent() > 0 && first_publisher.sent() > 0);
    assert_eq!(
        receiver.gaps(),
        gaps_before,
        "the receiver saw a gap where the source changed ({before} frames before, {after} after)"
    );
    assert_eq!(engine.stats().media_dropped, 0, "{:?}", engine.stats());

    drop((receiver, first_publisher, second_publisher));
    for endpoint in [first, second, sink] {
        endpoint.release().await;
    }
    assert_eq!(engine.stats().udp_sockets, 0);
    Ok(())
}

#[tokio::test]
async fn a_source_that_changes_its_ssrc_continues_the_sinks_streams() -> anyhow::Result<()> {
    let engine = engine();
    let (source, publisher) = publishing(&engine).await?;
    let mut receiver = EchoPeer::offer().await?;
    let (sink, answer, ours) = answering(&engine, &receiver.sdp, &receiver.candidate).await?;
    receiver.start(&answer, &ours)?;

    source.connect(&sink).await?;
    let before = frames_past(&receiver, 0, 50).await?;
    let gaps_before = receiver.gaps();
    publisher.change_ssrcs();
    let after = frames_past(&receiver, before, 50).await?;

    assert_eq!(
        receiver.gaps(),
        gaps_before,
        "the receiver saw a gap where the source's SSRC changed ({before} frames before, {after} after)"
    );
    assert_eq!(engine.stats().media_dropped, 0, "{:?}", engine.stats());

    drop((receiver, publisher));
    for endpoint in [source, sink] {
        endpoint.release().await;
    }
    assert_eq!(engine.stats().udp_sockets, 0);
    Ok(())
}
