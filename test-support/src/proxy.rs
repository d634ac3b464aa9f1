//! A TCP proxy on 127.0.0.1 for fault tests: put it between a client and a server, then cut, stall,
//! delay or refuse connections while the test runs.
//!
//! ```ignore
//! let proxy = Proxy::start(media_server.local_addr());
//! connect(proxy.addr());
//! proxy.delay_downstream(Duration::from_secs(3)); // answers now come after the client's timeout
//! proxy.cut();                                     // every open connection is reset, both ways
//! ```
//!
//! Dropping the [`Proxy`] stops accepting and closes every connection (its tasks watch one
//! cancellation token); [`Proxy::shutdown`] also waits for them to finish.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Bytes read at once from either side.
const CHUNK: usize = 16 * 1024;
/// Chunks held per direction while they wait out a delay; a full queue stops reading (backpressure).
const HELD_CHUNKS: usize = 64;

/// A running proxy from [`Proxy::addr`] to one upstream address. See the module docs.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
    tracker: TaskTracker,
}

/// What the controls change and every connection reads.
#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    /// The token of the connections open now; `cut` cancels it and starts a new one.
    generation: Mutex<CancellationToken>,
    stalled: watch::Sender<bool>,
    delay_downstream: Mutex<Duration>,
    refuse: AtomicBool,
    open: AtomicUsize,
}

