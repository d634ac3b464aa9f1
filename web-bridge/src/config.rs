//! The bridge's configuration: where the gateway is, how to serve (TLS or plain), what the page gets, and limits.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;
use crate::ops::counters::Counters;

/// Everything `run` needs besides its listener. `Config::default()` is a working local setup.
#[derive(Debug, Clone)]
pub struct Config {
    /// The MediaSession gRPC endpoint, e.g. `http://127.0.0.1:50051`; `https://` uses TLS.
    pub gateway: String,
    /// Sent as `authorization: Bearer <token>` on every gateway call when set.
    pub gateway_token: Option<GatewayToken>,
    /// A PEM CA certificate to trust for an `https://` gateway besides the system's roots (a private CA).
    pub gateway_ca: Option<PathBuf>,
    /// How HTTP is served.
    pub tls: TlsMode,
    /// Serve the page from this folder instead of the copy embedded in the binary (for editing the page live).
    pub static_dir: Option<PathBuf>,
    /// Origins (e.g. `https://demo.example:8443`) allowed to open the WebSocket besides the listen address's own
    /// (`http(s)://127.0.0.1:PORT`, `http(s)://localhost:PORT`). The Host header is never trusted for this.
    pub allowed_origins: Vec<String>,
    /// STUN/TURN servers handed to the page through `GET /config.json`.
    pub ice_servers: Vec<IceServer>,
    /// Also hand the page the ICE servers that carry a username and credential (TURN). Off by default:
    /// `/config.json` is unauthenticated, so anyone who can reach it would get the TURN credentials.
    pub expose_turn_credentials: bool,
    /// The page's `RTCPeerConnection` `iceTransportPolicy`, handed over in `/config.json`: `Relay` makes
    /// browsers use only TURN relay candidates (to prove or force the relay path); `All`, the browsers'
    /// own default, leaves the key out.
    pub ice_transport_policy: IceTransportPolicy,
    /// When set, every WHIP request but OPTIONS must carry `Authorization: Bearer <token>` (else 401), and
    /// TURN entries of `ice_servers` are handed to WHIP clients in `Link` headers.
    pub whip_token: Option<WhipToken>,
    /// Every bound the bridge enforces.
    pub limits: Limits,
    /// Live counts; clone this handle before passing the config to `run` to watch them.
    pub counters: Counters,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            gateway: DEFAULT_GATEWAY.to_owned(),
            gateway_token: None,
            gateway_ca: None,
            tls: TlsMode::SelfSigned,
            static_dir: None,
            allowed_origins: Vec::new(),
            ice_servers: Vec::new(),
            expose_turn_credentials: false,
            ice_transport_policy: IceTransportPolicy::All,
            whip_token: None,
            limits: Limits::default(),
            counters: Counters::default(),
        }
    }
}

/// Which candidates the page's browser may use (WebRTC's `RTCIceTransportPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum IceTransportPolicy {
    /// Every candidate: host, server-reflexive and relay (the browsers' default).
    #[default]
    All,
    /// Only TURN relay candidates: media always goes through the TURN server.
    Relay,
}

impl IceTransportPolicy {
    /// The value for `/config.json`, `None` for the browsers' default.
    pub(crate) fn page_value(self) -> Option<&'static str> {
        match self {
            IceTransportPolicy::All => None,
            IceTransportPolicy::Relay => Some("relay"),
        }
    }
}

/// Where the gateway listens unless told otherwise.
pub const DEFAULT_GATEWAY: &str = "http://127.0.0.1:50051";

/// The gateway's bearer token. Its `Debug` hides the value, so configs can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct GatewayToken(String);

impl GatewayToken {
    /// Wraps a token; `Config::gateway_token` sends it as `authorization: Bearer <token>`.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for GatewayToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GatewayToken(<redacted>)")
    }
}

/// The bearer token WHIP clients must present. Its `Debug` hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct WhipToken(String);

