//! An embedded, Kurento-protocol-compatible WebRTC media server built on str0m.
//!
//! [`engine`] is the media half: WebRTC endpoints (ICE, DTLS, SRTP, RTP) driven by one tokio task each,
//! with loopback and endpoint-to-endpoint forwarding. It knows nothing about JSON-RPC; the Kurento protocol
//! layer ([`rpc`]) maps `MediaPipeline`/`WebRtcEndpoint` calls onto its plain Rust API, and [`net`] carries
//! that protocol over WebSocket the way KMS does (`ws://host:8888/kurento`).
//!
//! Invariant: on the protocol side only `net` and `server` read the clock or touch sockets; `rpc` gets
//! time passed in, or calls the clock it was given (except `getUsedCpu`'s sampling sleep). The media side, [`engine`], owns its UDP
//! sockets and clock reads.
#![forbid(unsafe_code)]

mod clock;
pub mod config;
pub mod engine;
pub mod error;
mod net;
pub mod rpc;
pub mod server;

pub use config::{AuthSecret, Config};
pub use error::Error;

pub use server::{MediaServer, ServerStats, run};
