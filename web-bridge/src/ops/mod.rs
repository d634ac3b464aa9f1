//! Operations: the Prometheus metrics and counters, readiness, and the `/metrics`, `/healthz`, `/readyz`
//! endpoints.

pub(crate) mod counters;
pub(crate) mod endpoints;
pub(crate) mod metrics;
pub(crate) mod readiness;
