//! The `web-bridge` binary: parses flags, sets up logging, binds, and runs the bridge until SIGINT or SIGTERM,
//! which start its drain.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use service_kit::{Flags, LogFormat, secs};
use web_bridge::{Config, GatewayToken, IceServer, IceTransportPolicy, Limits, TlsMode, WhipToken};

/// Serves the WebRTC loopback demo page and bridges its WebSocket to the media gateway.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on: `HOST:PORT`, or a URL such as `https://0.0.0.0:8443/` whose host and port are used
    /// (the tutorial's `--as_uri`).
    #[arg(
        long,
        alias = "as_uri",
        alias = "as-uri",
        env = "WEB_BRIDGE_LISTEN",
        default_value = "0.0.0.0:8443"
    )]
    listen: String,
    /// The media gateway's gRPC address; `https://` connects with TLS.
    #[arg(long, env = "WEB_BRIDGE_GATEWAY", default_value = web_bridge::DEFAULT_GATEWAY)]
    gateway: String,
    /// Bearer token sent as `authorization: Bearer <token>` on every gateway call (the gateway's
    /// MEDIA_GATEWAY_AUTH_TOKEN). Empty means none.
    #[arg(long, env = "WEB_BRIDGE_GATEWAY_TOKEN", hide_env_values = true)]
    gateway_token: Option<String>,
    /// PEM CA certificate to trust for an `https://` gateway, besides the system's roots.
    #[arg(long, env = "WEB_BRIDGE_GATEWAY_CA")]
    gateway_ca: Option<PathBuf>,
    /// PEM certificate chain for HTTPS (with --tls-key). Without both, a self-signed one for localhost is made.
    #[arg(long, env = "WEB_BRIDGE_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (with --tls-cert).
    #[arg(long, env = "WEB_BRIDGE_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP, for running behind a proxy that terminates TLS.
    #[arg(long, env = "WEB_BRIDGE_PLAIN_HTTP", conflicts_with_all = ["tls_cert", "tls_key"])]
    plain_http: bool,
    /// Serve the page from this folder instead of the copy built into the binary.
    #[arg(long, env = "WEB_BRIDGE_STATIC_DIR")]
    static_dir: Option<PathBuf>,
    /// An origin (e.g. `https://demo.example:8443`) that may open the WebSocket besides the page's own.
    /// Repeatable, or comma-separated in the env var.
    #[arg(long, env = "WEB_BRIDGE_ALLOWED_ORIGIN", value_delimiter = ',')]
    allowed_origin: Vec<String>,
    /// A STUN/TURN server for the page: `stun:HOST:PORT` or `turn:HOST:PORT,USERNAME,CREDENTIAL`. Repeatable,
    /// or `;`-separated in the env var.
    #[arg(long, env = "WEB_BRIDGE_ICE_SERVER", value_delimiter = ';')]
    ice_server: Vec<IceServer>,
    /// Bearer token WHIP clients must send (`Authorization: Bearer <token>`) on POST, PATCH and DELETE /whip.
    /// Empty means none: anyone who can reach the port may publish.
    #[arg(long, env = "WEB_BRIDGE_WHIP_TOKEN", hide_env_values = true)]
    whip_token: Option<String>,
    /// WHIP resources (one gateway session each) held at once; more POSTs get 503 with Retry-After.
    #[arg(long, env = "WEB_BRIDGE_WHIP_MAX_RESOURCES",
        default_value_t = Limits::default().whip_max_resources as u64,
        value_parser = clap::value_parser!(u64).range(1..))]
    whip_max_resources: u64,
    /// Seconds a WHIP resource may go without media flowing in (from its creation, or since its media
    /// stopped) before its session is stopped.
    #[arg(long, env = "WEB_BRIDGE_WHIP_IDLE_TIMEOUT_SECS",
        default_value_t = Limits::default().whip_idle_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    whip_idle_timeout_secs: u64,
    /// Largest WebSocket message answered with an error instead of a closed socket.
    #[arg(long, env = "WEB_BRIDGE_MAX_MESSAGE_BYTES", default_value_t = Limits::default().max_message_bytes)]
    max_message_bytes: usize,
    /// Messages per second one browser may send on average.
    #[arg(long, env = "WEB_BRIDGE_MESSAGES_PER_SECOND", default_value_t = Limits::default().messages_per_second)]
    messages_per_second: u32,
    /// WebSocket connections open at once.
    #[arg(long, env = "WEB_BRIDGE_MAX_SOCKETS", default_value_t = Limits::default().max_sockets as u64,
        value_parser = clap::value_parser!(u64).range(1..))]
    max_sockets: u64,
    /// HTTP connections open at once (WebSockets and TLS handshakes included); more are closed on accept.
    #[arg(long, env = "WEB_BRIDGE_MAX_CONNECTIONS", default_value_t = Limits::default().max_connections as u64,
        value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// HTTP connections open at once from one IP address (one /64 for IPv6); more are closed on accept.
    #[arg(long, env = "WEB_BRIDGE_MAX_CONNECTIONS_PER_IP",
        default_value_t = Limits::default().max_connections_per_ip as u64,
        value_parser = clap::value_parser!(u64).range(1..))]
    max_connections_per_ip: u64,
    /// Seconds a client may take to send a request's headers (and to start the next on a kept-alive connection).
    #[arg(long, env = "WEB_BRIDGE_HEADER_READ_TIMEOUT_SECS",
        default_value_t = Limits::default().header_read_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    header_read_timeout_secs: u64,
    /// Seconds a client may take to finish the TLS handshake.
    #[arg(long, env = "WEB_BRIDGE_TLS_HANDSHAKE_TIMEOUT_SECS",
        default_value_t = Limits::default().tls_handshake_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    tls_handshake_timeout_secs: u64,
    /// Seconds a WebSocket may hold no session (never sent `start`, or stopped) before it is closed (1008).
    #[arg(long, env = "WEB_BRIDGE_IDLE_SOCKET_TIMEOUT_SECS",
        default_value_t = Limits::default().idle_socket_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    idle_socket_timeout_secs: u64,
    /// Serve `/metrics` (with `/healthz` and `/readyz`) on this `HOST:PORT`, plain HTTP, and no longer on the
    /// public port.
    #[arg(long, env = "WEB_BRIDGE_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Also serve ICE servers that carry a username and credential at `/config.json`, which anyone who can
    /// load the page can read. Off: only entries without credentials are served.
    #[arg(long, env = "WEB_BRIDGE_EXPOSE_TURN_CREDENTIALS")]
    expose_turn_credentials: bool,
    /// Seconds a call whose WebSocket dropped waits for its page to reconnect and resume it before it is
    /// stopped; 0 turns re-attach off (calls stop when their socket closes).
    #[arg(long, env = "WEB_BRIDGE_RESUME_GRACE_SECS", default_value_t = Limits::default().resume_grace.as_secs())]
    resume_grace_secs: u64,
    /// Calls waiting to be resumed at once; past this, a dropped socket's call is stopped at once.
    #[arg(long, env = "WEB_BRIDGE_MAX_PARKED_CALLS", default_value_t = Limits::default().max_parked_calls)]
    max_parked_calls: usize,
    /// The page's `iceTransportPolicy` (in `/config.json`): `relay` makes browsers send media only through
    /// the TURN servers they are given; `all` is the browsers' default.
    #[arg(long, env = "WEB_BRIDGE_ICE_TRANSPORT_POLICY", value_enum, default_value_t = IceTransportPolicy::All)]
    ice_transport_policy: IceTransportPolicy,
    /// Seconds to finish open sockets (stop their sessions) after SIGTERM before exiting.
    #[arg(long, env = "WEB_BRIDGE_SHUTDOWN_GRACE_SECS", default_value_t = Limits::default().shutdown_grace.as_secs())]
    shutdown_grace_secs: u64,
    /// Seconds between WebSocket pings (which also keep proxies from cutting a quiet socket).
    #[arg(long, env = "WEB_BRIDGE_PING_INTERVAL_SECS", default_value_t = Limits::default().ping_interval.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    ping_interval_secs: u64,
    /// Seconds a browser may stay silent after a ping before its socket is closed and its session stopped.
    #[arg(long, env = "WEB_BRIDGE_PONG_TIMEOUT_SECS", default_value_t = Limits::default().pong_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    pong_timeout_secs: u64,
    /// Seconds one send to a browser may take before its socket is closed and its session stopped.
    #[arg(long, env = "WEB_BRIDGE_SEND_TIMEOUT_SECS", default_value_t = Limits::default().send_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    send_timeout_secs: u64,
    /// Log line format; the filter comes from RUST_LOG (default `info`).
    #[arg(long, env = "WEB_BRIDGE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Seconds a Start may take.
    #[arg(long, env = "WEB_BRIDGE_START_TIMEOUT_SECS", default_value_t = Limits::default().start_timeout.as_secs())]
    start_timeout_secs: u64,
}

