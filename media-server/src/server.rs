//! The server as a whole: the accept loop (bounded by connection limits), the garbage collector,
//! graceful shutdown, and the [`MediaServer`] handle tests and operators use.

use crate::clock::now_ms;
use crate::config::Config;
use crate::engine::{Engine, EngineStats};
use crate::error::Error;
use crate::net::handshake::Access;
use crate::net::{SocketConfig, serve_socket};
use crate::rpc::outbox::EventDrops;
use crate::rpc::state::Counts;
use crate::rpc::{Core, CoreLimits};
use service_kit::admission::{Admission, Limits};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

/// Live counts: protocol objects and the engine's own counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Kurento rpc sessions registered (bound to a connection or waiting for the garbage collector).
    pub sessions: usize,
    /// MediaPipelines alive.
    pub pipelines: usize,
    /// WebRtcEndpoints alive.
    pub endpoints: usize,
    /// WebSocket connections open.
    pub connections: usize,
    /// Events dropped because a connection had no room for them: `event_drops.total()`.
    pub events_dropped: u64,
    /// The same drops by reason (a pipeline's own candidate burst, candidates evicted for rarer
    /// events, a pipeline's queue full of rare events, too many pipelines waiting on one connection).
    pub event_drops: EventDrops,
    /// The media engine's own counters (endpoint tasks, UDP sockets, packets).
    pub engine: EngineStats,
}

fn build(config: &Config) -> Result<Arc<Core>, Error> {
    let engine = Engine::new(config.engine.clone())?;
    Ok(Core::new(
        engine,
        CoreLimits {
            max_objects: config.max_objects,
            max_sessions: config.max_sessions,
            events: config.event_queues,
        },
        now_ms,
    ))
}

fn stats_of(core: &Core) -> ServerStats {
    let Counts {
        sessions,
        pipelines,
        endpoints,
        connections,
    } = core.counts();
    let drops = core.event_drops();
    ServerStats {
        sessions,
        pipelines,
        endpoints,
        connections,
        events_dropped: drops.total(),
        event_drops: drops,
        engine: core.engine().stats(),
    }
}

/// Serves Kurento JSON-RPC on `listener` until `shutdown` fires; then closes every connection and
/// releases all media before returning.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let core = build(&config)?;
    serve(core, listener, config, shutdown).await
}

async fn serve(
    core: Arc<Core>,
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let socket_cfg = Arc::new(SocketConfig {
        path: config.path.clone(),
        max_frame_bytes: config.max_frame_bytes,
        handshake_timeout: config.handshake_timeout,
        access: Access {
            allowed_origins: config.allowed_origins.clone(),
            secret: config.auth_secret.as_ref().map(|s| s.expose().to_owned()),
        },
    });
    // The total waits in the backlog (a gateway's reconnect just takes longer); one address over its share
    // is closed on accept, since waiting would let it hold the backlog too.
    let limit = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let per_address = Admission::new(
        Limits {
            max_total: config.max_connections.max(1),
            max_per_address: config.max_connections_per_ip.max(1),
        },
        Arc::new(()),
    );
    let grace = config.shutdown_grace;
    let mut tasks = JoinSet::new();
    let gc_core = Arc::clone(&core);
    let gc_stop = shutdown.child_token();
    let gc_period = config.gc_period.max(Duration::from_millis(10));
    tasks.spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + gc_period, gc_period);
        loop {
            tokio::select! {
                _ = gc_stop.cancelled() => break,
                _ = tick.tick() => gc_core.collect_garbage(now_ms()).await,
            }
        }
    });
    let mut next_conn = 0u64;
    let result = loop {
        let permit = tokio::select! {
            _ = shutdown.cancelled() => break Ok(()),
            p = Arc::clone(&limit).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break Ok(()),
            },
        };
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break Ok(()),
            Some(_) = tasks.join_next(), if tasks.len() > 1 => continue,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            // Per-connection failures (e.g. the peer reset before accept) must not stop the server.
            Err(e) if is_transient(&e) => {
                tracing::debug!("accept: {e}");
                continue;
            }
            Err(e) => break Err(Error::Io(e)),
        };
        let slot = match per_address.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(why) => {
                tracing::debug!(%peer, reason = why.reason(), "refused a connection over the cap");
                continue;
            }
        };
        // An answer written right after an event frame would otherwise wait for the gateway's delayed ACK
        // (Nagle): that cost every `release` 40 ms, and every request queued behind it on the connection.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, "TCP_NODELAY: {e}");
        }
        next_conn += 1;
        let conn = next_conn;
        tracing::debug!(conn, %peer, "accepted");
        let (core, cfg, stop) = (
            Arc::clone(&core),
            Arc::clone(&socket_cfg),
            shutdown.child_token(),
        );
        tasks.spawn(async move {
            let _held = (permit, slot);
            serve_socket(core, stream, conn, cfg, stop).await;
        });
    };
    shutdown.cancel();
    drop(listener);
    if tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} })
        .await
        .is_err()
    {
        tracing::warn!("connections did not close in time; aborting them");
        tasks.shutdown().await;
    }
    let held = core.counts();
    core.release_all(now_ms()).await;
    let left = core.counts();
    // Operators (and the SIGTERM test on the real binary) read this line to know nothing was left behind.
    tracing::info!(
        released_pipelines = held.pipelines,
        released_endpoints = held.endpoints,
        pipelines_left = left.pipelines,
        endpoints_left = left.endpoints,
        "media server stopped"
    );
    result
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted | WouldBlock)
        // Out of file descriptors: wait for connections to close rather than die.
        || e.raw_os_error() == Some(24)
}

/// A running server: its address, live counts, and a shutdown that releases everything.
/// Dropping the handle stops the server too.
pub struct MediaServer {
    core: Arc<Core>,
    addr: SocketAddr,
    path: String,
    shutdown: CancellationToken,
    task: Option<JoinHandle<Result<(), Error>>>,
}

impl MediaServer {
    /// Starts a server on `listener` in a task of its own.
    pub fn spawn(listener: TcpListener, config: Config) -> Result<MediaServer, Error> {
        let addr = listener.local_addr()?;
        let core = build(&config)?;
        let shutdown = CancellationToken::new();
        let path = config.path.clone();
        let task = tokio::spawn(serve(Arc::clone(&core), listener, config, shutdown.clone()));
        Ok(MediaServer {
            core,
            addr,
            path,
            shutdown,
            task: Some(task),
        })
    }

    /// `ws://<addr>/<path>`.
    pub fn url(&self) -> String {
        format!("ws://{}/{}", self.addr, self.path)
    }

    /// The address the Kurento WebSocket listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The id `connect` reports; new on every start.
    pub fn server_id(&self) -> &str {
        self.core.server_id()
    }

    /// Live counts, read now.
    pub fn stats(&self) -> ServerStats {
        stats_of(&self.core)
    }

    /// The media engine, e.g. to read its counters after [`MediaServer::shutdown`] consumed the handle.
    pub fn engine(&self) -> Engine {
        self.core.engine().clone()
    }

    /// Stops accepting, closes connections, releases all media, and waits for all of it.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        self.shutdown.cancel();
        match self.task.take() {
            Some(t) => t.await?,
            None => Ok(()),
        }
    }
}

impl Drop for MediaServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
