//! Serving and the drain that ends it: the layered, bounded shutdown. On the signal the gateway first
//! stops taking sessions (health NOT_SERVING, /readyz 503, Start UNAVAILABLE) while still answering calls,
//! then ends every session (END_REASON_SHUTDOWN) and waits for their pipelines to be released, then closes
//! its listeners, then the media server links. One deadline bounds all of it.

use crate::error::Error;
use crate::grpc::{self, Services};
use crate::links::Links;
use crate::probes;
use crate::session::Shared;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::time::{Instant, timeout_at};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Time the last step (closing the media server links) gets even when the grace is used up, so their
/// close frames still go out.
const LINK_CLOSE_MIN: Duration = Duration::from_millis(500);

pub(crate) struct Parts<H> {
    pub(crate) listener: TcpListener,
    pub(crate) metrics_listener: Option<TcpListener>,
    pub(crate) services: Services<H>,
    pub(crate) links: Arc<Links>,
    pub(crate) shared: Arc<Shared>,
    /// The caller's signal to drain.
    pub(crate) shutdown: CancellationToken,
    /// Stops the media server links (and the embedded media server), last.
    pub(crate) backend: CancellationToken,
    pub(crate) backend_tasks: TaskTracker,
}

pub(crate) async fn serve<H: tonic_health::pb::health_server::Health>(
    p: Parts<H>,
) -> Result<(), Error> {
    let Parts {
        listener,
        metrics_listener,
        services,
        links,
        shared,
        shutdown,
        backend,
        backend_tasks,
    } = p;
    // The listeners close only at the end of the drain, so callers get a clear UNAVAILABLE meanwhile.
    let close = CancellationToken::new();
    let probes = metrics_listener.map(|l| {
        let guard = service_kit::ops::Guard {
            admission: services.admission.clone(),
            header_read_timeout: shared.config.header_read_timeout,
        };
        tokio::spawn(probes::serve(
            l,
            shared.clone(),
            links,
            guard,
            close.clone(),
        ))
    });
    // A task of its own, so the server keeps accepting and answering (health NOT_SERVING, Start
    // UNAVAILABLE) while this function waits on the sessions below.
    let mut server = tokio::spawn(grpc::serve(
        listener,
        services,
        close.clone().cancelled_owned(),
    ));
    let joined = |r: Result<Result<(), Error>, tokio::task::JoinError>| {
        r.unwrap_or_else(|e| Err(Error::Io(std::io::Error::other(e))))
    };
    let early = tokio::select! {
        r = &mut server => Some(joined(r)),
        () = shutdown.cancelled() => None,
    };
    let deadline = Instant::now() + shared.config.shutdown_grace;
    tracing::info!(
        sessions = shared.registry.len(),
        "draining: refusing new sessions and ending the open ones"
    );
    // Also when the server stopped on its own (an accept error): sessions must not outlive it.
    shared.shutdown.cancel();
    shared.tracker.close();
    if timeout_at(deadline, shared.tracker.wait()).await.is_err() {
        tracing::warn!(
            sessions = shared.registry.len(),
            "sessions still releasing after the shutdown grace"
        );
    }
    close.cancel();
    let served = match early {
        Some(r) => r,
        // Open streams ended with their sessions; a client that never lets go must not hold us.
        None => match timeout_at(deadline, &mut server).await {
            Ok(r) => joined(r),
            Err(_) => {
                tracing::warn!("gRPC calls still open after the shutdown grace; closing anyway");
                server.abort();
                Ok(())
            }
        },
    };
    if let Some(mut probes) = probes {
        match timeout_at(deadline, &mut probes).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "metrics listener task failed"),
            Err(_) => {
                tracing::warn!("metrics listener still open after the shutdown grace");
                probes.abort();
            }
        }
    }
    backend.cancel();
    backend_tasks.close();
    let links_deadline = deadline.max(Instant::now() + LINK_CLOSE_MIN);
    if timeout_at(links_deadline, backend_tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!("media server links still closing after the shutdown grace");
    }
    served
}
