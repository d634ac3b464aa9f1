//! HTTP serving: the TLS accept loop, the routes, the page's files and the server certificate.

pub(crate) mod assets;
pub(crate) mod routes;
pub(crate) mod serve;
pub(crate) mod tls;
