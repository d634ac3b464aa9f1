//! The bridge's end of one browser WebSocket, with the two bounds that keep a dead or stuck browser from holding
//! its session: every send (the frame written and flushed) must finish within the send timeout, and after a ping
//! the browser must send something (its pong, or any other frame) within the pong timeout.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use tokio::time::Instant;

use crate::config::Limits;

/// Why the link gave up on its browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gone {
    /// The socket closed or failed under us: the browser left.
    Closed,
    /// A frame was not taken within the send timeout: the browser stopped reading.
    SendTimeout,
    /// Nothing arrived within the pong timeout after a ping: the browser (or its network) is dead.
    PongTimeout,
}

impl Gone {
    /// The `reason` label of `web_bridge_websocket_unresponsive_total`.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::SendTimeout => "send_timeout",
            Self::PongTimeout => "pong_timeout",
        }
    }
}

/// One browser WebSocket whose sends are bounded and whose silence is timed.
pub(crate) struct Link {
    ws: WebSocket,
    send_timeout: Duration,
    pong_timeout: Duration,
    /// Set by a ping that nothing has answered yet: the browser counts as gone after this instant. A later ping
    /// does not move it, so a browser that never answers is found one pong timeout after the first ping.
    answer_by: Option<Instant>,
    /// Set once a send timed out. The frame may be half written, so nothing more can go out on this socket.
    stuck: bool,
}

impl Link {
    pub(crate) fn new(ws: WebSocket, limits: &Limits) -> Self {
        Self {
            ws,
            send_timeout: limits.send_timeout,
            pong_timeout: limits.pong_timeout,
            answer_by: None,
            stuck: false,
        }
    }

    /// Sends one frame, giving up after the send timeout. Tungstenite flushes each frame before `send` returns,
    /// so while this waits at most one frame sits in its write buffer: a browser that does not read holds the
    /// kernel's socket buffers and this one frame, never a growing queue.
    pub(crate) async fn send(&mut self, message: Message) -> Result<(), Gone> {
        if self.stuck {
            return Err(Gone::SendTimeout);
        }
        match tokio::time::timeout(self.send_timeout, self.ws.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Gone::Closed),
            Err(_) => {
                self.stuck = true;
                Err(Gone::SendTimeout)
            }
        }
    }

    /// Pings the browser and, unless an earlier ping is still unanswered, starts the pong clock.
    pub(crate) async fn ping(&mut self) -> Result<(), Gone> {
        self.send(Message::Ping(Default::default())).await?;
        let deadline = Instant::now() + self.pong_timeout;
        self.answer_by.get_or_insert(deadline);
        Ok(())
    }

    /// The next frame from the browser (cancel-safe). Any frame proves the browser alive, not only a pong: a
    /// browser busy sending candidates is not dead because its pong queues behind them.
    pub(crate) async fn recv(&mut self) -> Option<Result<Message, axum::Error>> {
        let frame = self.ws.recv().await;
        if matches!(frame, Some(Ok(_))) {
            self.answer_by = None;
        }
        frame
    }

    /// When the browser counts as gone unless a frame arrives first; `None` while no ping is unanswered.
    pub(crate) fn answer_by(&self) -> Option<Instant> {
        self.answer_by
    }
}

/// Whether a read error means the connection is gone (reset, or closed without a close frame: the network
/// broke, or the browser vanished) rather than that the browser broke the protocol (a frame over the size
/// limit, a malformed frame). The first lets its call wait to be resumed; the second does not.
pub(crate) fn connection_lost(err: &axum::Error) -> bool {
    use tungstenite::error::{Error, ProtocolError};
    let Some(inner) = std::error::Error::source(err).and_then(|e| e.downcast_ref::<Error>()) else {
        return false;
    };
    matches!(
        inner,
        Error::Io(_)
            | Error::ConnectionClosed
            | Error::AlreadyClosed
            | Error::Protocol(ProtocolError::ResetWithoutClosingHandshake)
    )
}

/// Resolves at `deadline`; never when there is none (a `select!` branch that is off until a ping goes out).
pub(crate) async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
