//! The gRPC listener's connections: every accepted TCP connection is admitted against the total and
//! per-address caps before tonic reads a byte (or starts TLS), and holds its slot until it closes.
//! HTTP/2 has no header timeout to fall back on: a peer that connects and never speaks would otherwise hold
//! its socket until keepalive notices, which it never does for a live host.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Stream, StreamExt};
use service_kit::admission::{Admission, Counted};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tonic::transport::server::{Connected, TcpConnectInfo, TcpIncoming};

/// One admitted gRPC connection.
#[derive(Debug)]
pub(crate) struct Admitted(Counted<TcpStream>);

/// `incoming` with the connections over a cap closed on accept (and counted by the admission's observer).
pub(crate) fn admitted(
    incoming: TcpIncoming,
    admission: Admission,
) -> impl Stream<Item = io::Result<Admitted>> {
    incoming.filter_map(move |accepted| {
        let admitted = match accepted {
            Ok(tcp) => admit(&admission, tcp).map(Ok),
            Err(e) => Some(Err(e)),
        };
        std::future::ready(admitted)
    })
}

fn admit(admission: &Admission, tcp: TcpStream) -> Option<Admitted> {
    let peer = tcp.peer_addr().ok()?;
    match admission.admit(peer.ip()) {
        Ok(slot) => Some(Admitted(Counted::new(tcp, slot))),
        Err(why) => {
            // Debug only: an attacker at the cap would otherwise fill the log. Dropping closes it.
            tracing::debug!(%peer, reason = why.reason(), "refused a gRPC connection over the cap");
            None
        }
    }
}

impl Connected for Admitted {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.0.get_ref().connect_info()
    }
}

impl AsyncRead for Admitted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Admitted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}
