//! KMS link: frames over max_frame_bytes are refused both ways: a call too large fails without being
//! sent, and an oversized frame from the server drops the connection (which then resumes).

use crate::common;

use crate::support::peer::Peer;
use kurento::Method;
use media_gateway::kms::{KmsError, KmsLink, LinkConfig};
use serde_json::json;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn oversized_frames_are_refused() -> anyhow::Result<()> {
    let peer = Peer::start("server-a").await;
    let config = LinkConfig {
        max_frame_bytes: 16 * 1024,
        ..LinkConfig::default()
    };
    let link = KmsLink::spawn(peer.uri(), config, CancellationToken::new());
    link.call(Method::invoke("manager_ServerManager", "getInfo", None))
        .await?;

    let big = "a".repeat(32 * 1024);
    let err = link
        .call(Method::invoke(
            "E",
            "processOffer",
            Some(json!({"offer": big})),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, KmsError::Rpc(e) if e.code == -32600 && e.message.contains("max_frame_bytes")),
        "{err:?}"
    );
    assert!(
        peer.requests("invoke")
            .iter()
            .all(|f| f["params"]["operation"] != "processOffer")
    );

    let event = json!({"jsonrpc":"2.0","method":"onEvent","params":{"value":{"object":"E","type":"X","data":{"pad":big}}}});
    peer.push(event.to_string());
    assert!(common::resumed(&peer).await);
    assert_eq!(peer.connections(), 2);
    link.call(Method::invoke("E", "gatherCandidates", None))
        .await?;
    peer.kill().await;
    Ok(())
}
