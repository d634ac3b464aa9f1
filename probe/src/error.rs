//! The errors of the peer and of the end-to-end probe; each names what failed and, for the probe, where.

use std::net::IpAddr;
use std::time::Duration;

/// What can go wrong with a [`Peer`](crate::Peer).
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("the peer must offer audio, video or both")]
    NoMedia,
    #[error("cannot bind a UDP socket on {ip}: {source}")]
    Bind {
        ip: IpAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("str0m could not build the offer")]
    NoOffer,
    #[error("the SDP answer is not valid: {0}")]
    BadAnswer(String),
    #[error("an answer was already applied to this peer")]
    AnswerAlreadySet,
    #[error("remote candidate {candidate:?} is not valid: {reason}")]
    BadCandidate { candidate: String, reason: String },
    #[error("invalid echo check settings: {0}")]
    BadConfig(String),
    #[error("an echo check is already running on this peer")]
    Busy,
    #[error("no SDP answer was applied before the echo check")]
    NoAnswer,
    #[error("ICE and DTLS did not connect within {0:?}")]
    ConnectTimeout(Duration),
    #[error("the peer stopped: {0}")]
    Stopped(String),
}

/// What can go wrong while probing a gateway. Every variant names the gateway address.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("gateway address {addr:?} is not a valid URI: {reason}")]
    BadAddress { addr: String, reason: String },
    #[error("cannot connect to the gateway at {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: tonic::transport::Error,
    },
    #[error("gateway at {addr} failed {call}: {status}")]
    Rpc {
        addr: String,
        call: &'static str,
        status: Box<tonic::Status>,
    },
    #[error("gateway at {addr}: {call} did not answer within {timeout:?}")]
    Timeout {
        addr: String,
        call: &'static str,
        timeout: Duration,
    },
    #[error("probe peer for gateway at {addr}: {source}")]
    Peer {
        addr: String,
        #[source]
        source: PeerError,
    },
    #[error("gateway at {addr} broke the protocol: {what}")]
    Protocol { addr: String, what: String },
}
