//! KMS link: when the media server cannot be reached, calls fail fast (well under 2 s) with Unavailable
//! naming the URI, whether the port is closed or the server accepts TCP and never answers.

mod support;

use kurento::Method;
use media_gateway::kms::{KmsError, KmsLink, LinkConfig, LinkState};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

async fn assert_fails_fast(link: &KmsLink, uri: &str) {
    let started = Instant::now();
    let err = link
        .call(Method::invoke("manager_ServerManager", "getInfo", None))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1500), "took {took:?}");
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
    // Still failing fast on later attempts, while the link keeps retrying.
    tokio::time::sleep(Duration::from_millis(300)).await;
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
