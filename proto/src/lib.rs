//! The MediaSession gRPC API: generated messages, client and server for `mediasession.v1`.
//!
//! `proto/mediasession/v1/media_session.proto` is the only definition of the public API; this crate only
//! compiles it.
#![forbid(unsafe_code)]

/// Generated code for package `mediasession.v1`.
pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("mediasession.v1");
}

/// The encoded `FileDescriptorSet` of the API, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/mediasession_v1_descriptor.bin"));
