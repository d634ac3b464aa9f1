//! Every way a WHIP request fails, with the HTTP status RFC 9725 gives it, and the one mapping from a
//! gateway call's gRPC code to those. Pure: the routes turn a [`Failure`] into a response.

use http::StatusCode;
use tonic::Code;

use crate::gateway::client::CallError;
use crate::whip::offer::OfferError;
use crate::whip::sdpfrag::FragmentError;

/// Seconds a client is told to wait (`Retry-After`) when the gateway is unavailable or at capacity, or the
/// bridge holds its most resources: long enough for a restart or a few sessions to end, short enough for a
/// publisher to come back soon.
pub(crate) const RETRY_AFTER_SECS: u64 = 5;

/// A failed WHIP request. Each message is a sentence for the client; none carries internal detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// 400: the body is not SDP, or not a trickle-ice fragment, or names an m-line the offer does not have.
    BadRequest(String),
    /// 401: a bearer token is configured and the request lacks it (or has another).
    Unauthorized,
    /// 403: a browser page from an origin that is not allowed.
    Forbidden(String),
    /// 404: no such resource (never created, deleted, or its session ended).
    NotFound,
    /// 412: `If-Match` names another ETag than the resource's.
    PreconditionFailed,
    /// 413: the body is larger than the bridge reads.
    TooLarge(usize),
    /// 415: the body is not `application/sdp` (POST) or `application/trickle-ice-sdpfrag` (PATCH).
    UnsupportedMediaType(&'static str),
    /// 422: well-formed, but refused: the media server will not negotiate the offer, or an ICE restart,
    /// when the session's media server cannot restart ICE (RFC 9725 §4.3.1: a session that supports
    /// Trickle ICE but not ICE restarts MUST answer those with 422).
    Unprocessable(String),
    /// 428: a PATCH without `If-Match`.
    PreconditionRequired,
    /// 500: the bridge or the gateway is misconfigured, or failed in a way the client cannot fix.
    Internal(String),
    /// 503 with `Retry-After`: the gateway is unavailable, draining or at capacity, or the bridge is.
    Unavailable(String),
}

/// Which gateway call failed: INVALID_ARGUMENT means a refused offer for Start (422) but a malformed
/// candidate for AddIceCandidate (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    Start,
    AddIceCandidate,
    /// INVALID_ARGUMENT is the client's fragment (400); FAILED_PRECONDITION, a media server that
    /// cannot restart ICE, is RFC 9725's 422.
    RestartIce,
    Stop,
}

impl Failure {
    /// The one mapping from a gateway call's gRPC code to a WHIP status.
    pub(crate) fn from_gateway(call: Call, error: &CallError) -> Self {
        let text = error.text.clone();
        match error.code {
            Code::InvalidArgument if call == Call::Start => Self::Unprocessable(text),
            Code::InvalidArgument | Code::OutOfRange => Self::BadRequest(text),
            Code::FailedPrecondition => Self::Unprocessable(text),
            Code::NotFound => Self::NotFound,
            Code::Unavailable
            | Code::ResourceExhausted
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::Aborted => Self::Unavailable(text),
            // Unauthenticated, PermissionDenied and Unimplemented are the bridge's configuration, not the
            // client's fault: a 401 would tell the client to change its token.
            _ => Self::Internal(text),
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// `Retry-After` seconds, for the failures that pass with time.
    pub(crate) fn retry_after(&self) -> Option<u64> {
        matches!(self, Self::Unavailable(_)).then_some(RETRY_AFTER_SECS)
    }

    /// The response body: one line of plain text.
    pub(crate) fn message(&self) -> String {
        match self {
            Self::BadRequest(m)
            | Self::Forbidden(m)
            | Self::Unprocessable(m)
            | Self::Internal(m)
            | Self::Unavailable(m) => m.clone(),
            Self::Unauthorized => "a valid bearer token is required".to_owned(),
            Self::NotFound => "no such WHIP resource".to_owned(),
            Self::PreconditionFailed => {
                "If-Match does not name this resource's current ETag".to_owned()
            }
            Self::TooLarge(limit) => format!("the body is larger than {limit} bytes"),
            Self::UnsupportedMediaType(wanted) => format!("the body must be {wanted}"),
            Self::PreconditionRequired => {
                "a PATCH needs If-Match with the resource's ETag".to_owned()
            }
        }
    }
}

/// An offer that is not SDP is the client's mistake (400); one that publishes no audio or video is SDP this
/// service refuses (422), as the media server would refuse an offer it cannot negotiate.
impl From<&OfferError> for Failure {
    fn from(e: &OfferError) -> Self {
        match e {
            OfferError::NoAudioVideo | OfferError::NothingSent => {
                Self::Unprocessable(e.to_string())
            }
            _ => Self::BadRequest(e.to_string()),
        }
    }
}

/// Every fragment error is a malformed request.
impl From<&FragmentError> for Failure {
    fn from(e: &FragmentError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: Code) -> CallError {
        CallError {
            code,
            text: "t".into(),
        }
    }

    #[test]
    fn grpc_codes_map_to_rfc_9725_statuses() {
        let status = |call, code| Failure::from_gateway(call, &err(code)).status().as_u16();
        assert_eq!(status(Call::Start, Code::InvalidArgument), 422);
        assert_eq!(status(Call::AddIceCandidate, Code::InvalidArgument), 400);
        assert_eq!(status(Call::AddIceCandidate, Code::NotFound), 404);
        assert_eq!(status(Call::Stop, Code::NotFound), 404);
        assert_eq!(status(Call::RestartIce, Code::FailedPrecondition), 422);
        assert_eq!(status(Call::RestartIce, Code::InvalidArgument), 400);
        for code in [
            Code::Unavailable,
            Code::ResourceExhausted,
            Code::DeadlineExceeded,
        ] {
            let failure = Failure::from_gateway(Call::Start, &err(code));
            assert_eq!(failure.status().as_u16(), 503);
            assert_eq!(failure.retry_after(), Some(RETRY_AFTER_SECS));
        }
        for code in [
            Code::Unauthenticated,
            Code::PermissionDenied,
            Code::Unimplemented,
            Code::Internal,
        ] {
            assert_eq!(status(Call::Start, code), 500);
        }
        assert_eq!(Failure::NotFound.retry_after(), None);
    }
}
