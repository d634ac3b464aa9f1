//! The media server links: one Kurento JSON-RPC link task per media server (`kms/`) and the placement of
//! new sessions on the least-loaded one (`placement.rs`).

pub mod kms;
mod placement;

pub(crate) use placement::{Links, Placement};
