//! KMS link: when the media server restarts (40007 on resume, or a new serverId), every registered sink
//! gets RpcSessionLost{restarted: true}, and the link starts a fresh session instead of reusing stale objects.

use crate::common;

use crate::support::eventually;
use crate::support::peer::{Ctx, Peer, result};
use kurento::Method;
use media_gateway::kms::{KmsLink, LinkConfig, LinkNotice};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

async fn expect_lost(rx: &mut mpsc::Receiver<LinkNotice>) -> String {
    match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
        Ok(Some(LinkNotice::RpcSessionLost {
            restarted: true,
            message,
        })) => message,
        other => panic!("expected RpcSessionLost{{restarted: true}}, got {other:?}"),
    }
}

#[tokio::test]
async fn restart_with_invalid_session_notifies_every_sink() -> anyhow::Result<()> {
    let peer = Peer::start("server-a").await;
    let port = peer.port();
    let link = KmsLink::spawn(peer.uri(), LinkConfig::default(), CancellationToken::new());
    link.call(Method::invoke("manager_ServerManager", "getInfo", None))
        .await?;
    let (a_tx, mut a_rx) = mpsc::channel(1);
    let (b_tx, mut b_rx) = mpsc::channel(1);
    let _a = link.register("P".into(), a_tx.clone());
    let _a2 = link.register("P/E".into(), a_tx.clone());
    let _b = link.register("Q".into(), b_tx.clone());
    // A full sink still gets the notice: it is never dropped.
    b_tx.try_send(LinkNotice::RpcSessionLost {
        restarted: false,
        message: "filler".into(),
    })?;

    peer.kill().await;
    let peer = Peer::start_on(port, "server-b", None).await;
    let message = expect_lost(&mut a_rx).await;
    assert!(message.contains("no longer knows"), "{message}");
    assert!(matches!(
        b_rx.recv().await,
        Some(LinkNotice::RpcSessionLost {
            restarted: false,
            ..
        })
    ));
    expect_lost(&mut b_rx).await;
    // Once per channel, although a_tx was registered for two objects. An absence, so a short sleep
    // gives a duplicate the time to show.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(a_rx.try_recv().is_err());

    // A fresh session on the new server: describe again, and calls carry the new session id.
    assert!(eventually(Duration::from_secs(3), || link.server_info().is_some()).await);
    link.call(Method::invoke("manager_ServerManager", "getCpuCount", None))
        .await?;
    let describe = &peer.requests("describe")[0];
    assert!(describe["params"].get("sessionId").is_none());
    let fresh = peer.requests("invoke").last().expect("invoke")["params"]["sessionId"].clone();
    assert!(
        fresh.as_str().is_some_and(|s| s.ends_with("server-b")),
        "{fresh}"
    );
    peer.kill().await;
    Ok(())
}

#[tokio::test]
async fn new_server_id_on_resume_means_the_objects_are_gone() -> anyhow::Result<()> {
    let peer = Peer::start("server-a").await;
    let port = peer.port();
    let link = KmsLink::spawn(peer.uri(), LinkConfig::default(), CancellationToken::new());
    link.call(Method::invoke("manager_ServerManager", "getInfo", None))
        .await?;
    let (tx, mut rx) = mpsc::channel(4);
    let _guard = link.register("P".into(), tx);
    // A first resume teaches the link the serverId.
    peer.drop_connections();
    assert!(common::resumed(&peer).await);
    link.call(Method::invoke("manager_ServerManager", "getInfo", None))
        .await?;
    peer.kill().await;

    // A server that accepts any session but is a different process (a different serverId).
    let accept_any = Arc::new(|req: &Value, ctx: &Ctx| {
        (req["method"] == "connect").then(|| {
            result(req, serde_json::json!({"serverId": ctx.server_id, "sessionId": req["params"]["sessionId"]}))
        })
    });
    let peer = Peer::start_on(port, "server-b", Some(accept_any)).await;
    let message = expect_lost(&mut rx).await;
    assert!(
        message.contains("restarted") && message.contains("server-b"),
        "{message}"
    );
    assert!(
        eventually(Duration::from_secs(3), || peer.requests("describe").len()
            == 1)
        .await
    );
    peer.kill().await;
    Ok(())
}
