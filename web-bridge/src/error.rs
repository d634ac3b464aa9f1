//! The library's error type: what can stop the bridge from starting or serving.

use std::path::PathBuf;

/// Why `run` failed. Per-connection problems never surface here: they are logged and only end that connection.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read TLS file {path}: {source}")]
    TlsFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS file {path} holds no usable {what}")]
    TlsPem { path: PathBuf, what: &'static str },
    #[error("cannot build the TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("cannot generate a self-signed certificate: {0}")]
    SelfSigned(#[from] rcgen::Error),
    #[error("invalid gateway address {uri}: {reason}")]
    GatewayUri { uri: String, reason: String },
    #[error("the gateway token cannot be sent as a gRPC header: {0}")]
    GatewayToken(String),
    #[error("cannot read the gateway CA certificate {path}: {source}")]
    GatewayCa {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot set up TLS towards the gateway: {0}")]
    GatewayTls(String),
    #[error("static directory {path} is not readable: {source}")]
    StaticDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("listener failed: {0}")]
    Io(#[from] std::io::Error),
}
