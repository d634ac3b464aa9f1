//! Serving a router over HTTP/1.1 the way every HTTP listener of the workspace must: each connection
//! admitted against the caps before a byte is read, a header read timeout (which hyper silently ignores
//! without a timer), upgrades, and a stop that finishes the request in flight. web-bridge puts TLS between
//! [`accept`] and [`serve_connection`]; the operators' ports ([`serve`]) are plain.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admission::{Admission, Counted};

/// The answer a plain-HTTP client over a cap gets, written only if the socket takes it at once.
const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 21\r\nconnection: close\r\n\r\ntoo many connections\n";

/// The next admitted connection, or `None` once `shutdown` is cancelled. A connection over a cap is closed
/// at once; with `plain` it first gets a 503 if its socket takes it without waiting (a TLS client would
/// read it as garbage).
pub async fn accept(
    listener: &TcpListener,
    admission: &Admission,
    plain: bool,
    shutdown: &CancellationToken,
) -> Option<(Counted<TcpStream>, SocketAddr)> {
    loop {
        let (tcp, peer) = tokio::select! {
            _ = shutdown.cancelled() => return None,
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
        match admission.admit(peer.ip()) {
            Ok(slot) => {
                // Small answers must not wait for the peer's delayed ACK (Nagle).
                let _ = tcp.set_nodelay(true);
                return Some((Counted::new(tcp, slot), peer));
            }
            Err(why) => {
                // Debug only: an attacker at the cap would otherwise fill the log.
                tracing::debug!(%peer, reason = why.reason(), "refused a connection over the cap");
                if plain {
                    let _ = tcp.try_write(REFUSED);
                }
            }
        }
    }
}

/// Serves `router` on one connection until the client closes it or `shutdown`, after which the request in
/// flight finishes and the connection closes. Upgraded connections (WebSockets) live on in their own tasks.
pub async fn serve_connection<S>(
    io: S,
    router: Router,
    shutdown: CancellationToken,
    header_read_timeout: Duration,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(router);
    // Without a timer hyper silently ignores its header read timeout: a client sending one header byte now
    // and then would hold the connection for ever.
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!("HTTP connection ended with an error: {e}");
    }
}

/// Serves `router` in plain HTTP/1.1 on `listener` until `shutdown`, then waits for the requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    admission: Admission,
    header_read_timeout: Duration,
    shutdown: CancellationToken,
) {
    let tasks = TaskTracker::new();
    while let Some((io, _peer)) = accept(&listener, &admission, true, &shutdown).await {
        tasks.spawn(serve_connection(
            io,
            router.clone(),
            shutdown.clone(),
            header_read_timeout,
        ));
    }
    drop(listener);
    tasks.close();
    tasks.wait().await;
}
