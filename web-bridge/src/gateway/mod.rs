//! The gateway client: the gRPC channel to the media gateway, its calls, and their errors as sentences.

pub(crate) mod channel;
pub(crate) mod client;
pub(crate) mod status_text;
