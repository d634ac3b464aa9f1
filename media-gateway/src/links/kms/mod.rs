//! The link to one Kurento media server: a tokio task per server that drives the sans-IO
//! [`kurento::Client`] over tokio-tungstenite, and a cloneable [`KmsLink`] handle for everyone else.
//!
//! The task owns the socket and the client state machine; handles talk to it through a bounded command
//! queue with a oneshot per call. Event routing is a shared table the task reads (never blocking on a slow
//! sink). The task ends when the shutdown token is cancelled or every handle is dropped.
//!
//! Naming: the Kurento JSON-RPC session a link holds with its media server (its `sessionId`, resumed after
//! a reconnect) is the link's *rpc session*, logged as `rpc_session_id`. Everywhere else in the gateway
//! *session* means a public MediaSession session (`session_id`), owned by its actor in `session/`.

mod config;
mod driver;
mod error;
mod handle;
mod log_budget;
mod release_queue;
mod routes;

pub use config::LinkConfig;
pub use error::{KmsError, LinkNotice, LinkState};
pub use handle::{KmsLink, Released};
pub use release_queue::ReleaseStats;
pub use routes::Registration;
