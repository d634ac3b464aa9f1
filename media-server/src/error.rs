//! Errors that stop the server as a whole (not per request: those are Kurento error responses).

use crate::engine::EngineError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot start the media engine: {0}")]
    Engine(#[from] EngineError),
    #[error("listener failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("server task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}
