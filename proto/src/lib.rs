//! The MediaSession gRPC API: generated messages, clients and servers for `mediasession.v1`.
//!
//! `proto/mediasession/v1/media_session.proto` (the MediaSession service) and `session_admin.proto` (the
//! operators' SessionAdmin service) are the only definition of the public API; this crate only compiles them.
#![forbid(unsafe_code)]

pub mod codec;

/// Generated code for package `mediasession.v1`.
pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("mediasession.v1");
}

/// The encoded `FileDescriptorSet` of the API, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/mediasession_v1_descriptor.bin"));
