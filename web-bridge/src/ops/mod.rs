//! Operations: the Prometheus metric families and the counters every part records into. A leaf: it
//! depends on no other module of the bridge (`http/probe.rs` reads it for `/metrics`).

pub(crate) mod counters;
pub(crate) mod metrics;
