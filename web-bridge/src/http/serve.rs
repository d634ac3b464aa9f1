//! The page's accept loop: the connection caps (`service_kit::admission`), TLS (or plain) per connection
//! within the handshake timeout, then HTTP/1.1 with upgrades and a header read timeout
//! (`service_kit::http1`), and a graceful stop.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use service_kit::admission::Admission;
use service_kit::http1::{accept, serve_connection};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What one listener serves and how strictly.
#[derive(Clone)]
pub(crate) struct Listener {
    pub(crate) tls: Option<TlsAcceptor>,
    pub(crate) router: Router,
    pub(crate) admission: Admission,
    pub(crate) handshake_timeout: Duration,
    pub(crate) header_read_timeout: Duration,
}

/// Accepts until `shutdown` (the end of the drain); each connection runs in its own task tracked by `tasks`,
/// and finishes its request in flight before closing once `shutdown` is cancelled. A connection over a cap
/// is closed at once (plain HTTP first gets a 503 if its socket takes it without waiting).
pub(crate) async fn accept_loop(
    listener: TcpListener,
    serving: Listener,
    tasks: TaskTracker,
    shutdown: CancellationToken,
) {
    let serving = Arc::new(serving);
    let plain = serving.tls.is_none();
    while let Some((tcp, peer)) = accept(&listener, &serving.admission, plain, &shutdown).await {
        let shutdown = shutdown.clone();
        let serving = Arc::clone(&serving);
        tasks.spawn(async move {
            let header_timeout = serving.header_read_timeout;
            let router = serving.router.clone();
            match &serving.tls {
                None => serve_connection(tcp, router, shutdown, header_timeout).await,
                Some(acceptor) => {
                    match tokio::time::timeout(serving.handshake_timeout, acceptor.accept(tcp))
                        .await
                    {
                        Ok(Ok(stream)) => {
                            serve_connection(stream, router, shutdown, header_timeout).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
}
