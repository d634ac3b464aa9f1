//! A str0m WebRTC peer that proves media comes back, and a probe that checks a MediaSession gateway end to
//! end with it.
//!
//! # The peer
//!
//! [`Peer`] is a WebRTC offerer (str0m, Opus + VP8, BUNDLE, rtcp-mux) on its own UDP socket, driven by its
//! own tokio task. It knows nothing about signaling: the caller carries the SDP and candidates.
//!
//! ```no_run
//! # async fn demo(send_offer: impl AsyncFn(String) -> String) -> Result<(), media_probe::PeerError> {
//! use media_probe::{EchoCheckConfig, Peer, PeerConfig};
//!
//! let (peer, offer) = Peer::start(PeerConfig::default()).await?; // 127.0.0.1, audio + video, trickle
//! let answer = send_offer(offer).await; // e.g. MediaSession.Start
//! peer.set_answer(&answer).await?;
//! for c in peer.local_candidates() {
//!     // send c.candidate / c.sdp_mid / c.sdp_m_line_index to the remote side (AddIceCandidate)
//! }
//! // for each remote candidate: peer.add_remote_candidate(&candidate, &sdp_mid, index).await?
//! let report = peer.echo_check(EchoCheckConfig::default()).await?;
//! assert_eq!(report.mismatches, 0);
//! assert!(report.is_intact(0.9));
//! # Ok(()) }
//! ```
//!
//! - [`Peer::start`] binds `bind_ip:0`, writes the offer (sendrecv audio and/or video) and spawns the
//!   driver task. With `trickle: true` the offer holds no candidate and [`Peer::local_candidates`] lists the
//!   one host candidate (on the first m-line); with `trickle: false` it is in the offer and the list is
//!   empty.
//! - [`Peer::set_answer`] applies the answer (once). [`Peer::add_remote_candidate`] takes a candidate with
//!   or without "a="; an empty one means end-of-candidates.
//! - [`Peer::echo_check`] waits for ICE + DTLS (up to `connect_timeout`), then sends one Opus and one VP8
//!   frame every `1/packets_per_second` for `duration`, and listens `drain` longer. Each frame carries its
//!   kind, a sequence number, its send time and a deterministic pattern behind a codec-plausible prefix
//!   (an Opus TOC byte; a VP8 keyframe header), and fits one packet, so it survives a server that echoes
//!   RTP packets as well as one that depacketizes and repacketizes frames. Every received frame is compared
//!   byte for byte with the frame sent under the same id: [`EchoReport`] has the counts per kind,
//!   `mismatches` (must be 0), RTT min/median/p95/max, time to connect, time to first echo, and keyframe
//!   requests seen.
//! - Dropping the [`Peer`] aborts the task, which releases the socket and the str0m session.
//!
//! # The probe
//!
//! [`run`] does what any backend would do over the public gRPC API: Start with the peer's offer, watch
//! StreamCandidates (server candidates go to the peer), AddIceCandidate for the peer's candidates, run the
//! echo check, GetSessionStats, Stop, and check the stream ends with `END_REASON_STOPPED`. It returns a
//! [`ProbeReport`] whose `Display` is a short table, whose [`ProbeReport::to_json`] is the same as JSON,
//! and whose [`ProbeReport::passed`] is the verdict. The server's own view of the session
//! ([`ProbeReport::server_stats`], one [`ServerStream`] per kind and direction) sits next to the probe's
//! counts and is not part of the verdict. The binary `media-probe` is a thin CLI around it.
//!
//! [`run_janus`] runs the same check against Janus's echotest over the Janus HTTP API (create, attach
//! `janus.plugin.echotest`, the offer in a message, the answer from the long poll, trickle, destroy), so
//! one client measures both servers the same way (Janus has no stats call: `server_stats` is `None`).
//! Both go through one flow, generic over the signaling backend (`signaling.rs`); the peer and its echo
//! check are the same code.
#![forbid(unsafe_code)]

mod check;
mod driver;
mod echo;
mod echo_config;
mod echo_report;
mod error;
mod events;
mod gateway;
mod janus;
mod payload;
mod peer;
mod probe;
mod report;
mod report_json;
mod server_stats;
mod signaling;

pub use echo_config::{EchoCheckConfig, MAX_PAYLOAD_BYTES};
pub use echo_report::{EchoReport, KindCounts, RttStats};
pub use error::{PeerError, ProbeError};
pub use payload::MediaKind;
pub use peer::{IceCandidate, Peer, PeerConfig};
pub use probe::{ProbeConfig, run, run_janus};
pub use report::{Backend, ProbeReport, StartFacts};
pub use server_stats::ServerStream;
