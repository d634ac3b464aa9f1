//! Where an endpoint's datagrams come from and go to: its own sockets (one per interface, bound for
//! it), or its share of the engine's one-port sockets (an inbox filled by their receive task, and the
//! shared sockets to send from). The driver sees one shape either way.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;

use tokio::io::ReadBuf;
use tokio::net::UdpSocket;

use super::config::EngineConfig;
use super::error::EngineError;
use super::shared_socket::{Inbound, SharedPort};
use super::stats::{Counters, Live, LiveGuard};
use super::stun_peek;

/// A socket with its counted lifetime; dropping it closes the socket and decrements the gauge.
pub(crate) struct BoundSocket {
    pub socket: UdpSocket,
    /// What the host candidate names: the external address if configured, with the bound port.
    pub advertised: SocketAddr,
    pub _live: LiveGuard,
}

/// One datagram received: on which socket (index), its length in the buffer, and its source.
pub(crate) struct Received {
    pub socket: usize,
    pub len: usize,
    pub source: SocketAddr,
}

pub(crate) enum Transport {
    /// Port-range mode: sockets of this endpoint alone.
    Own(Vec<BoundSocket>),
    /// One-port mode.
    Shared(SharedPort),
}

impl Transport {
    /// The addresses host candidates advertise, one per socket, in socket order.
    pub(crate) fn advertised(&self) -> Vec<SocketAddr> {
        match self {
            Transport::Own(sockets) => sockets.iter().map(|s| s.advertised).collect(),
            Transport::Shared(port) => port.sockets.iter().map(|s| s.advertised).collect(),
        }
    }

    /// The advertised address of socket `index`: what str0m must see as a datagram's destination, so
    /// it matches the host candidate it arrived on.
    pub(crate) fn advertised_at(&self, index: usize) -> Option<SocketAddr> {
        match self {
            Transport::Own(sockets) => sockets.get(index).map(|s| s.advertised),
            Transport::Shared(port) => port.sockets.get(index).map(|s| s.advertised),
        }
    }

    /// Waits for the next datagram, written into `buf`. In one-port mode an inbox whose sender is
    /// gone (the engine is shutting down) never yields again; the driver ends on its cancel token.
    pub(crate) async fn recv(&mut self, buf: &mut [u8]) -> io::Result<Received> {
        match self {
            Transport::Own(sockets) => recv_any(sockets, buf).await,
            Transport::Shared(port) => match port.inbox.recv().await {
                Some(inbound) => Ok(copy(inbound, buf)),
                None => std::future::pending().await,
            },
        }
    }

    /// A datagram already waiting, if any: on socket `index` for own sockets (the one that just woke
    /// the task), from the inbox in one-port mode.
    pub(crate) fn try_recv(
        &mut self,
        index: usize,
        buf: &mut [u8],
    ) -> Option<io::Result<Received>> {
        match self {
            Transport::Own(sockets) => {
                let bound = sockets.get(index)?;
                match bound.socket.try_recv_from(buf) {
                    Ok((len, source)) => Some(Ok(Received {
                        socket: index,
                        len,
                        source,
                    })),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
                    Err(e) => Some(Err(e)),
                }
            }
            Transport::Shared(port) => port.inbox.try_recv().ok().map(|i| Ok(copy(i, buf))),
        }
    }