impl Shared {
    fn generation(&self) -> MutexGuard<'_, CancellationToken> {
        self.generation
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn delay(&self) -> Duration {
        *self
            .delay_downstream
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts a connection as open until dropped.
struct Open(Arc<Shared>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Proxy {
    /// Listens on an ephemeral port of 127.0.0.1 and forwards every connection to `upstream`.
    /// Call it inside a tokio runtime; panics if 127.0.0.1 cannot be bound (a test helper).
    pub fn start(upstream: SocketAddr) -> Proxy {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener
            .set_nonblocking(true)
            .expect("set the listener non-blocking");
        let addr = std_listener.local_addr().expect("listener address");
        let listener = TcpListener::from_std(std_listener).expect("inside a tokio runtime");
        let stop = CancellationToken::new();
        let shared = Arc::new(Shared {
            upstream,
            generation: Mutex::new(stop.child_token()),
            stalled: watch::Sender::new(false),
            delay_downstream: Mutex::new(Duration::ZERO),
            refuse: AtomicBool::new(false),
            open: AtomicUsize::new(0),
        });
        let tracker = TaskTracker::new();
        tracker.spawn(accept_loop(
            listener,
            Arc::clone(&shared),
            stop.clone(),
            tracker.clone(),
        ));
        Proxy {
            addr,
            shared,
            stop,
            tracker,
        }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Resets every connection open now, both sides at once (RST, not FIN); new ones still work.
    pub fn cut(&self) {
        let mut generation = self.shared.generation();
        generation.cancel();
        *generation = self.stop.child_token();
    }

    /// While `true`, no byte moves in either direction; the connections stay open.
    pub fn stall(&self, on: bool) {
        self.shared.stalled.send_replace(on);
    }

    /// Holds every chunk from upstream to the client for `delay` before forwarding it (chunks read
    /// from now on; zero ends the delay).
    pub fn delay_downstream(&self, delay: Duration) {
        *self
            .shared
            .delay_downstream
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = delay;
    }

    /// While `true`, new connections are accepted and closed at once; open ones are untouched.
    pub fn refuse(&self, on: bool) {
        self.shared.refuse.store(on, Ordering::SeqCst);
    }

    /// Connections open now (accepted, connected upstream, not yet closed).
    pub fn connections(&self) -> usize {
        self.shared.open.load(Ordering::SeqCst)
    }

    /// Stops the proxy and waits until every connection is closed.
    pub async fn shutdown(self) {
        self.stop.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.cancel();
        self.tracker.close();
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    stop: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let client = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => client,
                Err(_) => continue,
            },
        };
        if shared.refuse.load(Ordering::SeqCst) {
            drop(client);
            continue;
        }
        let token = shared.generation().child_token();
        tracker.spawn(serve(client, Arc::clone(&shared), token));
    }
}

/// One client connection: connects upstream, then pumps both directions until both end or `token`
/// is cancelled (a cut or the proxy stopping).
async fn serve(client: TcpStream, shared: Arc<Shared>, token: CancellationToken) {
    let upstream = tokio::select! {
        _ = token.cancelled() => return,
        u = TcpStream::connect(shared.upstream) => match u {
            Ok(u) => u,
            Err(_) => return,
        },
    };
    shared.open.fetch_add(1, Ordering::SeqCst);
    let _open = Open(Arc::clone(&shared));
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let (mut client_r, mut client_w) = client.into_split();
    let (mut up_r, mut up_w) = upstream.into_split();
    let failed = CancellationToken::new();
    let cut = tokio::select! {
        _ = token.cancelled() => true,
        _ = failed.cancelled() => false,
        _ = async {
            tokio::join!(
                pump(&mut client_r, &mut up_w, &shared, false, &failed),
                pump(&mut up_r, &mut client_w, &shared, true, &failed),
            )
        } => false,
    };
    if cut && let (Ok(c), Ok(u)) = (client_r.reunite(client_w), up_r.reunite(up_w)) {
        // Reset, not a polite close: both peers see the connection die.
        let _ = c.set_zero_linger();
        let _ = u.set_zero_linger();
    }
}

/// One direction: reads chunks, holds each until its due time (and while stalled), writes it; on
/// end of stream shuts down the writing side. An I/O error cancels `failed`, ending both directions.
async fn pump(
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
    shared: &Shared,
    downstream: bool,
    failed: &CancellationToken,
) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(HELD_CHUNKS);
    let read = async move {
        let mut stalled = shared.stalled.subscribe();
        loop {
            // While stalled, read nothing, so the sender's own buffers fill up as on a dead link.
            if stalled.wait_for(|s| !*s).await.is_err() {
                return;
            }
            let mut buf = vec![0u8; CHUNK];
            let n = match from.read(&mut buf).await {
                Ok(0) => return,
                Ok(n) => n,
                Err(_) => {
                    failed.cancel();
                    return;
                }
            };
            buf.truncate(n);
            let delay = if downstream {
                shared.delay()
            } else {
                Duration::ZERO
            };
            if tx.send((Instant::now() + delay, buf)).await.is_err() {
                return;
            }
        }
    };
    let write = async {
        let mut stalled = shared.stalled.subscribe();
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if stalled.wait_for(|s| !*s).await.is_err() {
                return;
            }
            if to.write_all(&chunk).await.is_err() {
                failed.cancel();
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(read, write);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wait::eventually;

    /// An echo server on 127.0.0.1 that serves until the runtime ends.
    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    }

    async fn echo(s: &mut TcpStream, text: &[u8], within: Duration) -> std::io::Result<Vec<u8>> {
        s.write_all(text).await?;
        let mut buf = vec![0u8; text.len()];
        tokio::time::timeout(within, s.read_exact(&mut buf))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        Ok(buf)
    }

    const SOON: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn forwards_then_cut_resets_every_connection() -> anyhow::Result<()> {
        let proxy = Proxy::start(echo_server().await);
        let mut a = TcpStream::connect(proxy.addr()).await?;
        let mut b = TcpStream::connect(proxy.addr()).await?;
        assert_eq!(echo(&mut a, b"hello", SOON).await?, b"hello");
        assert_eq!(echo(&mut b, b"world", SOON).await?, b"world");
        assert_eq!(proxy.connections(), 2);

        proxy.cut();
        for s in [&mut a, &mut b] {
            let mut buf = [0u8; 8];
            let r = tokio::time::timeout(SOON, s.read(&mut buf)).await?;
            assert!(matches!(r, Ok(0) | Err(_)), "the connection ended: {r:?}");
        }
        assert!(eventually(SOON, || proxy.connections() == 0).await);

        // New connections still work after a cut.
        let mut c = TcpStream::connect(proxy.addr()).await?;
        assert_eq!(echo(&mut c, b"again", SOON).await?, b"again");
        Ok(())
    }

    #[tokio::test]
    async fn stall_holds_bytes_and_delay_holds_answers() -> anyhow::Result<()> {
        let proxy = Proxy::start(echo_server().await);
        let mut s = TcpStream::connect(proxy.addr()).await?;
        assert_eq!(echo(&mut s, b"one", SOON).await?, b"one");

        proxy.stall(true);
        assert!(
            echo(&mut s, b"two", Duration::from_millis(300))
                .await
                .is_err(),
            "nothing moves while stalled"
        );
        assert_eq!(proxy.connections(), 1, "stalled, not closed");
        proxy.stall(false);
        let mut buf = [0u8; 3];
        tokio::time::timeout(SOON, s.read_exact(&mut buf)).await??;
        assert_eq!(&buf, b"two");

        proxy.delay_downstream(Duration::from_millis(400));
        let started = Instant::now();
        assert_eq!(echo(&mut s, b"three", SOON).await?, b"three");
        assert!(started.elapsed() >= Duration::from_millis(400));
        Ok(())
    }

    #[tokio::test]
    async fn refuse_closes_new_connections_and_drop_closes_all() -> anyhow::Result<()> {
        let proxy = Proxy::start(echo_server().await);
        let mut kept = TcpStream::connect(proxy.addr()).await?;
        assert_eq!(echo(&mut kept, b"kept", SOON).await?, b"kept");

        proxy.refuse(true);
        let mut refused = TcpStream::connect(proxy.addr()).await?;
        let mut buf = [0u8; 4];
        let r = tokio::time::timeout(SOON, refused.read(&mut buf)).await?;
        assert!(matches!(r, Ok(0) | Err(_)), "closed at once: {r:?}");
        assert_eq!(echo(&mut kept, b"open", SOON).await?, b"open");
        proxy.refuse(false);
        let mut fresh = TcpStream::connect(proxy.addr()).await?;
        assert_eq!(echo(&mut fresh, b"back", SOON).await?, b"back");
        assert_eq!(proxy.connections(), 2);

        let addr = proxy.addr();
        drop(proxy);
        for s in [&mut kept, &mut fresh] {
            let r = tokio::time::timeout(SOON, s.read(&mut buf)).await?;
            assert!(
                matches!(r, Ok(0) | Err(_)),
                "dropping the proxy closes: {r:?}"
            );
        }
        assert!(
            eventually(SOON, || std::net::TcpStream::connect(addr).is_err()).await,
            "and stops listening"
        );
        Ok(())
    }
}
