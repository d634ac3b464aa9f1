//! Who may hold an HTTP connection: a cap on connections open at once, in total and per remote address,
//! checked on accept (before TLS), and held by the connection's IO for as long as it lives, an upgraded
//! WebSocket included.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::ops::counters::{Counters, Guard};

/// The caps and the connections counted against them; cloned into each listener's accept loop.
#[derive(Debug, Clone)]
pub(crate) struct Admission {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    max_total: usize,
    max_per_ip: usize,
    counters: Counters,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was refused: the `reason` label of `web_bridge_http_connections_refused_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    Total,
    PerIp,
}

impl Refused {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::PerIp => "per_ip",
        }
    }
}

impl Admission {
    pub(crate) fn new(max_total: usize, max_per_ip: usize, counters: Counters) -> Self {
        Self {
            shared: Arc::new(Shared {
                max_total,
                max_per_ip,
                counters,
                open: Mutex::new(Open::default()),
            }),
        }
    }

    /// A slot for one connection from `ip`, or why there is none (counted).
    pub(crate) fn admit(&self, ip: IpAddr) -> Result<Admitted, Refused> {
        let key = group(ip);
        let mut open = lock(&self.shared.open);
        let refused = if open.total >= self.shared.max_total {
            Some(Refused::Total)
        } else if open.per_ip.get(&key).copied().unwrap_or(0) >= self.shared.max_per_ip {
            Some(Refused::PerIp)
        } else {
            None
        };
        if let Some(why) = refused {
            drop(open);
            self.shared.counters.connection_refused(why.reason());
            return Err(why);
        }
        open.total += 1;
        *open.per_ip.entry(key).or_insert(0) += 1;
        drop(open);
        Ok(Admitted {
            shared: Arc::clone(&self.shared),
            key,
            _gauge: self.shared.counters.connection_opened(),
        })
    }
}

/// One admitted connection's slot, given back when dropped.
#[derive(Debug)]
pub(crate) struct Admitted {
    shared: Arc<Shared>,
    key: IpAddr,
    _gauge: Guard,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = lock(&self.shared.open);
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.per_ip.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.per_ip.remove(&self.key);
            }
        }
    }
}

/// The address a connection counts against: IPv4 (IPv4-mapped IPv6 included) as is, other IPv6 by its /64,
/// since one host usually holds a whole /64.
fn group(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The counts are plain integers: a panic elsewhere while holding the lock leaves them usable.
fn lock(m: &Mutex<Open>) -> MutexGuard<'_, Open> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A connection's IO carrying its slot, so the slot is given back only when the socket is closed: hyper hands
/// the IO to an upgraded WebSocket, which keeps it (and the slot) after the HTTP connection task has ended.
#[derive(Debug)]
pub(crate) struct Counted<S> {
    io: S,
    _slot: Admitted,
}

impl<S> Counted<S> {
    pub(crate) fn new(io: S, slot: Admitted) -> Self {
        Self { io, _slot: slot }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_total_and_per_address_and_gives_slots_back() {
        let admission = Admission::new(3, 2, Counters::default());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = admission.admit(a).unwrap();
        let _a2 = admission.admit(a).unwrap();
        assert_eq!(admission.admit(a).unwrap_err(), Refused::PerIp);
        let _b1 = admission.admit(b).unwrap();
        assert_eq!(admission.admit(b).unwrap_err(), Refused::Total);
        drop(a1);
        assert!(admission.admit(a).is_ok());
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_ipv4_as_ipv4() {
        let x: IpAddr = "2001:db8::1".parse().unwrap();
        let y: IpAddr = "2001:db8::ffff:2".parse().unwrap();
        assert_eq!(group(x), group(y));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(group(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }
}
