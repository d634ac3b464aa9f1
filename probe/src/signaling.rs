//! What a signaling backend does for the probe, so the one flow in `probe.rs` (offer, answer, trickle,
//! echo check, close) drives the gateway's gRPC API and Janus's HTTP API alike. Static dispatch: the
//! flow is generic over it, and each backend is one type.

use std::time::Instant;

use crate::error::ProbeError;
use crate::events::EventLog;
use crate::peer::{IceCandidate, Peer};
use crate::server_stats::ServerStream;

/// One session with a signaling server, from the offer to its close.
pub(crate) trait Signaling {
    /// The server's events for this session, watched while media flows.
    type Events: ServerEvents;

    /// The server's address as the caller gave it, for reports and errors.
    fn addr(&self) -> &str;

    /// The session's id(s) on the server, once the offer was answered.
    fn session_id(&self) -> String;

    /// Sends `sdp` and returns the server's answer. Without `trickle` the offer already holds the
    /// peer's candidates and the answer should hold the server's. The time this takes is the report's
    /// signaling latency. A backend whose session exists before the offer (Janus) ends it when the
    /// offer fails; from the answer on, the flow closes the session on every path.
    async fn offer(&mut self, sdp: String, trickle: bool) -> Result<String, ProbeError>;

    /// Opens the session's event feed, right after the answer was applied.
    async fn events(&mut self) -> Result<Self::Events, ProbeError>;

    /// Sends one of the peer's candidates, or `None` for end-of-candidates.
    async fn candidate(&mut self, candidate: Option<&IceCandidate>) -> Result<(), ProbeError>;

    /// The server's own view of the session's media, asked once media has flowed. `None` when the
    /// backend has no such call (Janus): the report then leaves the server's view out rather than
    /// inventing one.
    async fn stats(&mut self) -> Option<Result<Vec<ServerStream>, ProbeError>>;

    /// Ends the session. `Ok(true)` when the server said it ended it (rather than finding it gone).
    async fn close(&mut self) -> Result<bool, ProbeError>;
}

/// A session's event feed.
pub(crate) trait ServerEvents {
    /// Reads events until the feed ends, recording into `log` as it goes, so a caller that stops
    /// waiting keeps what was seen. With `apply_candidates`, server candidates go to `peer`.
    async fn watch(self, peer: &Peer, apply_candidates: bool, since: Instant, log: &mut EventLog);
}
