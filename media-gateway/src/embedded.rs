//! The embedded media server, used when no Kurento address is configured: started in-process on
//! 127.0.0.1:0 and reached over the same JSON-RPC WebSocket as a real KMS.

use crate::error::Error;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Starts the embedded media server under `shutdown` and returns its `ws://…/kurento` address.
pub async fn start(shutdown: &CancellationToken, tasks: &TaskTracker) -> Result<String, Error> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let token = shutdown.clone();
    tasks.spawn(async move {
        if let Err(e) = media_server::run(listener, media_server::Config::default(), token).await {
            tracing::error!(error = %e, "embedded media server stopped");
        }
    });
    let uri = format!("ws://{addr}/kurento");
    tracing::info!(%uri, "embedded media server started");
    Ok(uri)
}
