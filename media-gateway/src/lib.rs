//! The media gateway: the MediaSession gRPC service in front of Kurento-compatible media servers, reached
//! over Kurento JSON-RPC on WebSocket (the embedded media server included: there is no in-process shortcut).
//!
//! [`spawn`] starts everything on a listener and returns a [`Gateway`] handle; [`run`] does the same and
//! waits until shutdown is complete.
#![forbid(unsafe_code)]

pub mod config;
mod embedded;
pub mod error;
mod grpc;
mod health;
mod ids;
pub mod kms;
mod links;
mod registry;
mod service;
mod session;

pub use config::{Args, Config};
pub use error::Error;

use links::Links;
use registry::Registry;
use session::Shared;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A running gateway.
pub struct Gateway {
    local_addr: SocketAddr,
    kms_uris: Vec<String>,
    shared: Arc<Shared>,
    task: JoinHandle<Result<(), Error>>,
}

impl Gateway {
    /// Where gRPC is served.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The media servers in use (the embedded one's address when none was configured).
    pub fn kms_uris(&self) -> &[String] {
        &self.kms_uris
    }

    /// Live sessions, those still starting included.
    pub fn sessions(&self) -> usize {
        self.shared.registry.len()
    }

    /// Waits until the gateway has shut down (after the `shutdown` token given to [`spawn`] is cancelled).
    pub async fn join(self) -> Result<(), Error> {
        self.task
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))?
    }
}

/// Serves on `listener` until `shutdown` is cancelled, then stops accepting, ends every session with
/// END_REASON_SHUTDOWN, releases their pipelines and returns, all within `config.shutdown_grace`.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    spawn(listener, config, shutdown).await?.join().await
}

/// Starts the gateway (and the embedded media server when `config.kms_uris` is empty) and returns at once.
pub async fn spawn(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<Gateway, Error> {
    let local_addr = listener.local_addr()?;
    // Links and the embedded media server outlive the sessions: they are cancelled only after every session
    // has released its pipeline through them.
    let backend = CancellationToken::new();
    let backend_tasks = TaskTracker::new();
    let kms_uris = if config.kms_uris.is_empty() {
        vec![embedded::start(&backend, &backend_tasks).await?]
    } else {
        config.kms_uris.clone()
    };
    let link_config = kms::LinkConfig {
        request_timeout: config.request_timeout,
        ..kms::LinkConfig::default()
    };
    let links = Arc::new(Links::spawn(&kms_uris, &link_config, &backend));
    let shared = Arc::new(Shared {
        registry: Registry::new(
            config.max_sessions,
            config.tombstone_retention,
            config.tombstone_capacity,
        ),
        tracker: TaskTracker::new(),
        shutdown: shutdown.child_token(),
        config,
    });
    let (reporter, health_server) = tonic_health::server::health_reporter();
    backend_tasks.spawn(health::track(reporter, links.clone(), shutdown.clone()));
    let service = service::Service::new(shared.clone(), links);
    let task = tokio::spawn(serve(
        listener,
        service,
        health_server,
        shared.clone(),
        shutdown,
        backend,
        backend_tasks,
    ));
    Ok(Gateway {
        local_addr,
        kms_uris,
        shared,
        task,
    })
}

async fn serve<H: tonic_health::pb::health_server::Health>(
    listener: TcpListener,
    service: service::Service,
    health: tonic_health::pb::health_server::HealthServer<H>,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    backend: CancellationToken,
    backend_tasks: TaskTracker,
) -> Result<(), Error> {
    let grace = shared.config.shutdown_grace;
    let server = grpc::serve(
        listener,
        service,
        health,
        shutdown.clone().cancelled_owned(),
    );
    tokio::pin!(server);
    let served = tokio::select! {
        r = &mut server => r,
        // Open streams end when their sessions end; a client that never lets go must not hold us.
        () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!("gRPC calls still open after the shutdown grace; closing anyway");
            Ok(())
        }
    };
    // Also when the server stopped on its own (an accept error): sessions must not outlive it.
    shared.shutdown.cancel();
    shared.tracker.close();
    if tokio::time::timeout(grace, shared.tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            sessions = shared.registry.len(),
            "sessions still releasing after the shutdown grace"
        );
    }
    backend.cancel();
    backend_tasks.close();
    if tokio::time::timeout(grace, backend_tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!("media server links still closing after the shutdown grace");
    }
    served
}
