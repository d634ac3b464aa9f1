//! Errors of the media engine, shaped so the JSON-RPC layer can map each onto a Kurento error code.

use std::io;

/// What can go wrong when creating or driving an endpoint.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// `processOffer` with an empty (or all-whitespace) string. Kurento: 40201 "Empty offer not valid".
    #[error("Empty offer not valid")]
    EmptyOffer,
    /// The offer does not parse as SDP. Kurento: 40201 SDP_PARSE_ERROR "Invalid SDP".
    #[error("Invalid SDP: {0}")]
    InvalidSdp(String),
    /// The offer parsed but cannot be negotiated (no m-lines, no usable codec, ...).
    /// Kurento: 40205 SDP_END_POINT_PROCESS_OFFER_ERROR.
    #[error("Error processing offer: {0}")]
    OfferNotNegotiable(String),
    /// A second `processOffer` on the same endpoint. Kurento: 40208 SDP_END_POINT_ALREADY_NEGOTIATED.
    #[error("Endpoint already negotiated")]
    AlreadyNegotiated,
    /// No UDP port could be bound for a new endpoint. Kurento: 40009 NOT_ENOUGH_RESOURCES.
    #[error("cannot bind a UDP socket on {addr}: {source}")]
    Bind {
        /// The interface address (and port range) that failed.
        addr: String,
        /// The last bind error.
        #[source]
        source: io::Error,
    },
    /// One-port mode drew ICE credentials whose ufrag another endpoint has, several times over (random
    /// 16-character ufrags: not expected to happen). Kurento: 40009 NOT_ENOUGH_RESOURCES.
    #[error("no free ICE ufrag for a new endpoint")]
    UfragCollision,
    /// The engine could not start its media threads.
    #[error("cannot start the media threads: {0}")]
    Threads(#[source] io::Error),
    /// The engine could not create its DTLS certificate.
    #[error("cannot create the DTLS certificate")]
    Certificate,
    /// `addIceCandidate` beyond the endpoint's cap of remote candidates (offer and trickle together).
    /// Kurento: 40401 ICE_ADD_CANDIDATE_ERROR.
    #[error("Too many remote candidates: at most {max} per endpoint")]
    TooManyCandidates {
        /// The cap ([`crate::engine::EngineConfig::max_remote_candidates`]).
        max: usize,
    },
    /// The endpoint was released (or its task ended); the call cannot be served.
    /// Kurento: 40101 MEDIA_OBJECT_NOT_FOUND.
    #[error("endpoint released")]
    Released,
}
