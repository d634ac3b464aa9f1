//! One open Kurento WebSocket: text frames in, answers and events out, one request at a time (as KMS).
//! Events come from the connection's outbox, which serves its pipelines round-robin.

use crate::clock::now_ms;
use crate::rpc::Core;
use crate::rpc::state::ConnId;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

type Ws = WebSocketStream<TcpStream>;

/// How long we wait for the peer to answer our close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Forgets the connection in the core however the task ends (return, error, or being dropped).
struct Registration {
    core: Arc<Core>,
    conn: ConnId,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.core.close_connection(self.conn);
    }
}

pub(super) async fn run(core: Arc<Core>, conn: ConnId, mut ws: Ws, shutdown: CancellationToken) {
    let events = core.open_connection(conn);
    let _registration = Registration {
        core: Arc::clone(&core),
        conn,
    };
    let close = loop {
        tokio::select! {
            _ = shutdown.cancelled() => break Some((CloseCode::Away, "Server shutting down")),
            frame = events.next() => {
                if let Err(e) = ws.send(Message::text(frame)).await {
                    tracing::debug!(conn, "send failed: {e}");
                    break None;
                }
            }
            incoming = ws.next() => match incoming {
                None => break None,
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = core.handle_text(conn, text.as_str(), now_ms()).await
                        && let Err(e) = ws.send(Message::text(reply)).await
                    {
                        tracing::debug!(conn, "send failed: {e}");
                        break None;
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    break Some((CloseCode::Unsupported, "Only text frames are accepted"));
                }
                // tungstenite answers pings and close frames by itself.
                Some(Ok(_)) => {}
                Some(Err(WsError::Capacity(e))) => {
                    tracing::info!(conn, "frame refused: {e}");
                    break Some((CloseCode::Size, "Message too big"));
                }
                Some(Err(e)) => {
                    tracing::debug!(conn, "connection error: {e}");
                    break None;
                }
            },
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if ws.close(Some(frame)).await.is_ok() {
            drain(&mut ws).await;
        }
    }
}

/// Reads until the peer acknowledges our close (or a short grace period passes).
pub(super) async fn drain(ws: &mut Ws) {
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}
