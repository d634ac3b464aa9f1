//! Operations: the Prometheus metrics and counters, and what `/metrics` and `/readyz` report ([`probe`];
//! the endpoints themselves are `service_kit::ops`'s router, served on the bridge's own port).

pub(crate) mod counters;
pub(crate) mod metrics;
pub(crate) mod probe;
