//! The `web-bridge` binary: parses flags, sets up logging, binds, and runs the bridge until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use tokio_util::sync::CancellationToken;
use web_bridge::{Config, GatewayToken, IceServer, Limits, TlsMode};

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
    /// Largest WebSocket message answered with an error instead of a closed socket.
    #[arg(long, env = "WEB_BRIDGE_MAX_MESSAGE_BYTES", default_value_t = Limits::default().max_message_bytes)]
    max_message_bytes: usize,
    /// Messages per second one browser may send on average.
    #[arg(long, env = "WEB_BRIDGE_MESSAGES_PER_SECOND", default_value_t = Limits::default().messages_per_second)]
    messages_per_second: u32,
    /// WebSocket connections open at once.
    #[arg(long, env = "WEB_BRIDGE_MAX_SOCKETS", default_value_t = Limits::default().max_sockets)]
    max_sockets: usize,
    /// Seconds to finish open sockets (stop their sessions) after SIGTERM before exiting.
    #[arg(long, env = "WEB_BRIDGE_SHUTDOWN_GRACE_SECS", default_value_t = Limits::default().shutdown_grace.as_secs())]
    shutdown_grace_secs: u64,
    /// Log line format; the filter comes from RUST_LOG (default `info`).
    #[arg(long, env = "WEB_BRIDGE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Seconds a Start may take.
    #[arg(long, env = "WEB_BRIDGE_START_TIMEOUT_SECS", default_value_t = Limits::default().start_timeout.as_secs())]
    start_timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, with the span fields (e.g. `session_id`) of every enclosing span.
    Json,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // Logs go to stderr; stdout carries only the line saying where to open the page.
    match args.log_format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(filter)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_writer(std::io::stderr)
            .with_current_span(false)
            .with_span_list(true)
            .with_env_filter(filter)
            .init(),
    }
    let addr = listen_address(&args.listen)?;
    let tls = match (args.plain_http, args.tls_cert, args.tls_key) {
        (true, _, _) => TlsMode::Plain,
        (false, Some(cert), Some(key)) => TlsMode::Files { cert, key },
        _ => TlsMode::SelfSigned,
    };
    let scheme = if tls == TlsMode::Plain {
        "http"
    } else {
        "https"
    };
    let config = Config {
        gateway: args.gateway,
        // Compose passes `${MEDIA_GATEWAY_AUTH_TOKEN:-}`: an empty value means no token.
        gateway_token: args
            .gateway_token
            .filter(|t| !t.trim().is_empty())
            .map(GatewayToken::new),
        gateway_ca: args.gateway_ca,
        tls,
        static_dir: args.static_dir,
        allowed_origins: args.allowed_origin,
        ice_servers: args.ice_server,
        limits: Limits {
            max_message_bytes: args.max_message_bytes,
            messages_per_second: args.messages_per_second,
            max_sockets: args.max_sockets,
            start_timeout: Duration::from_secs(args.start_timeout_secs),
            shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
            ..Limits::default()
        },
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let host = if local.ip().is_unspecified() {
        "localhost".to_owned()
    } else {
        local.ip().to_string()
    };
    println!(
        "web-bridge: open {scheme}://{host}:{}/ (media gateway {})",
        local.port(),
        config.gateway
    );

    let shutdown = CancellationToken::new();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            wait_for_signal().await;
            tracing::info!("shutting down");
            shutdown.cancel();
        }
    });
    web_bridge::run(listener, config, shutdown).await?;
    Ok(())
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

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
