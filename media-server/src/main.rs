//! `media-server`: the embedded Kurento-compatible media server as a process: flags, tracing, bind, and
//! the library's server until SIGINT or SIGTERM, which close its connections and release every pipeline.

use anyhow::{Context, bail};
use clap::Parser;
use media_server::{AuthSecret, Config};
use service_kit::{Flags, LogFormat, secs};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;

/// A Kurento-protocol (KMS 7.x JSON-RPC over WebSocket) WebRTC media server.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address for the Kurento WebSocket.
    #[arg(long, env = "MEDIA_SERVER_LISTEN", default_value = "127.0.0.1:8888")]
    listen: SocketAddr,
    /// WebSocket path, without the leading '/' (KMS: mediaServer.net.websocket.path).
    #[arg(long, env = "MEDIA_SERVER_PATH", default_value = "kurento")]
    path: String,
    /// Comma-separated IP addresses to gather ICE host candidates on.
    #[arg(
        long,
        env = "MEDIA_SERVER_INTERFACES",
        value_delimiter = ',',
        default_value = "127.0.0.1"
    )]
    interfaces: Vec<IpAddr>,
    /// UDP port range for media, "MIN-MAX" (default: any port the OS gives); one socket per endpoint.
    #[arg(long, env = "MEDIA_SERVER_PORT_RANGE")]
    port_range: Option<String>,
    /// One-port mode: serve every endpoint on this single UDP port (per interface), demultiplexed by
    /// ICE credentials; 0 lets the OS pick one. Instead of --port-range.
    #[arg(long, env = "MEDIA_SERVER_UDP_PORT")]
    udp_port: Option<String>,
    /// IPv4 address advertised in host candidates in place of the IPv4 interface's (KMS externalIPv4):
    /// the public address of a 1:1 NAT or the Docker host. An interface may then be 0.0.0.0.
    #[arg(long, env = "MEDIA_SERVER_EXTERNAL_IPV4")]
    external_ipv4: Option<String>,
    /// IPv6 address advertised in host candidates in place of the IPv6 interface's (KMS externalIPv6).
    #[arg(long, env = "MEDIA_SERVER_EXTERNAL_IPV6")]
    external_ipv6: Option<String>,
    /// STUN server (`host:port`) each media socket asks for its server-reflexive address, added as a
    /// `srflx` candidate (KMS stunServerAddress/stunServerPort). Resolved once at start-up.
    #[arg(long, env = "MEDIA_SERVER_STUN_SERVER")]
    stun_server: Option<String>,
    /// Seconds one STUN query may take before endpoints go on with host candidates only.
    #[arg(long, env = "MEDIA_SERVER_STUN_TIMEOUT_SECS", default_value_t = 2,
        value_parser = clap::value_parser!(u64).range(1..=30))]
    stun_timeout_secs: u64,
    /// Garbage-collector period in seconds: sessions whose connection closed are released 1-2 periods later.
    #[arg(long, env = "MEDIA_SERVER_GC_PERIOD_SECS", default_value_t = 240)]
    gc_period_secs: u64,
    /// Largest accepted WebSocket message in bytes.
    #[arg(
        long,
        env = "MEDIA_SERVER_MAX_FRAME_BYTES",
        default_value_t = 32_000_000
    )]
    max_frame_bytes: usize,
    /// Most media objects (pipelines and endpoints) alive at once.
    #[arg(long, env = "MEDIA_SERVER_MAX_OBJECTS", default_value_t = 10_000)]
    max_objects: usize,
    /// Most sessions registered at once (clients choose session ids, so this bounds them).
    #[arg(long, env = "MEDIA_SERVER_MAX_SESSIONS", default_value_t = 10_000)]
    max_sessions: usize,
    /// Most WebSocket connections open at once; more wait in the listen backlog.
    #[arg(long, env = "MEDIA_SERVER_MAX_CONNECTIONS", default_value_t = Config::default().max_connections)]
    max_connections: usize,
    /// Most WebSocket connections open at once from one address (IPv4) or IPv6 /64; more are closed.
    #[arg(
        long,
        env = "MEDIA_SERVER_MAX_CONNECTIONS_PER_IP",
        default_value_t = Config::default().max_connections_per_ip
    )]
    max_connections_per_ip: usize,
    /// Seconds a client gets to send its HTTP upgrade request.
    #[arg(
        long,
        env = "MEDIA_SERVER_HANDSHAKE_TIMEOUT_SECS",
        default_value_t = Config::default().handshake_timeout.as_secs()
    )]
    handshake_timeout_secs: u64,
    /// Seconds SIGTERM or ctrl-c waits for connections to close before every pipeline is released and the
    /// process exits.
    #[arg(long, env = "MEDIA_SERVER_SHUTDOWN_GRACE_SECS", default_value_t = 5)]
    shutdown_grace_secs: u64,
    /// Take remote ICE candidates with loopback, private (RFC 1918, fc00::/7) or link-local addresses;
    /// without it they are ignored and such peers connect through their own checks (peer-reflexive).
    #[arg(long, env = "MEDIA_SERVER_ALLOW_PRIVATE_CANDIDATES")]
    allow_private_candidates: bool,
    /// Most remote ICE candidates one endpoint keeps (offer and trickle together).
    #[arg(long, env = "MEDIA_SERVER_MAX_REMOTE_CANDIDATES", default_value_t = 64)]
    max_remote_candidates: usize,
    /// Comma-separated web origins (e.g. https://app.example) whose pages may open the WebSocket; an
    /// upgrade with any other Origin header gets 403. Default: none (clients outside browsers send none).
    #[arg(long, env = "MEDIA_SERVER_ALLOWED_ORIGINS", value_delimiter = ',')]
    allowed_origins: Vec<String>,
    /// Shared secret every WebSocket upgrade must carry as `Authorization: Bearer <secret>` (else 401).
    /// Prefer the environment variable: command lines are visible to other local users.
    #[arg(long, env = "MEDIA_SERVER_AUTH_SECRET", hide_env_values = true)]
    auth_secret: Option<String>,
    /// Log line format; the filter comes from RUST_LOG (default `info`).
    #[arg(long, env = "MEDIA_SERVER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

