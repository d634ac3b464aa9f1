//! The `media-gateway` binary: flags, tracing, bind, and the library's gateway until ctrl-c or SIGTERM,
//! which start its drain.

use anyhow::Context;
use clap::Parser;
use media_gateway::{Args, LogFormat};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs on stderr; stdout carries only the lines saying where the gateway listens.
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => fmt.init(),
        // Span fields (the session's `session_id`) go with every line, for log queries by session.
        LogFormat::Json => fmt
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
}

/// One line on stdout. Whoever started us may have stopped reading (closed the pipe): not worth a panic.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

async fn bind(addr: std::net::SocketAddr, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({what})"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_tracing(args.log_format);
    let config = args.config()?;
    let listener = bind(args.listen, "gRPC").await?;
    let metrics = bind(args.metrics_listen, "metrics").await?;
    let shutdown = CancellationToken::new();
    let gateway =
        media_gateway::spawn_with_metrics(listener, Some(metrics), config, shutdown.clone())
            .await?;
    let media = if args.kms_uri.is_empty() {
        format!("embedded media server at {}", gateway.kms_uris().join(", "))
    } else {
        format!("media server(s) {}", gateway.kms_uris().join(", "))
    };
    let metrics_addr = gateway
        .metrics_addr()
        .map_or_else(|| "-".to_owned(), |a| a.to_string());
    say(&format!(
        "media-gateway listening on {} (gRPC), {metrics_addr} (metrics), using {media}",
        gateway.local_addr()
    ));
    tokio::spawn(cancel_on_signal(shutdown));
    gateway.join().await?;
    say("media-gateway stopped");
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
    tracing::info!("draining on signal");
    shutdown.cancel();
}
