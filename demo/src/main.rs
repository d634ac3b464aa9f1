//! One command for the whole demo: the gateway (with its embedded media server unless `--kms-uri` is
//! given) and the web bridge, each on its own real socket, wired together over gRPC exactly as when they
//! run apart. Prints the URL to open.
#![forbid(unsafe_code)]

use anyhow::Context;
use clap::Parser;
use service_kit::LogFormat;
use std::net::SocketAddr;

#[derive(Parser, Debug)]
#[command(
    name = "demo",
    version,
    about = "Kurento hello world: media server, gateway and web page in one process"
)]
struct Args {
    /// Where the page is served (HTTPS with a self-signed certificate).
    #[arg(long, env = "DEMO_LISTEN", default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Where the gateway serves gRPC (other backends and grpcurl can use it too).
    #[arg(long, env = "DEMO_GRPC_LISTEN", default_value = "127.0.0.1:50051")]
    grpc_listen: SocketAddr,
    /// A Kurento media server to use instead of the embedded one (e.g. ws://127.0.0.1:8888/kurento).
    #[arg(long = "kms-uri", alias = "ws_uri", env = "KMS_URI")]
    kms_uri: Option<String>,
    /// Log line format; the filter comes from RUST_LOG (default `info,str0m=warn`).
    #[arg(long, env = "DEMO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    service_kit::logging::init(args.log_format, "info,str0m=warn");
    // Installed before anything binds, so a ctrl-c during start-up still drains.
    let shutdown = service_kit::shutdown_on_signal();

    let grpc = service_kit::bind(args.grpc_listen, "gRPC").await?;
    let gateway_config = media_gateway::Config {
        kms_uris: args.kms_uri.into_iter().collect(),
        // The demo's browser is on this machine or its LAN: its candidates are loopback or private.
        candidate_networks: media_gateway::CandidateNetworks::LOCAL,
        ..Default::default()
    };
    let gateway = media_gateway::spawn(grpc, gateway_config, shutdown.clone())
        .await
        .context("starting the gateway")?;

    let web = service_kit::bind(args.listen, "page and WebSocket").await?;
    let bridge_config = web_bridge::Config {
        gateway: format!("http://{}", gateway.local_addr()),
        ..Default::default()
    };
    let bridge = tokio::spawn(web_bridge::run(web, bridge_config, shutdown.clone()));

    let host = if args.listen.ip().is_loopback() || args.listen.ip().is_unspecified() {
        "localhost".to_owned()
    } else {
        args.listen.ip().to_string()
    };
    println!();
    println!(
        "  Open https://{host}:{}/ and accept the self-signed certificate.",
        args.listen.port()
    );
    println!("  Media server: {}", gateway.kms_uris().join(", "));
    println!(
        "  gRPC (grpcurl -plaintext {} list): MediaSession on {}",
        gateway.local_addr(),
        gateway.local_addr()
    );
    println!("  Ctrl-C stops everything and releases every pipeline.");
    println!();

    shutdown.cancelled().await;
    let (bridge, gateway) = tokio::join!(bridge, gateway.join());
    bridge.context("web bridge task")?.context("web bridge")?;
    gateway.context("gateway")?;
    Ok(())
}
