//! A message above the configured limit closes the connection with 1009; binary frames with 1003.

use crate::common;

use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

async fn close_code(ws: &mut common::Ws) -> anyhow::Result<CloseCode> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("closed without a close frame"))??;
        if let Message::Close(Some(f)) = msg {
            return Ok(f.code);
        }
    }
}

#[tokio::test]
async fn oversized_frames_are_refused() -> anyhow::Result<()> {
    let config = media_server::Config {
        max_frame_bytes: 1024,
        ..Default::default()
    };
    let server = common::start(config).await?;
    let mut ws = common::connect(&server.url()).await?;
    let big = format!(
        r#"{{"jsonrpc":"2.0","method":"ping","params":{{"pad":"{}"}},"id":1}}"#,
        "x".repeat(2000)
    );
    ws.send(Message::text(big)).await?;
    assert_eq!(close_code(&mut ws).await?, CloseCode::Size);
    drop(ws);

    let mut ws = common::connect(&server.url()).await?;
    ws.send(Message::binary(b"{}".to_vec())).await?;
    assert_eq!(close_code(&mut ws).await?, CloseCode::Unsupported);
    drop(ws);
    server.shutdown().await?;
    Ok(())
}
