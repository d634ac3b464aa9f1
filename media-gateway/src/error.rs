//! The gateway's one error type and its one mapping onto gRPC status codes; details are logged, not leaked.
//!
//! An error's `Display` is for the gateway's log and may name media servers and their errors; the status a
//! caller gets never does. Callers see their own ids and the gateway's own wording, nothing internal: no
//! media server address, no media server wording, no connection error.

use crate::links::kms::KmsError;
use kurento::ErrorCode;
use tonic::{Code, Status};

/// Everything a MediaSession call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The id was never issued, or the session ended.
    #[error("no session with id {0:?}")]
    SessionNotFound(String),
    /// The caller's request is malformed.
    #[error("{0}")]
    InvalidArgument(String),
    /// The media server refused the offer as unparsable or impossible to negotiate (40201, 40205).
    #[error("the media server rejected the SDP offer: {0}")]
    InvalidOffer(String),
    /// The session's media server cannot renegotiate it: it does not list the `iceRestart` capability
    /// (KMS 7.2), or it refused the second offer (40208 SDP_END_POINT_ALREADY_NEGOTIATED).
    #[error("{0}")]
    CannotRenegotiate(String),
    /// The gateway is at its session limit (or a session's candidate queue is full).
    #[error("{0}")]
    Exhausted(String),
    /// The gateway cannot serve the call now (draining, no media server configured, a session ending).
    #[error("{0}")]
    Unavailable(String),
    /// Something took longer than its configured limit.
    #[error("{0}")]
    Timeout(String),
    /// A media server is unreachable (down, connecting, its link's queue full).
    #[error("media server at {uri} is unreachable ({reason})")]
    MediaServerUnavailable {
        /// The media server's URI.
        uri: String,
        /// Why, as the link says.
        reason: String,
    },
    /// A media server did not answer in time.
    #[error("media server at {uri} did not answer {method} in time")]
    MediaServerTimeout {
        /// The media server's URI.
        uri: String,
        /// The Kurento method it did not answer.
        method: &'static str,
    },
    /// The connection to a media server broke while a request was in flight.
    #[error("lost the connection to the media server at {uri}")]
    MediaServerLost {
        /// The media server's URI.
        uri: String,
    },
    /// A media server answered with an error the caller cannot act on.
    #[error("media server at {uri} failed: {error}")]
    MediaServer {
        /// The media server's URI.
        uri: String,
        /// Its JSON-RPC error, as received.
        error: kurento::RpcError,
    },
    /// The media server answered something that is not what the protocol promises.
    #[error("media server at {uri} answered {method} unexpectedly: {detail}")]
    Protocol {
        /// The media server's URI.
        uri: String,
        /// The Kurento method whose answer was unexpected.
        method: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// The session ended while the call was in progress.
    #[error("the session ended: {0}")]
    Ended(String),
    /// Binding or serving failed (only from `run`).
    #[error("gRPC server: {0}")]
    Serve(#[from] tonic::transport::Error),
    /// The reflection service could not be built from the file descriptor sets.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// A socket operation failed (binding the embedded media server, reading a listener's address).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The embedded media server failed to start.
    #[error("embedded media server: {0}")]
    Embedded(String),
    /// The configuration cannot be used (a TLS file missing or malformed).
    #[error("configuration: {0}")]
    Config(String),
    /// No media server to use: no KMS URI was given, and this build has no embedded media server (it was
    /// built without the `embedded` cargo feature).
    #[error(
        "a KMS URI is needed: pass --kms-uri (or KMS_URI) ws://host:8888/kurento; this build has no embedded media server (cargo feature `embedded`)"
    )]
    KmsUriRequired,
}

impl Error {
    /// Maps an error of the link to the media server at `uri`.
    pub fn from_kms(uri: &str, e: KmsError) -> Self {
        match e {
            KmsError::Unavailable { uri, reason } => Error::MediaServerUnavailable { uri, reason },
            KmsError::Timeout { uri, method } => Error::MediaServerTimeout { uri, method },
            KmsError::Lost { uri } => Error::MediaServerLost { uri },
            KmsError::ShuttingDown => Error::Unavailable("the gateway is shutting down".into()),
            KmsError::Rpc(error) => match error.kind() {
                Some(ErrorCode::SdpParseError | ErrorCode::SdpEndPointProcessOfferError) => {
                    Error::InvalidOffer(error.message)
                }
                // Only a second processOffer (RestartIce) meets it.
                Some(ErrorCode::SdpEndPointAlreadyNegotiated) => {
                    tracing::debug!(media_server = uri, error = %error.message, "re-offer refused");
                    Error::CannotRenegotiate(
                        "the media server refused to renegotiate this session: an ICE restart offer \
                         must keep the session's m-lines and DTLS fingerprint and change only \
                         a=ice-ufrag and a=ice-pwd; otherwise Stop the session and Start a new one"
                            .into(),
                    )
                }
                Some(ErrorCode::IceAddCandidateError) => {
                    tracing::debug!(media_server = uri, error = %error.message, "candidate refused");
                    Error::InvalidArgument("the media server rejected the candidate".into())
                }
                Some(ErrorCode::NotEnoughResources) => {
                    tracing::warn!(media_server = uri, "media server out of resources");
                    Error::Exhausted("the media server is out of resources; try again later".into())
                }
                _ => Error::MediaServer {
                    uri: uri.to_owned(),
                    error,
                },
            },
        }
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        let (code, message) = match &e {
            Error::SessionNotFound(_) => (Code::NotFound, e.to_string()),
            Error::InvalidArgument(_) | Error::InvalidOffer(_) => {
                (Code::InvalidArgument, e.to_string())
            }
            Error::Exhausted(_) => (Code::ResourceExhausted, e.to_string()),
            Error::CannotRenegotiate(_) => (Code::FailedPrecondition, e.to_string()),
            Error::Unavailable(_) => (Code::Unavailable, e.to_string()),
            Error::Timeout(_) => (Code::DeadlineExceeded, e.to_string()),
            Error::Ended(_) => (Code::Aborted, e.to_string()),
            // Where the media servers are, and what they said, is for operators, not callers.
            Error::MediaServerUnavailable { .. } => (
                Code::Unavailable,
                "the media server is unreachable; try again later".to_owned(),
            ),
            Error::MediaServerTimeout { method, .. } => (
                Code::DeadlineExceeded,
                format!("the media server did not answer {method} in time"),
            ),
            Error::MediaServerLost { .. } => (
                Code::Unavailable,
                "lost the connection to the media server; try again".to_owned(),
            ),
            Error::MediaServer { .. } => (
                Code::Internal,
                "the media server reported an error; see the gateway log".to_owned(),
            ),
            Error::Protocol { .. } => (
                Code::Internal,
                "the media server answered unexpectedly; see the gateway log".to_owned(),
            ),
            Error::Serve(_)
            | Error::Reflection(_)
            | Error::Io(_)
            | Error::Embedded(_)
            | Error::Config(_)
            | Error::KmsUriRequired => (
                Code::Internal,
                "internal error; see the gateway log".to_owned(),
            ),
        };
        if matches!(
            code,
            Code::Internal | Code::Unavailable | Code::DeadlineExceeded
        ) {
            tracing::warn!(error = %e, "call failed");
        } else {
            tracing::debug!(error = %e, "call refused");
        }
        Status::new(code, message)
    }
}
