//! The embedded media server, used when no Kurento address is configured: started in-process on
//! 127.0.0.1:0 and reached over the same JSON-RPC WebSocket as a real KMS. Only with the `embedded` cargo
//! feature; without it, a gateway given no KMS URI refuses to start ([`Error::KmsUriRequired`]).
//!
//! Its WebSocket listens on loopback, where any local process (or any web page a local browser opens)
//! could reach it; so it gets a fresh random secret that only this gateway knows and sends (and, as every
//! media server of ours, it refuses browser origins). Its own candidate policy stays at its default (no
//! private addresses learned by trickle): peers on this host still connect through the checks they send.

use crate::error::Error;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Where the embedded media server listens, and the secret its WebSocket requires.
pub(crate) struct Embedded {
    pub(crate) uri: String,
    pub(crate) secret: String,
}

/// Starts the embedded media server under `shutdown`.
#[cfg(feature = "embedded")]
pub(crate) async fn start(
    shutdown: &CancellationToken,
    tasks: &TaskTracker,
) -> Result<Embedded, Error> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let token = shutdown.clone();
    let secret = crate::session::ids::random_hex();
    let server_config = media_server::Config {
        auth_secret: Some(media_server::AuthSecret::new(secret.clone())),
        ..media_server::Config::default()
    };
    tasks.spawn(async move {
        if let Err(e) = media_server::run(listener, server_config, token).await {
            tracing::error!(error = %e, "embedded media server stopped");
        }
    });
    let uri = format!("ws://{addr}/kurento");
    tracing::info!(%uri, "embedded media server started");
    Ok(Embedded { uri, secret })
}

/// This build has no embedded media server: a KMS URI is required.
#[cfg(not(feature = "embedded"))]
pub(crate) async fn start(
    _shutdown: &CancellationToken,
    _tasks: &TaskTracker,
) -> Result<Embedded, Error> {
    Err(Error::KmsUriRequired)
}
