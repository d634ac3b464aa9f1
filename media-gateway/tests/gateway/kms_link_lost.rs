//! KMS link: a call in flight when the connection breaks fails at once with Lost (not after its timeout),
//! and the link recovers.

use crate::support;

use crate::support::peer::{Peer, Reply};
use crate::support::{eventually_async, within};
use kurento::Method;
use media_gateway::kms::{KmsError, KmsLink, LinkConfig};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn in_flight_call_fails_with_lost_when_the_link_drops() -> anyhow::Result<()> {
    let handler = Arc::new(|req: &serde_json::Value, _: &support::peer::Ctx| {
        (req["params"]["operation"] == "processOffer").then_some(Reply::Drop)
    });
    let peer = Peer::with_handler("server-a", handler).await;
    let config = LinkConfig::default();
    let request_timeout = config.request_timeout;
    let link = KmsLink::spawn(peer.uri(), config, CancellationToken::new());
    link.call(Method::invoke("manager_ServerManager", "getInfo", None))
        .await?;

    let offer = Method::invoke(
        "E",
        "processOffer",
        Some(serde_json::json!({"offer": "v=0"})),
    );
    // The contract: the call fails when the connection drops, well before its own timeout (10 s).
    let err = within("the call in flight", request_timeout / 2, link.call(offer))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, KmsError::Lost { uri } if *uri == peer.uri()),
        "{err:?}"
    );

    // Reconnected and resumed: calls work again.
    let link = &link;
    let recovered = eventually_async(Duration::from_secs(3), || async move {
        match link
            .call(Method::invoke("E", "gatherCandidates", None))
            .await
        {
            Ok(_) => true,
            Err(e) => {
                tracing::debug!("not yet: {e}");
                false
            }
        }
    })
    .await;
    assert!(recovered, "link did not recover");
    assert_eq!(peer.requests("connect").len(), 1);
    peer.kill().await;
    Ok(())
}
