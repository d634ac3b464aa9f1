//! Who may hold a connection: a cap on connections open at once, in total and per remote address, checked
//! on accept (before TLS or any byte is read), and held by the connection's IO for as long as it lives, an
//! upgraded WebSocket or a long gRPC stream included. Every listener of the workspace admits through this:
//! web-bridge's page and metrics ports, the gateway's gRPC and metrics ports, the media server's WebSocket.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The two caps. Neither may be zero (a listener that admits nobody is a configuration mistake the flags
/// refuse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once on every listener sharing this [`Admission`].
    pub max_total: usize,
    /// Connections open at once from one address (IPv4) or one /64 (IPv6).
    pub max_per_address: usize,
}

/// What a service counts as connections come and go: its metrics. Every method defaults to nothing.
pub trait Observer: Send + Sync + 'static {
    /// A connection was admitted.
    fn opened(&self) {}
    /// An admitted connection's IO was dropped.
    fn closed(&self) {}
    /// A connection was closed on accept, over the cap `why`.
    fn refused(&self, why: Refused) {
        let _ = why;
    }
}

/// Counts nothing.
impl Observer for () {}

/// The caps and the connections counted against them; cloned into each listener's accept loop.
#[derive(Clone)]
pub struct Admission {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("limits", &self.shared.limits)
            .field("open", &self.open())
            .finish()
    }
}

struct Shared {
    limits: Limits,
    observer: Arc<dyn Observer>,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// [`Limits::max_total`] connections were open.
    Total,
    /// [`Limits::max_per_address`] connections from this address were open.
    PerIp,
}

impl Refused {
    /// The metric label: `total` or `per_ip`.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::PerIp => "per_ip",
        }
    }
}

impl Admission {
    /// Caps `limits`, reporting to `observer`.
    pub fn new(limits: Limits, observer: Arc<dyn Observer>) -> Self {
        Self {
            shared: Arc::new(Shared {
                limits,
                observer,
                open: Mutex::new(Open::default()),
            }),
        }
    }

    /// Connections admitted and not yet closed.
    pub fn open(&self) -> usize {
        lock(&self.shared.open).total
    }

    /// A slot for one connection from `ip`, or why there is none (reported to the observer).
    pub fn admit(&self, ip: IpAddr) -> Result<Admitted, Refused> {
        let key = group(ip);
        let limits = self.shared.limits;
        let mut open = lock(&self.shared.open);
        let refused = if open.total >= limits.max_total {
            Some(Refused::Total)
        } else if open.per_ip.get(&key).copied().unwrap_or(0) >= limits.max_per_address {
            Some(Refused::PerIp)
        } else {
            None
        };
        if let Some(why) = refused {
            drop(open);
            self.shared.observer.refused(why);
            return Err(why);
        }
        open.total += 1;
        *open.per_ip.entry(key).or_insert(0) += 1;
        drop(open);
        self.shared.observer.opened();
        Ok(Admitted {
            shared: Arc::clone(&self.shared),
            key,
        })
    }
}

/// One admitted connection's slot, given back when dropped.
pub struct Admitted {
    shared: Arc<Shared>,
    key: IpAddr,
}

impl std::fmt::Debug for Admitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admitted").field("key", &self.key).finish()
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.shared.observer.closed();
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
pub struct Counted<S> {
    io: S,
    _slot: Admitted,
}

impl<S> Counted<S> {
    /// `io`, holding `slot` until dropped.
    pub fn new(io: S, slot: Admitted) -> Self {
        Self { io, _slot: slot }
    }

    /// The IO inside (for its addresses, say).
    pub fn get_ref(&self) -> &S {
        &self.io
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

    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Tally {
        open: AtomicUsize,
        refused: AtomicUsize,
    }

    impl Observer for Tally {
        fn opened(&self) {
            self.open.fetch_add(1, Ordering::Relaxed);
        }
        fn closed(&self) {
            self.open.fetch_sub(1, Ordering::Relaxed);
        }
        fn refused(&self, _: Refused) {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn limits(max_total: usize, max_per_address: usize) -> Limits {
        Limits {
            max_total,
            max_per_address,
        }
    }

    #[test]
    fn caps_total_and_per_address_and_gives_slots_back() {
        let tally = Arc::new(Tally::default());
        let admission = Admission::new(limits(3, 2), tally.clone());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = admission.admit(a).unwrap();
        let a2 = admission.admit(a).unwrap();
        assert_eq!(admission.admit(a).unwrap_err(), Refused::PerIp);
        let b1 = admission.admit(b).unwrap();
        assert_eq!(admission.admit(b).unwrap_err(), Refused::Total);
        assert_eq!(
            (admission.open(), tally.open.load(Ordering::Relaxed)),
            (3, 3)
        );
        assert_eq!(tally.refused.load(Ordering::Relaxed), 2);
        drop(a1);
        let a3 = admission.admit(a).unwrap();
        drop((a3, a2, b1));
        assert_eq!(admission.open(), 0);
        assert_eq!(
            tally.open.load(Ordering::Relaxed),
            0,
            "every slot given back"
        );
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