impl WhipToken {
    /// Wraps a token; `Config::whip_token` then requires `Authorization: Bearer <token>` on WHIP requests.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for WhipToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WhipToken(<redacted>)")
    }
}

/// How the HTTP listener is secured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// A certificate for `localhost` and `127.0.0.1` generated at start (browsers warn; tests ignore it).
    SelfSigned,
    /// PEM files: a certificate chain and its private key.
    Files {
        /// The PEM certificate chain, leaf first.
        cert: PathBuf,
        /// The PEM private key of the leaf certificate.
        key: PathBuf,
    },
    /// Plain HTTP, for running behind a proxy that terminates TLS. Browsers need a secure context for the
    /// camera, so only use this behind such a proxy or on `localhost`.
    Plain,
}

/// One entry of RTCPeerConnection's `iceServers`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IceServer {
    /// The server's URL: `stun:host:port`, `turn:host:port` (or `stuns:`, `turns:`).
    pub urls: String,
    /// The TURN username, when the server needs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The TURN credential, given together with `username`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

impl IceServer {
    /// Whether this entry carries a username and credential (which `/config.json` withholds by default).
    pub fn has_credentials(&self) -> bool {
        self.username.is_some() || self.credential.is_some()
    }
}

impl std::str::FromStr for IceServer {
    type Err = String;

    /// `stun:host:port`, or `turn:host:port,username,credential` (commas cannot appear in ICE URLs).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split(',');
        let urls = parts.next().unwrap_or_default().trim().to_owned();
        if !(urls.starts_with("stun:")
            || urls.starts_with("stuns:")
            || urls.starts_with("turn:")
            || urls.starts_with("turns:"))
        {
            return Err(format!(
                "ICE server {s:?} must start with stun:, stuns:, turn: or turns:"
            ));
        }
        let username = parts.next().map(str::to_owned);
        let credential = parts.next().map(str::to_owned);
        if parts.next().is_some() || username.is_some() != credential.is_some() {
            return Err(format!(
                "ICE server {s:?} must be URL or URL,username,credential"
            ));
        }
        Ok(Self {
            urls,
            username,
            credential,
        })
    }
}

