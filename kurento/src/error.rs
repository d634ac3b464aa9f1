//! Kurento's error codes (JSON-RPC's own plus KMS's 4xxxx table) and the error object they travel in.

use serde_json::{Map, Value, json};
use std::fmt;

/// Every error code KMS 7.2.0 defines, with the `data.type` string it sends beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `-32700 PARSE_ERROR`: the frame is not valid JSON (KMS defines it but in practice sends no reply).
    ParseError,
    /// `-32600`: not a valid JSON-RPC 2.0 request object (batches land here too); sent with `id: null`.
    InvalidRequest,
    /// `-32601`: the `method` is not one KMS serves.
    MethodNotFound,
    /// `-32602 INVALID_PARAMS`: `params` is missing for a method that needs it.
    InvalidParams,
    /// `-32603`: an unexpected exception while KMS processed the method.
    InternalError,
    /// `-32000`: a required top-level parameter is missing or has the wrong type.
    ServerError,
    /// `40001 MARSHALL_ERROR`: `operationParams` or `constructorParams` missing or of the wrong shape.
    MarshallError,
    /// `40003 UNEXPECTED_ERROR`: a complex value names a `__module__`/`__type__` that does not exist.
    UnexpectedError,
    /// `40004 CONNECT_ERROR`: `connect` between two elements failed.
    ConnectError,
    /// `40005 UNSUPPORTED_MEDIA_TYPE`: the requested media type is not supported.
    UnsupportedMediaType,
    /// `40006 NOT_IMPLEMENTED`: the feature is not available, e.g. events on a transport without them.
    NotImplemented,
    /// `40007 INVALID_SESSION`: `connect` or `keepAlive` named a session KMS does not know.
    InvalidSession,
    /// `40008 MALFORMED_TRANSACTION`: a bad transaction, and also an unknown `operation` in `invoke`.
    MalformedTransaction,
    /// `40009 NOT_ENOUGH_RESOURCES`: `create` while KMS is over its thread or file-descriptor limit.
    NotEnoughResources,
    /// `40100 MEDIA_OBJECT_TYPE_NOT_FOUND`: the media object type is unknown (defined; `create` does not use it).
    MediaObjectTypeNotFound,
    /// `40101 MEDIA_OBJECT_NOT_FOUND`: the object id is unknown or already released.
    MediaObjectNotFound,
    /// `40104 MEDIA_OBJECT_CONSTRUCTOR_NOT_FOUND`: no constructor matches the given parameters.
    MediaObjectConstructorNotFound,
    /// `40105 MEDIA_OBJECT_METHOD_NOT_FOUND`: the operation is unknown (defined; KMS sends 40008 instead).
    MediaObjectMethodNotFound,
    /// `40106 MEDIA_OBJECT_EVENT_NOT_SUPPORTED`: `subscribe` to an event the class does not have.
    MediaObjectEventNotSupported,
    /// `40107 MEDIA_OBJECT_ILLEGAL_PARAM_ERROR`: an argument has an illegal value, e.g. bad data-channel arguments.
    MediaObjectIllegalParamError,
    /// `40108 MEDIA_OBJECT_NOT_AVAILABLE`: `create` with an unknown `type` ("Factory 'X' not found").
    MediaObjectNotAvailable,
    /// `40109 MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT`: a `newref:` id used outside a transaction.
    MediaObjectNotFoundTransactionNoCommit,
    /// `40110 MEDIA_OBJECT_TAG_KEY_NOT_FOUND`: `getTag` with a key the object does not have.
    MediaObjectTagKeyNotFound,
    /// `40111 MEDIA_OBJECT_OPERATION_NOT_SUPPORTED`: the operation is not enabled, e.g. data channels off.
    MediaObjectOperationNotSupported,
    /// `40200 SDP_CREATE_ERROR`: KMS could not create an SDP.
    SdpCreateError,
    /// `40201 SDP_PARSE_ERROR`: the offer or answer is empty or does not parse as SDP.
    SdpParseError,
    /// `40202 SDP_END_POINT_NO_LOCAL_SDP_ERROR`: `getLocalSessionDescriptor` before negotiation.
    SdpEndPointNoLocalSdpError,
    /// `40203 SDP_END_POINT_NO_REMOTE_SDP_ERROR`: `getRemoteSessionDescriptor` before negotiation.
    SdpEndPointNoRemoteSdpError,
    /// `40204 SDP_END_POINT_GENERATE_OFFER_ERROR`: `generateOffer` failed.
    SdpEndPointGenerateOfferError,
    /// `40205 SDP_END_POINT_PROCESS_OFFER_ERROR`: the offer parsed but could not be negotiated.
    SdpEndPointProcessOfferError,
    /// `40206 SDP_END_POINT_PROCESS_ANSWER_ERROR`: the answer could not be applied.
    SdpEndPointProcessAnswerError,
    /// `40208 SDP_END_POINT_ALREADY_NEGOTIATED`: a second `processOffer` or `generateOffer` on the endpoint.
    SdpEndPointAlreadyNegotiated,
    /// `40209 SDP_END_POINT_NOT_OFFER_GENERATED`: `processAnswer` without a `generateOffer` first.
    SdpEndPointNotOfferGenerated,
    /// `40210 SDP_END_POINT_ANSWER_ALREADY_PROCCESED` (KMS's spelling): the answer was already processed.
    SdpEndPointAnswerAlreadyProccesed,
    /// `40211 SDP_END_POINT_CANNOT_CREATE_SESSON` (KMS's spelling): the SDP session could not be created.
    SdpEndPointCannotCreateSesson,
    /// `40300 HTTP_END_POINT_REGISTRATION_ERROR`: an HTTP endpoint could not be registered.
    HttpEndPointRegistrationError,
    /// `40400 ICE_GATHER_CANDIDATES_ERROR`: `gatherCandidates` failed.
    IceGatherCandidatesError,
    /// `40401 ICE_ADD_CANDIDATE_ERROR`: libnice rejected the candidate passed to `addIceCandidate`.
    IceAddCandidateError,
    /// `40500 SERVER_MANAGER_ERROR_KMD_NOT_FOUND`: the server manager found no module descriptor (`.kmd`).
    ServerManagerErrorKmdNotFound,
    /// `40600 URI_PATH_FILE_NOT_FOUND`: the file a URI points to does not exist.
    UriPathFileNotFound,
    /// `40700 PLAYER_SEEK_FAIL`: a player could not seek to the requested position.
    PlayerSeekFail,
}

