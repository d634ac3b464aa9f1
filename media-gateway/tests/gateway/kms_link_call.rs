//! KMS link: a call gets its response's value; the start-up handshake is the kurento-client-js one; errors
//! come back typed; after shutdown calls fail with ShuttingDown.

use crate::support;

use crate::common::create;
use crate::support::peer::{Peer, error};
use crate::support::within;
use kurento::{ErrorCode, Method};
use media_gateway::kms::{KmsError, KmsLink, LinkConfig, LinkState};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn call_returns_the_value_and_errors_are_typed() -> anyhow::Result<()> {
    let handler = Arc::new(|req: &serde_json::Value, _: &support::peer::Ctx| {
        (req["params"]["object"] == "missing").then(|| {
            error(
                req,
                40101,
                "MEDIA_OBJECT_NOT_FOUND",
                "Object 'missing' not found",
            )
        })
    });
    let peer = Peer::with_handler("server-a", handler).await;
    let shutdown = CancellationToken::new();
    let link = KmsLink::spawn(peer.uri(), LinkConfig::default(), shutdown.clone());
    assert_eq!(link.uri(), peer.uri());

    let pipeline = link.call(create("MediaPipeline")).await?;
    assert!(
        pipeline
            .as_str()
            .is_some_and(|p| p.ends_with("_kurento.MediaPipeline")),
        "{pipeline}"
    );
    assert_eq!(*link.state().borrow(), LinkState::Up);
    let info = link.server_info().expect("server info once up");
    assert!(info.has_capability("transactions"));

    // The handshake, then the call in the session the handshake made.
    let frames = peer.received();
    let methods: Vec<_> = frames
        .iter()
        .map(|f| f["method"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(methods, ["ping", "describe", "invoke", "create"]);
    assert_eq!(frames[0]["params"], json!({"interval": 10000}));
    assert_eq!(
        frames[1]["params"],
        json!({"object": "manager_ServerManager"})
    );
    assert_eq!(frames[2]["params"]["operation"], "getInfo");
    let session = frames[2]["params"]["sessionId"].clone();
    assert!(session.is_string());
    assert_eq!(frames[3]["params"]["sessionId"], session);

    let err = link
        .call(Method::invoke("missing", "getName", None))
        .await
        .unwrap_err();
    match err {
        KmsError::Rpc(e) => assert!(e.is(ErrorCode::MediaObjectNotFound), "{e}"),
        other => panic!("expected an Rpc error, got {other:?}"),
    }

    shutdown.cancel();
    assert!(matches!(
        link.call(create("MediaPipeline")).await,
        Err(KmsError::ShuttingDown)
    ));
    peer.kill().await;
    Ok(())
}

#[tokio::test]
async fn unanswered_call_times_out_naming_the_method() -> anyhow::Result<()> {
    let handler = Arc::new(|req: &serde_json::Value, _: &support::peer::Ctx| {
        (req["params"]["operation"] == "gatherCandidates").then_some(support::peer::Reply::Silent)
    });
    let peer = Peer::with_handler("server-a", handler).await;
    let config = LinkConfig {
        request_timeout: Duration::from_millis(300),
        ..LinkConfig::default()
    };
    let link = KmsLink::spawn(peer.uri(), config, CancellationToken::new());
    link.call(create("MediaPipeline")).await?;
    // The contract: an unanswered call fails once its request_timeout (300 ms) is up, not never; 2 s is
    // the generous deadline for that.
    let err = within(
        "the unanswered call",
        Duration::from_secs(2),
        link.call(Method::invoke("E", "gatherCandidates", None)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, KmsError::Timeout { uri, method: "invoke" } if *uri == peer.uri()),
        "{err:?}"
    );
    // The link itself is still fine.
    link.call(create("MediaPipeline")).await?;
    peer.kill().await;
    Ok(())
}