impl Flags for Args {
    type Config = Config;

    fn log_format(&self) -> LogFormat {
        self.log_format
    }

    fn into_config(self) -> anyhow::Result<Config> {
        let tls = match (self.plain_http, self.tls_cert, self.tls_key) {
            (true, _, _) => TlsMode::Plain,
            (false, Some(cert), Some(key)) => TlsMode::Files { cert, key },
            _ => TlsMode::SelfSigned,
        };
        Ok(Config {
            gateway: self.gateway,
            // Compose passes `${MEDIA_GATEWAY_AUTH_TOKEN:-}`: an empty value means no token.
            gateway_token: self
                .gateway_token
                .filter(|t| !t.trim().is_empty())
                .map(GatewayToken::new),
            gateway_ca: self.gateway_ca,
            tls,
            static_dir: self.static_dir,
            // docker compose passes an unset variable as an empty string: that lists nothing.
            allowed_origins: self
                .allowed_origin
                .into_iter()
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            ice_servers: self.ice_server,
            expose_turn_credentials: self.expose_turn_credentials,
            ice_transport_policy: self.ice_transport_policy,
            whip_token: self
                .whip_token
                .filter(|t| !t.trim().is_empty())
                .map(WhipToken::new),
            limits: Limits {
                max_message_bytes: self.max_message_bytes,
                messages_per_second: self.messages_per_second,
                max_sockets: count(self.max_sockets),
                max_connections: count(self.max_connections),
                max_connections_per_ip: count(self.max_connections_per_ip),
                whip_max_resources: count(self.whip_max_resources),
                whip_idle_timeout: secs(self.whip_idle_timeout_secs),
                header_read_timeout: secs(self.header_read_timeout_secs),
                tls_handshake_timeout: secs(self.tls_handshake_timeout_secs),
                idle_socket_timeout: secs(self.idle_socket_timeout_secs),
                start_timeout: secs(self.start_timeout_secs),
                shutdown_grace: secs(self.shutdown_grace_secs),
                resume_grace: secs(self.resume_grace_secs),
                max_parked_calls: self.max_parked_calls,
                ping_interval: secs(self.ping_interval_secs),
                pong_timeout: secs(self.pong_timeout_secs),
                send_timeout: secs(self.send_timeout_secs),
                ..Limits::default()
            },
            ..Config::default()
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::init("info");
    let shutdown = service_kit::shutdown_on_signal();
    let addr = listen_address(&args.listen)?;
    let metrics_addr = args.metrics_listen.clone();
    let config = args.into_config()?;
    let scheme = if config.tls == TlsMode::Plain {
        "http"
    } else {
        "https"
    };
    let listener = service_kit::bind(addr.as_str(), "page and WebSocket").await?;
    let local = listener.local_addr()?;
    let host = if local.ip().is_unspecified() {
        "localhost".to_owned()
    } else {
        local.ip().to_string()
    };
    // stdout carries only this line, for scripts; logs go to stderr.
    service_kit::say(&format!(
        "web-bridge: open {scheme}://{host}:{}/ (media gateway {})",
        local.port(),
        config.gateway
    ));
    let metrics = match metrics_addr {
        Some(addr) => Some(service_kit::bind(addr.as_str(), "metrics").await?),
        None => None,
    };
    let listeners = web_bridge::Listeners {
        page: listener,
        metrics,
    };
    web_bridge::run_with(listeners, config, shutdown).await?;
    Ok(())
}

/// A count flag (already at least 1) as a `usize`; beyond `usize` is as good as unlimited.
fn count(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// `HOST:PORT` as given, or the host and port of a URL (its scheme's default port when it names none).
fn listen_address(listen: &str) -> anyhow::Result<String> {
    if !listen.contains("://") {
        return Ok(listen.to_owned());
    }
    let url =
        url::Url::parse(listen).with_context(|| format!("--listen {listen:?} is not a URL"))?;
    let host = url.host_str().context("--listen URL has no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(8443);
    Ok(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}
