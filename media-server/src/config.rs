//! Server configuration: every limit and period as a named value with its documented default.

use crate::engine::EngineConfig;
use crate::rpc::outbox::OutboxLimits;
use std::time::Duration;

/// A shared secret; its `Debug` output never shows it, so logging a [`Config`] leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthSecret(String);

impl AuthSecret {
    /// Wraps `secret`; the upgrade must then carry `Authorization: Bearer <secret>`.
    pub fn new(secret: impl Into<String>) -> Self {
        AuthSecret(secret.into())
    }

    /// The secret itself, to put in a client's `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AuthSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthSecret(<redacted>)")
    }
}

/// How the media server listens, collects and limits. `Default` matches KMS's defaults where KMS has one.
#[derive(Debug, Clone)]
pub struct Config {
    /// Media engine settings (ICE host-candidate interfaces, UDP port range, queue sizes).
    pub engine: EngineConfig,
    /// WebSocket path without the leading '/', compared as KMS does (query string ignored).
    /// Default: `kurento`.
    pub path: String,
    /// Garbage-collector period: a session not bound to an open connection is collected on the second
    /// run after it was last in use, i.e. between one and two periods later. Default: 240 s (KMS).
    pub gc_period: Duration,
    /// Largest accepted WebSocket message (and frame); bigger ones close the connection with 1009.
    /// Default: 32,000,000 bytes (websocketpp's default).
    pub max_frame_bytes: usize,
    /// Most media objects (pipelines plus endpoints) alive at once; `create` beyond it gets 40009.
    /// Default: 10,000.
    pub max_objects: usize,
    /// Most registered sessions at once; a request that would register another gets 40009. Clients
    /// choose session ids, so without a bound a client could fill memory with them until the garbage
    /// collector runs. Default: 10,000.
    pub max_sessions: usize,
    /// Most WebSocket connections open at once; more wait in the listen backlog. Default: 1,024.
    pub max_connections: usize,
    /// Most WebSocket connections open at once from one address (IPv4) or IPv6 /64; more are closed on
    /// accept, so one local process cannot take every slot. Default: 256.
    pub max_connections_per_ip: usize,
    /// Bounds of each connection's outgoing events: a queue per pipeline of `per_pipeline` frames
    /// (64), `reserved` of them (16) kept for events other than `IceCandidateFound`, and at most
    /// `max_queues` pipelines (512) waiting at once, so at most 32,768 frames per connection. A full
    /// queue drops that pipeline's events only (counted in `ServerStats::event_drops`).
    pub event_queues: OutboxLimits,
    /// Web origins (`scheme://host[:port]`, compared without case) whose pages may open the WebSocket.
    /// An upgrade carrying any other `Origin` header gets HTTP 403: browsers let every page connect to
    /// any host, loopback included, so without this rule any page an operator opens could list and
    /// release every pipeline. Clients outside a browser (the gateway, kurento-client on Node) send no
    /// `Origin` and are not affected. Default: empty (no browser page may connect).
    pub allowed_origins: Vec<String>,
    /// When set, every WebSocket upgrade must carry `Authorization: Bearer <secret>` (compared in
    /// constant time); others get HTTP 401. KMS's health check (an upgrade without a key) still gets its
    /// HTTP 500. Default: `None` (no secret, as KMS).
    pub auth_secret: Option<AuthSecret>,
    /// Time a client gets to send its HTTP upgrade request. Default: 10 s.
    pub handshake_timeout: Duration,
    /// How long shutdown waits for connections to close before it releases every pipeline anyway and
    /// returns. Default: 5 s.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            engine: EngineConfig::default(),
            path: "kurento".into(),
            gc_period: Duration::from_secs(240),
            max_frame_bytes: 32_000_000,
            max_objects: 10_000,
            max_sessions: 10_000,
            max_connections: 1024,
            max_connections_per_ip: 256,
            event_queues: OutboxLimits::default(),
            allowed_origins: Vec::new(),
            auth_secret: None,
            handshake_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}
