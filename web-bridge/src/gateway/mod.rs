//! The gateway client: the gRPC channel to the media gateway, its calls, its health (cached for `/readyz`),
//! and their errors as sentences.

pub(crate) mod channel;
pub(crate) mod client;
pub(crate) mod health;
pub(crate) mod status_text;
