//! The `media-gateway` binary: flags, tracing, bind, and the library's gateway until SIGINT or SIGTERM,
//! which start its drain.

use media_gateway::Args;
use service_kit::{Flags, bind, say};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::init("info");
    let shutdown = service_kit::shutdown_on_signal();
    let (listen, metrics_listen, embedded) =
        (args.listen, args.metrics_listen, args.kms_uri.is_empty());
    let config = args.into_config()?;
    let listener = bind(listen, "gRPC").await?;
    let metrics = bind(metrics_listen, "metrics").await?;
    let gateway =
        media_gateway::spawn_with_metrics(listener, Some(metrics), config, shutdown).await?;
    let media = if embedded {
        format!("embedded media server at {}", gateway.kms_uris().join(", "))
    } else {
        format!("media server(s) {}", gateway.kms_uris().join(", "))
    };
    let metrics_addr = gateway
        .metrics_addr()
        .map_or_else(|| "-".to_owned(), |a| a.to_string());
    // stdout carries only these lines, for scripts; logs go to stderr.
    say(&format!(
        "media-gateway listening on {} (gRPC), {metrics_addr} (metrics), using {media}",
        gateway.local_addr()
    ));
    gateway.join().await?;
    say("media-gateway stopped");
    Ok(())
}
