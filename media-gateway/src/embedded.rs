//! The embedded media server, used when no Kurento address is configured: started in-process on
//! 127.0.0.1:0 and reached over the same JSON-RPC WebSocket as a real KMS. Only with the `embedded` cargo
//! feature; without it, a gateway given no KMS URI refuses to start ([`Error::KmsUriRequired`]).

use crate::error::Error;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Starts the embedded media server under `shutdown` and returns its `ws://…/kurento` address.
#[cfg(feature = "embedded")]
pub(crate) async fn start(
    shutdown: &CancellationToken,
    tasks: &TaskTracker,
) -> Result<String, Error> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
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

/// This build has no embedded media server: a KMS URI is required.
#[cfg(not(feature = "embedded"))]
pub(crate) async fn start(
    _shutdown: &CancellationToken,
    _tasks: &TaskTracker,
) -> Result<String, Error> {
    Err(Error::KmsUriRequired)
}
