//! The errors of the peer and of the end-to-end probe; each names what failed and, for the probe, where.

use std::net::IpAddr;
use std::time::Duration;

/// What can go wrong with a [`Peer`](crate::Peer).
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// [`PeerConfig`](crate::PeerConfig) asked for neither audio nor video, so there is nothing to offer.
    #[error("the peer must offer audio, video or both")]
    NoMedia,
    /// The peer's UDP socket could not be bound (or its local address read).
    #[error("cannot bind a UDP socket on {ip}: {source}")]
    Bind {
        /// The `bind_ip` the socket was bound to (port 0).
        ip: IpAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// str0m produced no SDP offer for the requested media.
    #[error("str0m could not build the offer")]
    NoOffer,
    /// The SDP answer could not be parsed or str0m rejected it against the offer; holds str0m's reason.
    #[error("the SDP answer is not valid: {0}")]
    BadAnswer(String),
    /// [`Peer::set_answer`](crate::Peer::set_answer) was called again after an answer had been accepted.
    #[error("an answer was already applied to this peer")]
    AnswerAlreadySet,
    /// An ICE candidate (a remote one, or the peer's own host candidate) could not be parsed or built.
    #[error("remote candidate {candidate:?} is not valid: {reason}")]
    BadCandidate {
        /// The candidate line (without "a="), or the socket address of the host candidate.
        candidate: String,
        /// str0m's explanation of why it is invalid.
        reason: String,
    },
    /// The [`EchoCheckConfig`](crate::EchoCheckConfig) failed validation; holds which setting is wrong.
    #[error("invalid echo check settings: {0}")]
    BadConfig(String),
    /// An echo check was requested while another one is still running on the same peer.
    #[error("an echo check is already running on this peer")]
    Busy,
    /// An echo check was requested before [`Peer::set_answer`](crate::Peer::set_answer) succeeded.
    #[error("no SDP answer was applied before the echo check")]
    NoAnswer,
    /// ICE and DTLS were not up within the echo check's `connect_timeout` (the duration held).
    #[error("ICE and DTLS did not connect within {0:?}")]
    ConnectTimeout(Duration),
    /// The peer's driver task failed or has ended, so the peer can no longer be used; holds the reason.
    #[error("the peer stopped: {0}")]
    Stopped(String),
}

/// What can go wrong while probing a gateway. Every variant names the gateway address.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The gateway address given to [`run`](crate::run) could not be parsed as a URI.
    #[error("gateway address {addr:?} is not a valid URI: {reason}")]
    BadAddress {
        /// The gateway address as given.
        addr: String,
        /// Why the address was rejected.
        reason: String,
    },
    /// The gRPC connection to the gateway failed: refused, unreachable, or not up within `rpc_timeout`.
    #[error("cannot connect to the gateway at {addr}: {source}")]
    Connect {
        /// The gateway address.
        addr: String,
        /// The transport error from tonic.
        #[source]
        source: tonic::transport::Error,
    },
    /// The gateway answered a call with a gRPC error status.
    #[error("gateway at {addr} failed {call}: {status}")]
    Rpc {
        /// The gateway address.
        addr: String,
        /// The MediaSession method that failed, e.g. "Start".
        call: &'static str,
        /// The status the gateway returned.
        status: Box<tonic::Status>,
    },
    /// A call got no reply within `rpc_timeout`.
    #[error("gateway at {addr}: {call} did not answer within {timeout:?}")]
    Timeout {
        /// The gateway address.
        addr: String,
        /// The MediaSession method that timed out, e.g. "Stop".
        call: &'static str,
        /// How long the probe waited.
        timeout: Duration,
    },
    /// The probe's own WebRTC peer failed (start, answer, or echo check).
    #[error("probe peer for gateway at {addr}: {source}")]
    Peer {
        /// The gateway address.
        addr: String,
        /// What went wrong in the peer.
        #[source]
        source: PeerError,
    },
    /// A Janus API call failed: the HTTP exchange, a timeout, an error reply, or a reply the probe
    /// could not read.
    #[error("Janus at {addr} failed {call}: {what}")]
    Janus {
        /// The Janus API URL.
        addr: String,
        /// The request that failed, e.g. "attach".
        call: &'static str,
        /// What went wrong, for a person to read.
        what: String,
    },
    /// The gateway sent something the MediaSession protocol does not allow.
    #[error("gateway at {addr} broke the protocol: {what}")]
    Protocol {
        /// The gateway address.
        addr: String,
        /// What the gateway did wrong, for a person to read.
        what: String,
    },
}
