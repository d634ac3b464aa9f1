//! WHIP (RFC 9725): a WebRTC client publishes with plain HTTP, one gateway session per resource.
//!
//! `routes.rs` holds the axum handlers and `session.rs` the task that owns each resource's session; the
//! rest is sans-IO protocol logic, tested on its own: `offer.rs` (what the bridge reads from the offer),
//! `sdpfrag.rs` (trickle-ice-sdpfrag bodies), `headers.rs` (If-Match, Link, bearer token, CORS),
//! `status.rs` (every failure's HTTP status, and the one gRPC → HTTP mapping), `resources.rs` (the bounded
//! resource table), `liveness.rs` (when a resource without media counts as abandoned) and `ice_servers.rs`
//! (which ICE servers a client is given).

pub(crate) mod headers;
pub(crate) mod ice_servers;
pub(crate) mod liveness;
pub(crate) mod offer;
pub(crate) mod resources;
pub(crate) mod routes;
pub(crate) mod sdpfrag;
pub(crate) mod session;
pub(crate) mod status;
