//! KMS link: when the media server cannot be reached, calls fail fast (within the 2 s promise) with Unavailable
//! naming the URI, whether the port is closed or the server accepts TCP and never answers.

use crate::support;

use kurento::Method;
use media_gateway::kms::{KmsError, KmsLink, LinkConfig, LinkState};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

async fn assert_fails_fast(link: &KmsLink, uri: &str) {
    // The contract: calls fail within the gateway's 2 s promise (LinkConfig's connect_timeout and
    // call_wait, 1 s each by default, are sized for it).
    let call = link.call(Method::invoke("manager_ServerManager", "getInfo", None));
    let err = support::within(
        "a call to an unreachable media server",
        Duration::from_secs(2),
        call,
    )
    .await
    .unwrap_err();
    match &err {
        KmsError::Unavailable { uri: u, .. } => assert_eq!(u, uri),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(err.to_string().contains(uri), "{err}");
}

#[tokio::test]
async fn closed_port_fails_fast_naming_the_uri() {
    let uri = format!("ws://127.0.0.1:{}/kurento", support::closed_port());
    let link = KmsLink::spawn(uri.clone(), LinkConfig::default(), CancellationToken::new());
    assert_fails_fast(&link, &uri).await;
    assert!(link.server_info().is_none());
    // Still failing fast on later attempts, while the link keeps retrying: wait for a retry (the link's
    // state moves) instead of sleeping.
    let mut state = link.state();
    state.mark_unchanged();
    support::within("a retry", Duration::from_secs(5), state.changed())
        .await
        .expect("the link is alive");
    assert!(matches!(
        *link.state().borrow(),
        LinkState::Down { .. } | LinkState::Connecting
    ));
    assert_fails_fast(&link, &uri).await;
}

#[tokio::test]
async fn silent_server_fails_fast_naming_the_uri() -> anyhow::Result<()> {
    // Accepts TCP connections and never completes the WebSocket upgrade.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let uri = format!("ws://{}/kurento", listener.local_addr()?);
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let link = KmsLink::spawn(uri.clone(), LinkConfig::default(), CancellationToken::new());
    assert_fails_fast(&link, &uri).await;
    hold.abort();
    Ok(())
}