/// Every bound the bridge enforces, each with a default sized for real browsers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest WebSocket message accepted and answered with `error` (Chromium's offers are 5–10 KiB).
    pub max_message_bytes: usize,
    /// Messages a browser may send per second on average (Start, Stop and a few dozen candidates per call).
    pub messages_per_second: u32,
    /// Messages a browser may send in one burst above that rate.
    pub message_burst: u32,
    /// Browser candidates held per call while Start is in flight or the gateway is slow to take them.
    pub max_pending_candidates: usize,
    /// Messages queued towards one browser before the bridge stops reading the gateway's event stream.
    pub outgoing_queue: usize,
    /// WebSocket connections open at once; further upgrades get 503.
    pub max_sockets: usize,
    /// How long Start may take (the gateway's own deadline is usually shorter).
    pub start_timeout: Duration,
    /// How long AddIceCandidate or Stop may take.
    pub call_timeout: Duration,
    /// How long a client may take to finish the TLS handshake. Must not be zero.
    pub tls_handshake_timeout: Duration,
    /// How long a client may take to send a request's headers (hyper's header read timeout, also the idle
    /// time allowed between requests on a kept-alive connection). Must not be zero.
    pub header_read_timeout: Duration,
    /// HTTP connections (WebSockets included, on every listener) open at once; more are closed at once.
    /// Must not be zero.
    pub max_connections: usize,
    /// HTTP connections open at once from one IP address (one /64 for IPv6); more are closed at once.
    /// Must not be zero.
    pub max_connections_per_ip: usize,
    /// How long a WebSocket may hold no session (never sent `start`, or stopped) before it is closed with
    /// 1008, so idle sockets cannot fill `max_sockets`. Must not be zero.
    pub idle_socket_timeout: Duration,
    /// How often a WebSocket is pinged. Must not be zero.
    pub ping_interval: Duration,
    /// How long a browser may stay silent after a ping before its socket is closed and its session stopped.
    /// Any frame counts as an answer, not only the pong; a dead browser is found within `ping_interval` plus
    /// this. Must not be zero.
    pub pong_timeout: Duration,
    /// How long one send to a browser (the frame written and flushed) may take before the socket is closed and
    /// its session stopped: a browser that stopped reading cannot hold its session, or the drain, for longer.
    /// Must not be zero.
    pub send_timeout: Duration,
    /// How long `run` waits, after shutdown, for sockets to stop their calls.
    pub shutdown_grace: Duration,
    /// How long a call whose WebSocket dropped without `stop` waits for its page to reconnect and resume it
    /// (with the token its `startResponse` carried) before it is stopped. Zero turns re-attach off: calls stop
    /// when their socket closes, and no token is handed out.
    pub resume_grace: Duration,
    /// Calls waiting to be resumed at once; a socket that drops while this many wait has its call stopped at
    /// once, so pages that start and drop in a loop cannot hold sessions past their sockets.
    pub max_parked_calls: usize,
    /// WHIP resources (each one gateway session) held at once, Starts in flight included; more POSTs get
    /// 503 with Retry-After. Must not be zero.
    pub whip_max_resources: usize,
    /// How long a WHIP resource may go without media flowing into the media server (from its creation, or
    /// since the last media stopped) before its session is stopped: a WHIP client that left without DELETE
    /// shows no other sign. Must not be zero.
    pub whip_idle_timeout: Duration,
    /// Largest WHIP request body read (an offer or a trickle fragment); a larger one gets 413.
    pub whip_max_body_bytes: usize,
    /// Candidates one WHIP PATCH may carry (a browser gathers a handful per network interface).
    pub whip_max_candidates: usize,
    /// How long `/readyz` reuses the gateway's last health answer, so frequent probes do not each cost a call.
    pub readiness_cache: Duration,
    /// How long the gateway's health Check may take before `/readyz` reports it as not answering.
    pub readiness_timeout: Duration,
}

impl Limits {
    /// Refuses the zeroes that would break the bridge (or silently switch a protection off) rather than
    /// merely tighten it.
    pub(crate) fn check(&self) -> Result<(), Error> {
        for (name, value) in [
            ("ping_interval", self.ping_interval),
            ("pong_timeout", self.pong_timeout),
            ("send_timeout", self.send_timeout),
            ("tls_handshake_timeout", self.tls_handshake_timeout),
            ("header_read_timeout", self.header_read_timeout),
            ("idle_socket_timeout", self.idle_socket_timeout),
            ("whip_idle_timeout", self.whip_idle_timeout),
        ] {
            if value.is_zero() {
                return Err(Error::ZeroLimit(name));
            }
        }
        for (name, value) in [
            ("max_sockets", self.max_sockets),
            ("max_connections", self.max_connections),
            ("max_connections_per_ip", self.max_connections_per_ip),
            ("whip_max_resources", self.whip_max_resources),
        ] {
            if value == 0 {
                return Err(Error::ZeroLimit(name));
            }
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 64 * 1024,
            messages_per_second: 50,
            message_burst: 200,
            max_pending_candidates: 128,
            outgoing_queue: 64,
            max_sockets: 1024,
            start_timeout: Duration::from_secs(30),
            call_timeout: Duration::from_secs(10),
            tls_handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 2048,
            max_connections_per_ip: 128,
            idle_socket_timeout: Duration::from_secs(60),
            ping_interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(20),
            send_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(15),
            resume_grace: Duration::from_secs(30),
            max_parked_calls: 256,
            whip_max_resources: 256,
            whip_idle_timeout: Duration::from_secs(30),
            whip_max_body_bytes: 64 * 1024,
            whip_max_candidates: 64,
            readiness_cache: Duration::from_secs(2),
            readiness_timeout: Duration::from_secs(1),
        }
    }
}
