//! KMS link: pings go out every ping_interval; a ping left unanswered drops the connection, which the
//! link then re-establishes.

use crate::common;
use crate::support;

use crate::support::eventually;
use crate::support::peer::{Peer, Reply};
use kurento::Method;
use media_gateway::kms::{KmsLink, LinkConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn pings_are_sent_every_interval() -> anyhow::Result<()> {
    let peer = Peer::start("server-a").await;
    let config = LinkConfig {
        ping_interval: Duration::from_millis(100),
        ..LinkConfig::default()
    };
    let link = KmsLink::spawn(peer.uri(), config, CancellationToken::new());
    link.call(Method::invoke("manager_ServerManager", "getInfo", None))
        .await?;
    assert!(eventually(Duration::from_secs(3), || peer.requests("ping").len() >= 5).await);
    let pings = peer.requests("ping");
    assert_eq!(pings[0]["params"]["interval"], 100);
    assert!(pings[1..].iter().all(|p| p.get("params").is_none()));
    assert_eq!(
        peer.connections(),
        1,
        "answered pings keep the one connection"
    );
    peer.kill().await;
    Ok(())
}

#[tokio::test]
async fn unanswered_ping_drops_and_reestablishes_the_connection() -> anyhow::Result<()> {
    let mute = Arc::new(AtomicBool::new(false));
    let m = mute.clone();
    let handler = Arc::new(move |req: &serde_json::Value, _: &support::peer::Ctx| {
        (req["method"] == "ping" && m.load(Ordering::SeqCst)).then_some(Reply::Silent)
    });
    let peer = Peer::with_handler("server-a", handler).await;
    let config = LinkConfig {
        ping_interval: Duration::from_millis(100),
        ping_timeout: Duration::from_millis(200),
        ..LinkConfig::default()
    };
    let link = KmsLink::spawn(peer.uri(), config, CancellationToken::new());
    link.call(Method::invoke("manager_ServerManager", "getInfo", None))
        .await?;
    mute.store(true, Ordering::SeqCst);
    assert!(eventually(Duration::from_secs(3), || peer.connections() >= 2).await);
    mute.store(false, Ordering::SeqCst);
    assert!(common::resumed(&peer).await);
    peer.kill().await;
    Ok(())
}