    /// Sends `data` from the socket advertised as `source` (str0m's transmit source). UDP may drop
    /// anyway, so a full send buffer is an error to log, never a wait.
    pub(crate) fn send(&self, source: SocketAddr, data: &[u8], to: SocketAddr) -> io::Result<()> {
        let sent = match self {
            Transport::Own(sockets) => sockets
                .iter()
                .find(|s| s.advertised == source)
                .map(|s| s.socket.try_send_to(data, to)),
            Transport::Shared(port) => {
                // An ICE check: its answer must find this endpoint even if it comes before the
                // peer's own first check, which is what routes the peer's address here.
                if let Some(id) = stun_peek::binding_request_id(data) {
                    port.registration.expect(id);
                }
                port.sockets
                    .iter()
                    .find(|s| s.advertised == source)
                    .map(|s| s.send_to(data, to))
            }
        };
        match sent {
            Some(result) => result.map(drop),
            None => Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("no socket for source {source}"),
            )),
        }
    }

    /// Sends `data` from socket `index` (a STUN query of its own).
    pub(crate) fn send_at(&self, index: usize, data: &[u8], to: SocketAddr) -> io::Result<()> {
        let sent = match self {
            Transport::Own(sockets) => sockets.get(index).map(|s| s.socket.try_send_to(data, to)),
            Transport::Shared(port) => port.sockets.get(index).map(|s| s.send_to(data, to)),
        };
        sent.unwrap_or_else(|| Err(io::ErrorKind::NotFound.into()))
            .map(drop)
    }

    /// In one-port mode, routes binding requests naming `ufrag` here instead of those naming the old
    /// one (an ICE restart); false if another endpoint has `ufrag`. Own sockets need no routing.
    pub(crate) fn rekey(&self, ufrag: &str) -> bool {
        match self {
            Transport::Own(_) => true,
            Transport::Shared(port) => port.registration.rekey(ufrag),
        }
    }

    /// In one-port mode, routes `source`'s datagrams to this endpoint from now on (see
    /// `Registration::claim`). Own sockets need no routing.
    pub(crate) fn claim(&self, source: SocketAddr, now: std::time::Instant) {
        if let Transport::Shared(port) = self {
            port.registration.claim(source, now);
        }
    }
}

/// Copies an inbox datagram into the driver's buffer (truncated to it, as a socket read would be).
fn copy(inbound: Inbound, buf: &mut [u8]) -> Received {
    let len = inbound.data.len().min(buf.len());
    if let (Some(dst), Some(src)) = (buf.get_mut(..len), inbound.data.get(..len)) {
        dst.copy_from_slice(src);
    }
    Received {
        socket: inbound.socket,
        len,
        source: inbound.source,
    }
}

/// Receives from whichever own socket has a datagram.
async fn recv_any(sockets: &[BoundSocket], buf: &mut [u8]) -> io::Result<Received> {
    poll_fn(|cx| {
        for (index, bound) in sockets.iter().enumerate() {
            let mut read = ReadBuf::new(buf);
            if let Poll::Ready(result) = bound.socket.poll_recv_from(cx, &mut read) {
                let len = read.filled().len();
                return Poll::Ready(result.map(|source| Received {
                    socket: index,
                    len,
                    source,
                }));
            }
        }
        Poll::Pending
    })
    .await
}

/// Binds the endpoint's own socket on `ip`, inside the configured port range if there is one. Called
/// inside the media thread's runtime, which the socket registers with.
pub(crate) fn bind_own(
    ip: std::net::IpAddr,
    config: &EngineConfig,
    counters: &Arc<Counters>,
) -> Result<BoundSocket, EngineError> {
    let bind_one = |port: u16| -> io::Result<BoundSocket> {
        let std_socket = std::net::UdpSocket::bind(SocketAddr::new(ip, port))?;
        std_socket.set_nonblocking(true)?;
        let local = std_socket.local_addr()?;
        let socket = UdpSocket::from_std(std_socket)?;
        Ok(BoundSocket {
            socket,
            advertised: config.advertised(local),
            _live: LiveGuard::new(Arc::clone(counters), Live::Socket),
        })
    };
    let Some(range) = config.port_range.clone() else {
        return bind_one(0).map_err(|source| EngineError::Bind {
            addr: ip.to_string(),
            source,
        });
    };
    let (first, last) = (*range.start(), *range.end());
    let span = u32::from(last.saturating_sub(first)) + 1;
    // Start at a random port so concurrent endpoints do not all probe the same busy ones first.
    let offset = rand::random::<u32>() % span;
    let mut last_error = io::Error::new(io::ErrorKind::AddrNotAvailable, "empty port range");
    for step in 0..span {
        let port = u32::from(first) + (offset + step) % span;
        let Ok(port) = u16::try_from(port) else {
            continue;
        };
        match bind_one(port) {
            Ok(bound) => return Ok(bound),
            Err(e) => last_error = e,
        }
    }
    Err(EngineError::Bind {
        addr: format!("{ip}:{first}-{last}"),
        source: last_error,
    })
}
