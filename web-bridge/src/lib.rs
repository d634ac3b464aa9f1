//! web-bridge: serves the browser demo over HTTPS and bridges the Kurento tutorial's WebSocket protocol
//! (`/helloworld`) to the MediaSession gRPC API of the media gateway.
//!
//! The bridge holds no media state: one gateway session per WebSocket, started on `start`, fed the browser's
//! candidates, stopped on `stop`, close, error or shutdown.
#![forbid(unsafe_code)]

mod app;
mod assets;
mod config;
mod counters;
mod error;
mod events;
mod gateway;
mod origin;
pub mod protocol;
mod rate;
mod routes;
mod serve;
mod session;
mod socket;
mod status_text;
mod tls;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::{Config, DEFAULT_GATEWAY, IceServer, Limits, TlsMode};
pub use counters::Counters;
pub use error::Error;

/// Serves until `shutdown` is cancelled, then stops accepting, closes every WebSocket (stopping its gateway
/// session) and returns once they are done or `limits.shutdown_grace` has passed.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let tls = match &config.tls {
        TlsMode::Plain => None,
        TlsMode::SelfSigned => Some(TlsAcceptor::from(tls::self_signed()?)),
        TlsMode::Files { cert, key } => Some(TlsAcceptor::from(tls::from_files(cert, key)?)),
    };
    let limits = config.limits.clone();
    let gateway =
        gateway::Gateway::new(&config.gateway, limits.start_timeout, limits.call_timeout)?;
    let assets = assets::Assets::new(config.static_dir.as_deref())?;
    let tasks = TaskTracker::new();
    let app = Arc::new(app::App {
        sockets: Arc::new(Semaphore::new(limits.max_sockets)),
        config,
        gateway,
        assets,
        tasks: tasks.clone(),
        shutdown: shutdown.clone(),
    });
    tracing::info!(addr = ?listener.local_addr().ok(), tls = tls.is_some(), "web-bridge serving");
    let router = routes::router(app);
    serve::accept_loop(
        listener,
        tls,
        router,
        tasks.clone(),
        shutdown,
        limits.tls_handshake_timeout,
    )
    .await;
    tasks.close();
    if tokio::time::timeout(limits.shutdown_grace, tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after the shutdown grace period");
    }
    Ok(())
}
