//! Errors that stop the server as a whole (not per request: those are Kurento error responses).

use crate::engine::EngineError;

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The media engine could not start (no UDP socket on the configured interfaces or port range).
    #[error("cannot start the media engine: {0}")]
    Engine(#[from] EngineError),
    /// Accepting on the Kurento WebSocket listener failed.
    #[error("listener failed: {0}")]
    Io(#[from] std::io::Error),
    /// The server task panicked or was cancelled.
    #[error("server task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}
