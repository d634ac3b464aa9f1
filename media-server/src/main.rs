//! `media-server`: the embedded Kurento-compatible media server as a process (flags, tracing, bind, run).

use anyhow::{Context, bail};
use clap::Parser;
use media_server::Config;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

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
    /// UDP port range for media, "MIN-MAX" (default: any port the OS gives).
    #[arg(long, env = "MEDIA_SERVER_PORT_RANGE")]
    port_range: Option<String>,
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // stdout carries only the URL, for scripts.
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut config = Config {
        path: args.path.trim_start_matches('/').to_owned(),
        gc_period: Duration::from_secs(args.gc_period_secs.max(1)),
        max_frame_bytes: args.max_frame_bytes,
        max_objects: args.max_objects,
        max_sessions: args.max_sessions,
        ..Config::default()
    };
    config.engine.interfaces = args.interfaces;
    config.engine.port_range = args.port_range.as_deref().map(parse_range).transpose()?;

    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!("ws://{addr}/{}", config.path);
    tracing::info!("Kurento JSON-RPC on ws://{addr}/{}", config.path);

    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        match tokio::signal::ctrl_c().await {
            Ok(()) => {
                tracing::info!("shutting down");
                stop.cancel();
            }
            // Without signal handling the server runs until killed.
            Err(e) => tracing::warn!("cannot listen for Ctrl-C: {e}"),
        }
    });
    media_server::run(listener, config, shutdown).await?;
    Ok(())
}
