//! The media gateway: the MediaSession gRPC service in front of Kurento-compatible media servers, reached
//! over Kurento JSON-RPC on WebSocket (the embedded media server included: there is no in-process shortcut).
//!
//! [`spawn`] starts everything on a listener and returns a [`Gateway`] handle; [`spawn_with_metrics`] also
//! serves /metrics, /healthz and /readyz on a second listener; [`run`] waits until shutdown is complete.
#![forbid(unsafe_code)]

pub mod config;
mod drain;
mod embedded;
pub mod error;
pub mod flags;
mod grpc;
pub mod ice_servers;
mod links;
mod metrics;
mod owner;
mod probes;
mod reconcile;
mod session;

pub use config::{CandidateNetworks, Config, Secret, TlsIdentity};
pub use error::Error;
pub use flags::{Args, LogFormat, Network};
pub use ice_servers::{IceServers, TurnAuth};
pub use links::kms;

use links::Links;
use session::Shared;
use session::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A running gateway.
pub struct Gateway {
    local_addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    kms_uris: Vec<String>,
    shared: Arc<Shared>,
    task: JoinHandle<Result<(), Error>>,
}

impl Gateway {
    /// Where gRPC is served.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where /metrics, /healthz and /readyz are served, when a listener was given for them.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
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

/// Serves on `listener` until `shutdown` is cancelled, then drains (see [`spawn_with_metrics`]) and
/// returns, all within `config.shutdown_grace`.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    spawn(listener, config, shutdown).await?.join().await
}

/// [`spawn_with_metrics`] without the metrics listener.
pub async fn spawn(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<Gateway, Error> {
    spawn_with_metrics(listener, None, config, shutdown).await
}

/// Starts the gateway (and the embedded media server when `config.kms_uris` is empty) and returns at once.
/// Without the `embedded` cargo feature an empty `config.kms_uris` is [`Error::KmsUriRequired`].
///
/// When `shutdown` is cancelled the gateway drains: health says NOT_SERVING and /readyz 503 at once, Start
/// is refused with UNAVAILABLE, every session ends with END_REASON_SHUTDOWN and releases its pipeline, then
/// the listeners close and the media server links stop, all within `config.shutdown_grace`.
pub async fn spawn_with_metrics(
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    config: Config,
    shutdown: CancellationToken,
) -> Result<Gateway, Error> {
    let local_addr = listener.local_addr()?;
    let metrics_addr = metrics_listener
        .as_ref()
        .map(TcpListener::local_addr)
        .transpose()?;
    // Links and the embedded media server outlive the sessions: they are cancelled only after every session
    // has released its pipeline through them.
    let backend = CancellationToken::new();
    let backend_tasks = TaskTracker::new();
    let (kms_uris, auth_secret) = if config.kms_uris.is_empty() {
        let embedded = embedded::start(&backend, &backend_tasks).await?;
        (vec![embedded.uri], Some(embedded.secret))
    } else {
        let secret = config.kms_secret.as_ref().map(|Secret(s)| s.clone());
        (config.kms_uris.clone(), secret)
    };
    let link_config = kms::LinkConfig {
        request_timeout: config.request_timeout,
        connect_timeout: config.connect_timeout,
        ping_interval: config.ping_interval,
        auth_secret,
        endpoint_settings: config.ice_servers.endpoint_settings(),
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
        metrics: Arc::default(),
        config,
    });
    for link in links.all() {
        backend_tasks.spawn(reconcile::run(
            link.clone(),
            shared.clone(),
            backend.clone(),
        ));
    }
    let (reporter, health) = tonic_health::server::health_reporter();
    backend_tasks.spawn(grpc::health::track(
        reporter,
        links.clone(),
        shutdown.clone(),
    ));
    let services = grpc::Services {
        session: grpc::service::Service::new(shared.clone(), links.clone()),
        admin: grpc::admin::Admin::new(shared.clone()),
        health,
        auth: grpc::auth::Auth::new(shared.config.auth_token.as_ref()),
        admin_auth: grpc::auth::Auth::admin(
            shared.config.admin_token.as_ref(),
            shared.config.auth_token.as_ref(),
        ),
        metrics: shared.metrics.clone(),
        tls: shared.config.tls.clone(),
        tls_handshake_timeout: shared.config.tls_handshake_timeout,
        keepalive: grpc::Keepalive {
            interval: shared.config.http2_keepalive_interval,
            timeout: shared.config.http2_keepalive_timeout,
        },
        admission: service_kit::admission::Admission::new(
            service_kit::admission::Limits {
                max_total: shared.config.max_connections,
                max_per_address: shared.config.max_connections_per_ip,
            },
            shared.metrics.clone(),
        ),
    };
    let task = tokio::spawn(drain::serve(drain::Parts {
        listener,
        metrics_listener,
        services,
        links,
        shared: shared.clone(),
        shutdown,
        backend,
        backend_tasks,
    }));
    Ok(Gateway {
        local_addr,
        metrics_addr,
        kms_uris,
        shared,
        task,
    })
}