/// (code, variant, `data.type`); `None` where KMS sends no `data`.
const TABLE: &[(i32, ErrorCode, Option<&str>)] = &[
    (-32700, ErrorCode::ParseError, Some("PARSE_ERROR")),
    (-32600, ErrorCode::InvalidRequest, None),
    (-32601, ErrorCode::MethodNotFound, None),
    (-32602, ErrorCode::InvalidParams, Some("INVALID_PARAMS")),
    (-32603, ErrorCode::InternalError, None),
    (-32000, ErrorCode::ServerError, None),
    (40001, ErrorCode::MarshallError, Some("MARSHALL_ERROR")),
    (40003, ErrorCode::UnexpectedError, Some("UNEXPECTED_ERROR")),
    (40004, ErrorCode::ConnectError, Some("CONNECT_ERROR")),
    (
        40005,
        ErrorCode::UnsupportedMediaType,
        Some("UNSUPPORTED_MEDIA_TYPE"),
    ),
    (40006, ErrorCode::NotImplemented, Some("NOT_IMPLEMENTED")),
    (40007, ErrorCode::InvalidSession, Some("INVALID_SESSION")),
    (
        40008,
        ErrorCode::MalformedTransaction,
        Some("MALFORMED_TRANSACTION"),
    ),
    (
        40009,
        ErrorCode::NotEnoughResources,
        Some("NOT_ENOUGH_RESOURCES"),
    ),
    (
        40100,
        ErrorCode::MediaObjectTypeNotFound,
        Some("MEDIA_OBJECT_TYPE_NOT_FOUND"),
    ),
    (
        40101,
        ErrorCode::MediaObjectNotFound,
        Some("MEDIA_OBJECT_NOT_FOUND"),
    ),
    (
        40104,
        ErrorCode::MediaObjectConstructorNotFound,
        Some("MEDIA_OBJECT_CONSTRUCTOR_NOT_FOUND"),
    ),
    (
        40105,
        ErrorCode::MediaObjectMethodNotFound,
        Some("MEDIA_OBJECT_METHOD_NOT_FOUND"),
    ),
    (
        40106,
        ErrorCode::MediaObjectEventNotSupported,
        Some("MEDIA_OBJECT_EVENT_NOT_SUPPORTED"),
    ),
    (
        40107,
        ErrorCode::MediaObjectIllegalParamError,
        Some("MEDIA_OBJECT_ILLEGAL_PARAM_ERROR"),
    ),
    (
        40108,
        ErrorCode::MediaObjectNotAvailable,
        Some("MEDIA_OBJECT_NOT_AVAILABLE"),
    ),
    (
        40109,
        ErrorCode::MediaObjectNotFoundTransactionNoCommit,
        Some("MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT"),
    ),
    (
        40110,
        ErrorCode::MediaObjectTagKeyNotFound,
        Some("MEDIA_OBJECT_TAG_KEY_NOT_FOUND"),
    ),
    (
        40111,
        ErrorCode::MediaObjectOperationNotSupported,
        Some("MEDIA_OBJECT_OPERATION_NOT_SUPPORTED"),
    ),
    (40200, ErrorCode::SdpCreateError, Some("SDP_CREATE_ERROR")),
    (40201, ErrorCode::SdpParseError, Some("SDP_PARSE_ERROR")),
    (
        40202,
        ErrorCode::SdpEndPointNoLocalSdpError,
        Some("SDP_END_POINT_NO_LOCAL_SDP_ERROR"),
    ),
    (
        40203,
        ErrorCode::SdpEndPointNoRemoteSdpError,
        Some("SDP_END_POINT_NO_REMOTE_SDP_ERROR"),
    ),
    (
        40204,
        ErrorCode::SdpEndPointGenerateOfferError,
        Some("SDP_END_POINT_GENERATE_OFFER_ERROR"),
    ),
    (
        40205,
        ErrorCode::SdpEndPointProcessOfferError,
        Some("SDP_END_POINT_PROCESS_OFFER_ERROR"),
    ),
    (
        40206,
        ErrorCode::SdpEndPointProcessAnswerError,
        Some("SDP_END_POINT_PROCESS_ANSWER_ERROR"),
    ),
    (
        40208,
        ErrorCode::SdpEndPointAlreadyNegotiated,
        Some("SDP_END_POINT_ALREADY_NEGOTIATED"),
    ),
    (
        40209,
        ErrorCode::SdpEndPointNotOfferGenerated,
        Some("SDP_END_POINT_NOT_OFFER_GENERATED"),
    ),
    (
        40210,
        ErrorCode::SdpEndPointAnswerAlreadyProccesed,
        Some("SDP_END_POINT_ANSWER_ALREADY_PROCCESED"),
    ),
    (
        40211,
        ErrorCode::SdpEndPointCannotCreateSesson,
        Some("SDP_END_POINT_CANNOT_CREATE_SESSON"),
    ),
    (
        40300,
        ErrorCode::HttpEndPointRegistrationError,
        Some("HTTP_END_POINT_REGISTRATION_ERROR"),
    ),
    (
        40400,
        ErrorCode::IceGatherCandidatesError,
        Some("ICE_GATHER_CANDIDATES_ERROR"),
    ),
    (
        40401,
        ErrorCode::IceAddCandidateError,
        Some("ICE_ADD_CANDIDATE_ERROR"),
    ),
    (
        40500,
        ErrorCode::ServerManagerErrorKmdNotFound,
        Some("SERVER_MANAGER_ERROR_KMD_NOT_FOUND"),
    ),
    (
        40600,
        ErrorCode::UriPathFileNotFound,
        Some("URI_PATH_FILE_NOT_FOUND"),
    ),
    (40700, ErrorCode::PlayerSeekFail, Some("PLAYER_SEEK_FAIL")),
];

