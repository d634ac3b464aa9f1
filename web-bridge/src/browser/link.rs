//! The bridge's end of one browser WebSocket, with the two bounds that keep a dead or stuck browser from holding
//! its session: every send (the frame written and flushed) must finish within the send timeout, and after a ping
//! the browser must send something (its pong, or any other frame) within the pong timeout. A long message goes
//! out as fragments, which keeps what the socket holds between messages small (see [`FRAGMENT`]).

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Bytes, Error, Message};

use crate::config::Limits;

/// The upgraded connection of one browser.
pub(crate) type BrowserSocket = WebSocketStream<TokioIo<Upgraded>>;

/// The longest frame the bridge writes; a longer text goes as a first frame and continuations (RFC 6455
/// section 5.4). tungstenite writes each frame through a buffer that keeps the capacity of the largest
/// frame it ever held, for the socket's life: unfragmented, the `startResponse` (an SDP answer, ~5 KiB)
/// would stay in every held socket.
const FRAGMENT: usize = 1024;

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
    ws: BrowserSocket,
    send_timeout: Duration,
    pong_timeout: Duration,
    /// Set by a ping that nothing has answered yet: the browser counts as gone after this instant. A later ping
    /// does not move it, so a browser that never answers is found one pong timeout after the first ping.
    answer_by: Option<Instant>,
    /// Set once a send timed out. The frame may be half written, so nothing more can go out on this socket.
    stuck: bool,
}

impl Link {
    pub(crate) fn new(ws: BrowserSocket, limits: &Limits) -> Self {
        Self {
            ws,
            send_timeout: limits.send_timeout,
            pong_timeout: limits.pong_timeout,
            answer_by: None,
            stuck: false,
        }
    }

    /// Sends one message, giving up after the send timeout. Tungstenite flushes each frame before `send`
    /// returns, so while this waits at most one frame sits in its write buffer: a browser that does not read
    /// holds the kernel's socket buffers and this one frame, never a growing queue.
    pub(crate) async fn send(&mut self, message: Message) -> Result<(), Gone> {
        if self.stuck {
            return Err(Gone::SendTimeout);
        }
        let ws = &mut self.ws;
        let sent = async move {
            match message {
                Message::Text(text) if text.len() > FRAGMENT => {
                    for frame in fragments(Bytes::from(text)) {
                        ws.send(Message::Frame(frame)).await?;
                    }
                    Ok(())
                }
                other => ws.send(other).await,
            }
        };
        match tokio::time::timeout(self.send_timeout, sent).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Gone::Closed),
            Err(_) => {
                // The message may be half written, so nothing more can go out on this socket.
                self.stuck = true;
                Err(Gone::SendTimeout)
            }
        }
    }

    /// Pings the browser and, unless an earlier ping is still unanswered, starts the pong clock.
    pub(crate) async fn ping(&mut self) -> Result<(), Gone> {
        self.send(Message::Ping(Bytes::new())).await?;
        let deadline = Instant::now() + self.pong_timeout;
        self.answer_by.get_or_insert(deadline);
        Ok(())
    }

    /// The next frame from the browser (cancel-safe). Any frame proves the browser alive, not only a pong: a
    /// browser busy sending candidates is not dead because its pong queues behind them.
    pub(crate) async fn recv(&mut self) -> Option<Result<Message, Error>> {
        let frame = self.ws.next().await;
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
pub(crate) fn connection_lost(err: &Error) -> bool {
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    matches!(
        err,
        Error::Io(_)
            | Error::ConnectionClosed
            | Error::AlreadyClosed
            | Error::Protocol(ProtocolError::ResetWithoutClosingHandshake)
    )
}

/// A text message's frames: the first carries the text opcode, the rest are continuations, the last is
/// final. A frame boundary may split a UTF-8 sequence: the receiver checks the message whole.
fn fragments(text: Bytes) -> impl Iterator<Item = Frame> {
    let count = text.len().div_ceil(FRAGMENT).max(1);
    (0..count).map(move |i| {
        let end = ((i + 1) * FRAGMENT).min(text.len());
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        Frame::message(text.slice(i * FRAGMENT..end), opcode, i + 1 == count)
    })
}

/// Resolves at `deadline`; never when there is none (a `select!` branch that is off until a ping goes out).
pub(crate) async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_split_into_final_terminated_fragments() {
        let text = Bytes::from("x".repeat(FRAGMENT * 2 + 10));
        let frames: Vec<Frame> = fragments(text.clone()).collect();
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].header().opcode, OpCode::Data(Data::Text));
        assert_eq!(frames[1].header().opcode, OpCode::Data(Data::Continue));
        assert_eq!(frames[2].header().opcode, OpCode::Data(Data::Continue));
        assert_eq!(
            frames
                .iter()
                .map(|f| f.header().is_final)
                .collect::<Vec<_>>(),
            [false, false, true]
        );
        let joined: Vec<u8> = frames.iter().flat_map(|f| f.payload().to_vec()).collect();
        assert_eq!(joined, text);
    }
}
