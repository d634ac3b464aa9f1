//! HTTP serving: the TLS accept loop, the routes, the page's files, the server certificate, and what the
//! operator endpoints report (`probe.rs`, served by `service_kit::ops`'s router on the same port).

pub(crate) mod assets;
pub(crate) mod probe;
pub(crate) mod routes;
pub(crate) mod serve;
pub(crate) mod tls;