impl ErrorCode {
    /// The numeric code on the wire.
    pub fn code(self) -> i32 {
        TABLE
            .iter()
            .find(|(_, c, _)| *c == self)
            .map_or(-32603, |(n, _, _)| *n)
    }

    /// The `data.type` KMS sends with this code, if it sends one.
    pub fn type_name(self) -> Option<&'static str> {
        TABLE
            .iter()
            .find(|(_, c, _)| *c == self)
            .and_then(|(_, _, t)| *t)
    }

    /// The variant for a numeric code, if KMS defines it.
    pub fn from_code(code: i32) -> Option<Self> {
        TABLE
            .iter()
            .find(|(n, _, _)| *n == code)
            .map(|(_, c, _)| *c)
    }
}

/// A JSON-RPC error object: `{"code", "message", "data"?}`.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    /// `code`: the numeric error code (see [`ErrorCode`] for the ones KMS defines).
    pub code: i32,
    /// `message`: the human-readable text, e.g. `"Object 'x' not found"`.
    pub message: String,
    /// `data`: extra detail; KMS puts `{"type": "<NAME>"}` here for its 4xxxx codes.
    pub data: Option<Value>,
}

impl RpcError {
    /// The error as KMS would send it for `code`: with `data.type` where KMS sets one.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code: code.code(),
            message: message.into(),
            data: code.type_name().map(|t| json!({ "type": t })),
        }
    }

    /// The known code, if this is one KMS defines.
    pub fn kind(&self) -> Option<ErrorCode> {
        ErrorCode::from_code(self.code)
    }

    /// Whether this error is `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code.code()
    }

    /// `data.type`, when present.
    pub fn error_type(&self) -> Option<&str> {
        self.data.as_ref()?.get("type")?.as_str()
    }

    pub(crate) fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("code".into(), self.code.into());
        m.insert("message".into(), self.message.clone().into());
        if let Some(d) = &self.data {
            m.insert("data".into(), d.clone());
        }
        Value::Object(m)
    }

    pub(crate) fn from_value(v: &Value) -> Option<Self> {
        let o = v.as_object()?;
        let code = i32::try_from(o.get("code")?.as_i64()?).ok()?;
        let message = o
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Some(Self {
            code,
            message,
            data: o.get("data").cloned(),
        })
    }

    // Shorthands for the errors the method parsers raise, worded as KMS words them.
    pub(crate) fn params_required() -> Self {
        Self::new(ErrorCode::InvalidParams, "'params' is required")
    }
    pub(crate) fn param_required(name: &str) -> Self {
        Self::new(
            ErrorCode::ServerError,
            format!("'{name}' parameter is required"),
        )
    }
    pub(crate) fn param_type(name: &str, ty: &str) -> Self {
        Self::new(
            ErrorCode::ServerError,
            format!("'{name}' parameter should be {ty}"),
        )
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.error_type() {
            Some(t) => write!(f, "{} ({} {})", self.message, self.code, t),
            None => write!(f, "{} ({})", self.message, self.code),
        }
    }
}

impl std::error::Error for RpcError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_carry_kms_type_names() {
        for (n, c, t) in TABLE {
            assert_eq!(c.code(), *n);
            assert_eq!(ErrorCode::from_code(*n), Some(*c));
            assert_eq!(c.type_name(), *t);
        }
        let e = RpcError::new(ErrorCode::MediaObjectNotFound, "Object 'x' not found");
        assert_eq!(
            e.to_value(),
            json!({"code":40101,"data":{"type":"MEDIA_OBJECT_NOT_FOUND"},"message":"Object 'x' not found"})
        );
        assert_eq!(
            RpcError::new(ErrorCode::MethodNotFound, "Method not found.").data,
            None
        );
    }
}
