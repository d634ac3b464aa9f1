//! KMS link: events reach the sink registered for exactly their object, and stop when the guard drops.

use crate::common;

use crate::support::peer::Peer;
use kurento::{EventData, Method};
use media_gateway::kms::{KmsLink, LinkConfig, LinkNotice};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn events_go_to_the_registered_sink_only() -> anyhow::Result<()> {
    let peer = Peer::start("server-a").await;
    let link = KmsLink::spawn(peer.uri(), LinkConfig::default(), CancellationToken::new());
    let create = common::create("MediaPipeline");
    link.call(create).await?;

    let (tx, mut rx) = mpsc::channel(8);
    let guard = link.register("E".into(), tx.clone());
    let (other_tx, mut other_rx) = mpsc::channel(8);
    let _other = link.register("E/child".into(), other_tx);

    peer.emit("X", "IceGatheringDone");
    peer.emit("E", "IceGatheringDone");
    let got = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await?
        .expect("sink open");
    match got {
        LinkNotice::Event(e) => {
            assert_eq!(e.object, "E");
            assert_eq!(e.data, EventData::IceGatheringDone);
        }
        other => panic!("expected an event, got {other:?}"),
    }
    // Exact ids only: the child's sink saw nothing, and nothing else came for E. The link delivers events
    // in frame order, so once a later event reached its own sink, nothing earlier is still on its way.
    let (marker_tx, mut marker_rx) = mpsc::channel(8);
    let _marker = link.register("M".into(), marker_tx);
    peer.emit("M", "IceGatheringDone");
    tokio::time::timeout(Duration::from_secs(2), marker_rx.recv())
        .await?
        .expect("marker sink open");
    assert!(rx.try_recv().is_err());
    assert!(other_rx.try_recv().is_err());

    drop(guard);
    peer.emit("E", "IceGatheringDone");
    peer.emit("E/child", "IceGatheringDone");
    let child = tokio::time::timeout(Duration::from_secs(2), other_rx.recv())
        .await?
        .expect("open");
    assert!(matches!(child, LinkNotice::Event(e) if e.object == "E/child"));
    assert!(
        rx.try_recv().is_err(),
        "unregistered sink still got an event"
    );
    peer.kill().await;
    Ok(())
}

#[tokio::test]
async fn a_full_sink_does_not_stall_the_link() -> anyhow::Result<()> {
    let peer = Peer::start("server-a").await;
    let link = KmsLink::spawn(peer.uri(), LinkConfig::default(), CancellationToken::new());
    let (tx, mut rx) = mpsc::channel(1);
    let _guard = link.register("E".into(), tx);
    link.call(Method::invoke("E", "gatherCandidates", None))
        .await?;
    for _ in 0..20 {
        peer.emit("E", "IceGatheringDone");
    }
    // Nobody reads the sink, yet calls keep flowing.
    for _ in 0..5 {
        link.call(Method::invoke("E", "gatherCandidates", None))
            .await?;
    }
    assert!(matches!(rx.recv().await, Some(LinkNotice::Event(_))));
    peer.kill().await;
    Ok(())
}