fn parse_range(s: &str) -> anyhow::Result<RangeInclusive<u16>> {
    let (a, b) = s
        .split_once('-')
        .context("port range must look like MIN-MAX")?;
    let (a, b): (u16, u16) = (a.trim().parse()?, b.trim().parse()?);
    if a == 0 || a > b {
        bail!("invalid port range {s}");
    }
    Ok(a..=b)
}

/// `value` parsed, with an empty one (docker compose's unset `${VAR:-}`) meaning unset.
fn optional<T: std::str::FromStr>(value: Option<String>, name: &str) -> anyhow::Result<Option<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .with_context(|| format!("invalid {name} {v:?}")),
    }
}

/// `host:port` of the STUN server, resolved to an address of the interfaces' family (IPv4 first).
fn resolve_stun(server: &str, interfaces: &[IpAddr]) -> anyhow::Result<SocketAddr> {
    use std::net::ToSocketAddrs as _;
    let addrs: Vec<SocketAddr> = server
        .to_socket_addrs()
        .with_context(|| format!("invalid --stun-server {server:?} (host:port)"))?
        .collect();
    let v4 = interfaces.iter().any(IpAddr::is_ipv4);
    addrs
        .iter()
        .find(|a| a.is_ipv4() == v4)
        .or(addrs.first())
        .copied()
        .with_context(|| format!("--stun-server {server:?} resolves to no address"))
}

impl Flags for Args {
    type Config = Config;

    fn log_format(&self) -> LogFormat {
        self.log_format
    }

    fn into_config(self) -> anyhow::Result<Config> {
        for (flag, value) in [
            ("max-connections", self.max_connections),
            ("max-connections-per-ip", self.max_connections_per_ip),
            (
                "handshake-timeout-secs",
                self.handshake_timeout_secs as usize,
            ),
        ] {
            if value == 0 {
                bail!("--{flag} must be at least 1");
            }
        }
        let mut config = Config {
            path: self.path.trim_start_matches('/').to_owned(),
            gc_period: secs(self.gc_period_secs.max(1)),
            max_frame_bytes: self.max_frame_bytes,
            max_objects: self.max_objects,
            max_sessions: self.max_sessions,
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            handshake_timeout: secs(self.handshake_timeout_secs),
            shutdown_grace: secs(self.shutdown_grace_secs),
            allowed_origins: self
                .allowed_origins
                .into_iter()
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            auth_secret: self
                .auth_secret
                .filter(|s| !s.is_empty())
                .map(AuthSecret::new),
            ..Config::default()
        };
        config.engine.interfaces = self.interfaces;
        config.engine.allow_private_candidates = self.allow_private_candidates;
        config.engine.max_remote_candidates = self.max_remote_candidates;
        let port_range = self.port_range.filter(|r| !r.trim().is_empty());
        config.engine.port_range = port_range.as_deref().map(parse_range).transpose()?;
        config.engine.udp_port = optional::<u16>(self.udp_port, "--udp-port")?;
        if config.engine.udp_port.is_some() && config.engine.port_range.is_some() {
            bail!(
                "--udp-port and --port-range exclude each other: one shared port, or one per endpoint"
            );
        }
        config.engine.external_ipv4 = optional::<Ipv4Addr>(self.external_ipv4, "--external-ipv4")?;
        config.engine.external_ipv6 = optional::<Ipv6Addr>(self.external_ipv6, "--external-ipv6")?;
        config.engine.stun_server = match self.stun_server.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(server) => Some(resolve_stun(server, &config.engine.interfaces)?),
        };
        config.engine.stun_timeout = secs(self.stun_timeout_secs);
        // A wildcard interface is only reachable through the address announced in its place.
        for ip in &config.engine.interfaces {
            let announced = match ip {
                IpAddr::V4(_) => config.engine.external_ipv4.is_some(),
                IpAddr::V6(_) => config.engine.external_ipv6.is_some(),
            };
            if ip.is_unspecified() && !announced {
                bail!(
                    "interface {ip} needs --external-ipv4/--external-ipv6 for its family: its host candidates name that address"
                );
            }
        }
        Ok(config)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::init("info");
    let shutdown = service_kit::shutdown_on_signal();
    let listen = args.listen;
    let config = args.into_config()?;
    let listener = service_kit::bind(listen, "Kurento WebSocket").await?;
    let addr = listener.local_addr()?;
    // stdout carries only the URL, for scripts.
    service_kit::say(&format!("ws://{addr}/{}", config.path));
    tracing::info!("Kurento JSON-RPC on ws://{addr}/{}", config.path);
    media_server::run(listener, config, shutdown).await?;
    Ok(())
}
