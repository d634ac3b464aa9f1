//! What the link reports: call errors, the link's state, and notices to registered sinks.

use kurento::{Event, RpcError};

/// Why a call has no result.
#[derive(Clone, Debug, thiserror::Error)]
pub enum KmsError {
    /// Not connected (or not connectable) right now; nothing was sent.
    #[error("media server at {uri} is unavailable: {reason}")]
    Unavailable {
        /// The media server's URI.
        uri: String,
        /// Why it is unavailable (the last connection error, "connecting", a full queue).
        reason: String,
    },
    /// No response within `request_timeout`; the request may or may not have run.
    #[error("media server at {uri} did not answer {method} in time")]
    Timeout {
        /// The media server's URI.
        uri: String,
        /// The JSON-RPC method of the request.
        method: &'static str,
    },
    /// The media server answered with an error (or the link refused the request before sending it,
    /// e.g. a frame over `max_frame_bytes`, as -32600).
    #[error("{0}")]
    Rpc(RpcError),
    /// The request had been sent when the connection broke; it may or may not have run.
    #[error("connection to the media server at {uri} broke while the request was in flight")]
    Lost {
        /// The media server's URI.
        uri: String,
    },
    /// The link was stopped (its shutdown token cancelled, or every handle dropped).
    #[error("the media server link is shutting down")]
    ShuttingDown,
}

/// Where the link stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Connecting, or connected and setting up (or resuming) the rpc session.
    Connecting,
    /// Connected with an rpc session: calls go out at once.
    Up,
    /// The last attempt failed (or the link shut down); calls fail at once until the next attempt.
    Down {
        /// Why: the last connection error, or that the link shut down.
        reason: String,
    },
}

/// What a registered sink receives.
#[derive(Clone, Debug)]
pub enum LinkNotice {
    /// An `onEvent` notification for the registered object. Boxed: each session's notice queue allocates
    /// its slots in blocks of 32, held for the session's life, and an event is far larger than the rest.
    Event(Box<Event>),
    /// Every object of the link's rpc session (the Kurento JSON-RPC `sessionId`, not a MediaSession
    /// session) is gone. `restarted` is true when the media server lost them
    /// (a new serverId, or 40007 INVALID_SESSION on resume); false when the link itself shut down.
    RpcSessionLost {
        /// Whether the media server lost the objects (true) or the link shut down (false).
        restarted: bool,
        /// What happened, for logs and the session's end message.
        message: String,
    },
}
