//! KMS link: a call in flight when the connection breaks fails at once with Lost (not after its timeout),
//! and the link recovers.

mod support;

use kurento::Method;
use media_gateway::kms::{KmsError, KmsLink, LinkConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::peer::{Peer, Reply};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn in_flight_call_fails_with_lost_when_the_link_drops() -> anyhow::Result<()> {
    let handler = Arc::new(|req: &serde_json::Value, _: &support::peer::Ctx| {
        (req["params"]["operation"] == "processOffer").then_some(Reply::Drop)
    });
    let peer = Peer::with_handler("server-a", handler).await;
    let link = KmsLink::spawn(peer.uri(), LinkConfig::default(), CancellationToken::new());
    link.call(Method::invoke("manager_ServerManager", "getInfo", None))
        .await?;

    let started = Instant::now();
    let offer = Method::invoke(
        "E",
        "processOffer",
        Some(serde_json::json!({"offer": "v=0"})),
    );
    let err = link.call(offer).await.unwrap_err();
    assert!(
        matches!(&err, KmsError::Lost { uri } if *uri == peer.uri()),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );

    // Reconnected and resumed: calls work again.
    let start = Instant::now();
    loop {
        match link
            .call(Method::invoke("E", "gatherCandidates", None))
            .await
        {
            Ok(_) => break,
            Err(e) if start.elapsed() < Duration::from_secs(3) => {
                tracing::debug!("not yet: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("link did not recover: {e}"),
        }
    }
    assert_eq!(peer.requests("connect").len(), 1);
    peer.kill().await;
    Ok(())
}
