//! KMS link: after the connection drops, the link reconnects and resumes the same session with
//! `ping` then `connect {sessionId}`; objects keep working and request ids never repeat.

use crate::common;

use crate::support::peer::Peer;
use kurento::Method;
use media_gateway::kms::{KmsLink, LinkConfig, LinkNotice};
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn reconnect_resumes_the_same_session() -> anyhow::Result<()> {
    let peer = Peer::start("server-a").await;
    let link = KmsLink::spawn(peer.uri(), LinkConfig::default(), CancellationToken::new());
    let create = common::create("MediaPipeline");
    let pipeline = link.call(create).await?;
    let pipeline = pipeline.as_str().expect("id").to_owned();
    let (tx, mut rx) = mpsc::channel(8);
    let _guard = link.register(pipeline.clone().into(), tx);
    let session = peer.requests("create")[0]["params"]["sessionId"].clone();

    peer.drop_connections();
    assert!(common::resumed(&peer).await);
    assert_eq!(peer.connections(), 2);
    let frames = peer.received();
    let at = frames
        .iter()
        .position(|f| f["method"] == "connect")
        .expect("connect");
    assert_eq!(
        frames[at - 1]["method"],
        "ping",
        "ping comes first on the new connection"
    );
    assert_eq!(
        frames[at - 1].get("params"),
        None,
        "only the very first ping carries params"
    );
    assert_eq!(frames[at]["params"]["sessionId"], session);

    // The session (and its objects) continue: same sessionId, no new describe, events still routed.
    link.call(Method::invoke(&pipeline, "getLatencyStats", None))
        .await?;
    assert_eq!(peer.requests("describe").len(), 1);
    assert_eq!(
        peer.requests("invoke").last().expect("invoke")["params"]["sessionId"],
        session
    );
    peer.emit(&pipeline, "Error");
    let notice = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await?
        .expect("open");
    assert!(matches!(notice, LinkNotice::Event(e) if e.object == pipeline));

    let ids: Vec<String> = peer
        .received()
        .iter()
        .map(|f| f["id"].to_string())
        .collect();
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "an id was reused: {ids:?}"
    );
    peer.kill().await;
    Ok(())
}
