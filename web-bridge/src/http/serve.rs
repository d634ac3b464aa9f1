//! The accept loop: the connection caps, TLS (or plain) per connection within the handshake timeout, HTTP/1.1
//! with upgrades and a header read timeout, and a graceful stop.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::http::admission::{Admission, Counted};

/// What one listener serves and how strictly.
#[derive(Clone)]
pub(crate) struct Listener {
    pub(crate) tls: Option<TlsAcceptor>,
    pub(crate) router: Router,
    pub(crate) admission: Admission,
    pub(crate) handshake_timeout: Duration,
    pub(crate) header_read_timeout: Duration,
}

/// The answer a plain-HTTP client over a cap gets, written only if the socket takes it at once.
const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 21\r\nconnection: close\r\n\r\ntoo many connections\n";

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
    loop {
        let (tcp, peer) = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let slot = match serving.admission.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(why) => {
                // Debug only: an attacker at the cap would otherwise fill the log.
                tracing::debug!(%peer, reason = why.reason(), "refused a connection over the cap");
                refuse(&tcp, serving.tls.is_none());
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let tcp = Counted::new(tcp, slot);
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

/// Best effort: a 503 for plain HTTP if it fits the socket's buffer now; the socket closes when dropped.
fn refuse(tcp: &TcpStream, plain: bool) {
    if plain {
        let _ = tcp.try_write(REFUSED);
    }
}

async fn serve_connection<S>(
    io: S,
    router: Router,
    shutdown: CancellationToken,
    header_timeout: Duration,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(router);
    // Without a timer hyper silently ignores its header read timeout: a client sending one header byte now
    // and then would hold the connection for ever.
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = shutdown.cancelled() => {
            // Finish the request in flight, then close; upgraded WebSockets live on in their own tasks.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!("HTTP connection ended with an error: {e}");
    }
}
