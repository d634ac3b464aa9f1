//! WebSocket frame readers for tests that speak JSON over a real WebSocket (Kurento JSON-RPC, the
//! tutorial's browser protocol).

use std::time::Duration;

use anyhow::{Context as _, bail};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// The next text frame as JSON, skipping pings and pongs; an error on timeout, close, or another frame.
pub async fn recv_json<S>(ws: &mut WebSocketStream<S>, timeout: Duration) -> anyhow::Result<Value>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let msg = tokio::time::timeout(timeout, ws.next())
            .await
            .with_context(|| format!("no frame within {timeout:?}"))?
            .context("connection ended")??;
        match msg {
            Message::Text(t) => return Ok(serde_json::from_str(t.as_str())?),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => bail!("expected a text frame, got {other:?}"),
        }
    }
}

/// Sends one text frame.
pub async fn send_text<S>(
    ws: &mut WebSocketStream<S>,
    text: impl Into<String>,
) -> anyhow::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    ws.send(Message::text(text.into())).await?;
    Ok(())
}

/// Reads until the peer closes the connection (a close frame, an error or the end of the stream),
/// discarding whatever else arrives first.
pub async fn closed<S>(ws: &mut WebSocketStream<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    while let Some(Ok(frame)) = ws.next().await {
        if frame.is_close() {
            break;
        }
    }
}
