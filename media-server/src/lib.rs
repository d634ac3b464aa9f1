//! An embedded, Kurento-protocol-compatible WebRTC media server built on str0m.
//!
//! [`engine`] is the media half: WebRTC endpoints (ICE, DTLS, SRTP, RTP) driven by one tokio task each,
//! with loopback and endpoint-to-endpoint forwarding. It knows nothing about JSON-RPC; the Kurento protocol
//! layer maps `MediaPipeline`/`WebRtcEndpoint` calls onto its plain Rust API.
#![forbid(unsafe_code)]

pub mod engine;
