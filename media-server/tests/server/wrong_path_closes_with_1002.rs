//! A WebSocket on any path but /kurento is upgraded, then closed at once with 1002 "Invalid path" (as KMS);
//! the query string is ignored.

use crate::common;

use futures_util::StreamExt;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn wrong_path_closes_with_1002() -> anyhow::Result<()> {
    let server = common::start(media_server::Config::default()).await?;
    let base = format!("ws://{}", server.local_addr());
    let mut ws = common::connect(&format!("{base}/other")).await?;
    let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no close frame"))??;
    let Message::Close(Some(frame)) = msg else {
        anyhow::bail!("expected a close frame, got {msg:?}");
    };
    assert_eq!(frame.code, CloseCode::Protocol);
    assert_eq!(frame.reason.as_str(), "Invalid path");

    // The right path with a query string (kurento-client-js's access_token) works.
    let mut ok = common::connect(&format!("{base}/kurento?access_token=x")).await?;
    let pong = common::call(
        &mut ok,
        serde_json::json!({"jsonrpc":"2.0","method":"ping","id":1}),
    )
    .await?;
    assert_eq!(pong["result"]["value"], "pong");
    server.shutdown().await?;
    Ok(())
}
