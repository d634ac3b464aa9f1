//! The Kurento JSON-RPC protocol (KMS 7.x) as a pure library: the envelope, the verbs, every operation,
//! constructor and event the hello world speaks (typed once, used by both ends), `onEvent` payloads,
//! complex types, error codes, and the client state machine.
//!
//! Invariant: this crate does no I/O, spawns nothing and reads no clock. Callers pass time in and move
//! frames over their own sockets, so both the gateway (client side) and the embedded media server (server
//! side) share these types, and every behaviour is testable from transcripts.
#![forbid(unsafe_code)]

pub mod class;
pub mod client;
pub mod constructor;
pub mod created;
pub mod error;
pub mod event;
pub mod ids;
pub mod jsonrpc;
pub mod operation;
mod params;
pub mod request;
pub mod stats;
pub mod transcript;
pub mod types;

pub use class::{EventType, Factory, RemoteClass};
pub use constructor::{CertificateKeyType, Constructor, WebRtcEndpointParams};
pub use created::transaction_results;
pub use ids::{NEWREF_PREFIX, ObjectId, ObjectRef, RpcSessionId};
pub use operation::{
    MediaObjectOp, Operation, PropertyKind, ServerManagerOp, WebRtcEndpointOp, WebRtcProperty,
    method_not_found,
};

pub use client::{
    Client, ClientConfig, FrameError, HandshakeStep, Output, RequestError, RequestId,
    RpcSessionLostReason,
};
pub use error::{ErrorCode, RpcError};
pub use event::{Event, EventData};
pub use jsonrpc::{DecodeError, Id, Message, RawRequest, Response};
pub use request::{Method, Request, SERVER_MANAGER};
pub use stats::{RtpDirection, RtpStreamStats, StatsReport};
pub use types::{IceCandidate, IceCandidatePair, IceComponentState, MediaType, ServerInfo};
