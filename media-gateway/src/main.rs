//! The `media-gateway` binary: flags, tracing, bind, and the library's `run` until ctrl-c or SIGTERM.

use anyhow::Context;
use clap::Parser;
use media_gateway::Args;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // Logs on stderr; stdout carries only the lines saying where the gateway listens.
        .with_writer(std::io::stderr)
        .init();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let shutdown = CancellationToken::new();
    let gateway = media_gateway::spawn(listener, args.config(), shutdown.clone()).await?;
    let media = if args.kms_uri.is_empty() {
        format!("embedded media server at {}", gateway.kms_uris().join(", "))
    } else {
        format!("media server(s) {}", gateway.kms_uris().join(", "))
    };
    println!(
        "media-gateway listening on {} (gRPC), using {media}",
        gateway.local_addr()
    );
    tokio::spawn(cancel_on_signal(shutdown));
    gateway.join().await?;
    println!("media-gateway stopped");
    Ok(())
}

/// Cancels `shutdown` on the first ctrl-c or SIGTERM.
async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}
