//! The socket side: accepting one TCP connection as a Kurento WebSocket (handshake, path check) and
//! pumping its frames through the protocol core.

mod connection;
pub(crate) mod handshake;

use crate::rpc::Core;
use crate::rpc::state::ConnId;
use handshake::{Access, Verdict};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_util::sync::CancellationToken;

/// What one connection needs from the server's configuration.
#[derive(Debug, Clone)]
pub(crate) struct SocketConfig {
    pub path: String,
    pub max_frame_bytes: usize,
    pub handshake_timeout: Duration,
    pub access: Access,
}

/// KMS's rule: strip the leading '/', ignore the query string, compare the rest.
pub(crate) fn path_matches(uri_path_and_query: &str, configured: &str) -> bool {
    let p = uri_path_and_query
        .strip_prefix('/')
        .unwrap_or(uri_path_and_query);
    let p = p.split('?').next().unwrap_or_default();
    p == configured
}

/// Serves one accepted TCP connection until it closes or `shutdown` fires.
pub(crate) async fn serve_socket(
    core: Arc<Core>,
    stream: TcpStream,
    conn: ConnId,
    cfg: Arc<SocketConfig>,
    shutdown: CancellationToken,
) {
    match handshake::inspect(&stream, cfg.handshake_timeout, &cfg.access).await {
        Ok(Some(Verdict::Upgrade)) => {}
        Ok(Some(Verdict::Reject(response))) => {
            let status = response.lines().next().unwrap_or_default();
            // A refused Origin or secret is someone trying to get in: worth an operator's attention,
            // unlike health checks, which come every few seconds.
            if status.contains(" 401 ") || status.contains(" 403 ") {
                tracing::info!(conn, status, "WebSocket upgrade refused");
            } else {
                tracing::debug!(
                    conn,
                    status,
                    "not a complete WebSocket handshake; answered over HTTP"
                );
            }
            if let Err(e) = handshake::reject(stream, response).await {
                tracing::debug!(conn, "rejecting: {e}");
            }
            return;
        }
        Ok(None) => return,
        Err(e) => {
            tracing::debug!(conn, "reading the handshake: {e}");
            return;
        }
    }
    let mut requested = String::new();
    // The error type is tungstenite's (`ErrorResponse`), fixed by its `Callback` trait; we never fail here.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, resp: Response| {
        requested = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        Ok(resp)
    };
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(cfg.max_frame_bytes))
        .max_frame_size(Some(cfg.max_frame_bytes));
    let accepted = tokio::time::timeout(
        cfg.handshake_timeout,
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(ws_config)),
    )
    .await;
    let mut ws = match accepted {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            tracing::debug!(conn, "WebSocket handshake failed: {e}");
            return;
        }
        Err(_) => return,
    };
    if !path_matches(&requested, &cfg.path) {
        // As KMS: finish the upgrade, then close at once with a protocol error.
        tracing::info!(conn, path = %requested, "rejecting WebSocket with an invalid path");
        let frame = CloseFrame {
            code: CloseCode::Protocol,
            reason: "Invalid path".into(),
        };
        let _ = ws.close(Some(frame)).await;
        connection::drain(&mut ws).await;
        return;
    }
    tracing::debug!(conn, "connection open");
    connection::run(core, conn, ws, shutdown).await;
    tracing::debug!(conn, "connection closed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_rule_is_kms_rule() {
        assert!(path_matches("/kurento", "kurento"));
        assert!(path_matches("/kurento?access_token=x", "kurento"));
        assert!(!path_matches("/kurento/", "kurento"));
        assert!(!path_matches("/other", "kurento"));
        assert!(!path_matches("/", "kurento"));
    }
}
