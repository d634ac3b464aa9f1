//! The library's error type: what can stop the bridge from starting or serving.

use std::path::PathBuf;

/// Why `run` failed. Per-connection problems never surface here: they are logged and only end that connection.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A TLS certificate or key file could not be read.
    #[error("cannot read TLS file {path}: {source}")]
    TlsFile {
        /// The file given with `--tls-cert` or `--tls-key`.
        path: PathBuf,
        /// Why reading it failed.
        #[source]
        source: std::io::Error,
    },
    /// A TLS file was read but holds no PEM certificate (or key) rustls can use.
    #[error("TLS file {path} holds no usable {what}")]
    TlsPem {
        /// The file that was read.
        path: PathBuf,
        /// What was missing: `"certificate"` or `"private key"`.
        what: &'static str,
    },
    /// rustls refused the certificate, the key or the protocol versions.
    #[error("cannot build the TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The self-signed certificate for `localhost` could not be generated.
    #[error("cannot generate a self-signed certificate: {0}")]
    SelfSigned(#[from] rcgen::Error),
    /// `Config::gateway` is not an `http://` or `https://` URI.
    #[error("invalid gateway address {uri}: {reason}")]
    GatewayUri {
        /// The address as configured.
        uri: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The gateway token is empty or not visible ASCII, so it cannot be a header value.
    #[error("the gateway token cannot be sent as a gRPC header: {0}")]
    GatewayToken(String),
    /// The private CA certificate for the gateway could not be read.
    #[error("cannot read the gateway CA certificate {path}: {source}")]
    GatewayCa {
        /// The file given with `--gateway-ca`.
        path: PathBuf,
        /// Why reading it failed.
        #[source]
        source: std::io::Error,
    },
    /// TLS towards the gateway cannot be set up (for example a CA given for an `http://` gateway).
    #[error("cannot set up TLS towards the gateway: {0}")]
    GatewayTls(String),
    /// `--static-dir` does not exist or cannot be read.
    #[error("static directory {path} is not readable: {source}")]
    StaticDir {
        /// The folder as configured.
        path: PathBuf,
        /// Why it cannot be used.
        #[source]
        source: std::io::Error,
    },
    /// A limit that must be positive is zero (`ping_interval`, `pong_timeout`, `send_timeout`,
    /// `tls_handshake_timeout`, `header_read_timeout`, `idle_socket_timeout`, `max_sockets`, `max_connections`,
    /// `max_connections_per_ip`, `whip_max_resources` or `whip_idle_timeout`): a zero ping interval cannot be timed, a zero timeout would close every
    /// connection at once, and a zero cap would refuse everyone.
    #[error("the {0} limit must not be zero")]
    ZeroLimit(&'static str),
    /// An `allowed_origins` entry is not an origin such as `https://demo.example:8443`.
    #[error("allowed origin {0:?} is not an origin like https://host:port")]
    AllowedOrigin(String),
    /// The listener failed.
    #[error("listener failed: {0}")]
    Io(#[from] std::io::Error),
}
