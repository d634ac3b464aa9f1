//! The operations endpoints: the metric families (`metrics.rs`) and the plain-HTTP listener serving
//! /metrics, /healthz and /readyz (`probes.rs`).

pub(crate) mod metrics;
pub(crate) mod probes;
