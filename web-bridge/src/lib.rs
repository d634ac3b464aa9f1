//! web-bridge: serves the browser demo over HTTPS and bridges the Kurento tutorial's WebSocket protocol
//! (`/helloworld`) to the MediaSession gRPC API of the media gateway.
//!
//! The bridge holds no media state: one call per WebSocket (a MediaSession session at the gateway), started on `start`, fed the browser's
//! candidates, stopped on `stop`, close, error or shutdown.
#![forbid(unsafe_code)]

mod app;
mod browser;
mod config;
mod error;
mod gateway;
mod http;
mod ice_servers;
mod ops;
mod whip;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use browser::protocol;
pub use config::{
    Config, DEFAULT_GATEWAY, GatewayToken, IceServer, IceTransportPolicy, Limits, TlsMode,
    WhipToken,
};
pub use error::Error;
pub use ops::counters::Counters;

/// The sockets `run_with` serves on.
#[derive(Debug)]
pub struct Listeners {
    /// The page, `/config.json`, the WebSocket and the probes (and `/metrics` unless `metrics` is given).
    pub page: TcpListener,
    /// When given, `/metrics` (with `/healthz` and `/readyz`) is served here, over plain HTTP, and no longer on
    /// `page`: operators' scrapes stay off the public port.
    pub metrics: Option<TcpListener>,
}

/// [`run_with`] on one listener that serves everything.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    run_with(
        Listeners {
            page: listener,
            metrics: None,
        },
        config,
        shutdown,
    )
    .await
}

/// Serves until `shutdown` is cancelled, then drains: `/readyz` and new WebSocket upgrades answer 503 at
/// once, every open socket gets an `error` ("the server is shutting down") and is closed after its call is
/// stopped. Returns once that is done, or when `limits.shutdown_grace` has passed.
pub async fn run_with(
    listeners: Listeners,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let Listeners {
        page: listener,
        metrics: metrics_listener,
    } = listeners;
    config.limits.check()?;
    let tls = match &config.tls {
        TlsMode::Plain => None,
        TlsMode::SelfSigned => Some(TlsAcceptor::from(http::tls::self_signed()?)),
        TlsMode::Files { cert, key } => Some(TlsAcceptor::from(http::tls::from_files(cert, key)?)),
    };
    let limits = config.limits.clone();
    let gateway = gateway::client::Gateway::new(&config)?;
    let readiness = gateway::health::Readiness::new(
        gateway.clone(),
        shutdown.clone(),
        limits.readiness_cache,
        limits.readiness_timeout,
    );
    let assets = http::assets::Assets::new(config.static_dir.as_deref())?;
    let page_addr = listener.local_addr()?;
    let origins = browser::origin::Allowed::new(&config.allowed_origins, page_addr, tls.is_some())?;
    warn_about(&config, &origins);
    let tasks = TaskTracker::new();
    let app = Arc::new(app::App {
        sockets: Arc::new(Semaphore::new(limits.max_sockets)),
        whip: whip::resources::Resources::new(limits.whip_max_resources, config.counters.clone()),
        resumption: browser::resume::Resumption::new(
            limits.resume_grace,
            limits.max_parked_calls,
            config.counters.clone(),
        ),
        config,
        gateway,
        readiness,
        assets,
        origins,
        tasks: tasks.clone(),
        shutdown: shutdown.clone(),
    });
    tracing::info!(addr = %page_addr, tls = tls.is_some(), "web-bridge serving");
    let router = http::routes::router(Arc::clone(&app), metrics_listener.is_some());
    let admission = service_kit::admission::Admission::new(
        service_kit::admission::Limits {
            max_total: limits.max_connections,
            max_per_address: limits.max_connections_per_ip,
        },
        Arc::new(app.config.counters.clone()),
    );
    let serving = |tls, router| http::serve::Listener {
        tls,
        router,
        admission: admission.clone(),
        handshake_timeout: limits.tls_handshake_timeout,
        header_read_timeout: limits.header_read_timeout,
    };

    // The listener stays open while draining, so probes see 503 instead of a refused connection, and closes
    // (`closed`) only when the sockets are done.
    let closed = CancellationToken::new();
    let connections = TaskTracker::new();
    let accept = http::serve::accept_loop(
        listener,
        serving(tls, router),
        connections.clone(),
        closed.clone(),
    );
    let ops_accept = async {
        if let Some(ops) = metrics_listener {
            tracing::info!(addr = ?ops.local_addr().ok(), "serving /metrics on its own listener");
            let router = http::routes::ops_router(Arc::clone(&app));
            http::serve::accept_loop(
                ops,
                serving(None, router),
                connections.clone(),
                closed.clone(),
            )
            .await;
        }
    };
    let drain = async {
        shutdown.cancelled().await;
        let deadline = Instant::now() + limits.shutdown_grace;
        tracing::info!(grace = ?limits.shutdown_grace, "draining: closing WebSockets and stopping their sessions");
        tasks.close();
        if tokio::time::timeout_at(deadline, tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                "some sockets or Starts were still running after the shutdown grace period"
            );
        }
        closed.cancel();
        connections.close();
        if tokio::time::timeout_at(deadline, connections.wait())
            .await
            .is_err()
        {
            tracing::warn!("some HTTP connections were still open after the shutdown grace period");
        }
    };
    tokio::join!(accept, ops_accept, drain);
    Ok(())
}

/// Start-up warnings for settings that are easy to get wrong.
fn warn_about(config: &Config, origins: &browser::origin::Allowed) {
    let with_credentials = config
        .ice_servers
        .iter()
        .filter(|s| s.has_credentials())
        .count();
    if config.expose_turn_credentials && with_credentials > 0 {
        tracing::warn!(
            "--expose-turn-credentials: /config.json hands {with_credentials} TURN username/credential pair(s) \
             to anyone who can load the page; prefer short-lived credentials"
        );
    } else if with_credentials > 0 {
        tracing::warn!(
            "{with_credentials} ICE server(s) with credentials are not served at /config.json \
             (pass --expose-turn-credentials to serve them)"
        );
    }
    if config.allowed_origins.is_empty() {
        tracing::info!(
            allowed = ?origins.shown(),
            "only these origins may open the WebSocket; behind a proxy or on another host name, pass --allowed-origin"
        );
    }
}
