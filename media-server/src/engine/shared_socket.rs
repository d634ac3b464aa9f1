//! One-port mode's sockets: one UDP socket per interface, bound once for the whole engine, a receive
//! task per socket that hands each datagram to its endpoint's bounded inbox (routed by `demux.rs`), and
//! the registration each endpoint holds for its entries in the table.
//!
//! The receive task never waits for an endpoint: a full inbox drops that datagram (`inbox_drops`), so an
//! endpoint that stalls loses its own packets and nobody else's. Endpoints send straight out of the
//! shared socket (a duplicate of its descriptor), from their own media thread.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use str0m::IceCreds;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::config::EngineConfig;
use super::demux::{Claim, DemuxTable, TableSize, Taken};
use super::endpoint::EndpointId;
use super::error::EngineError;
use super::stats::{Counters, Live, LiveGuard};
use super::stun_client::{self, Query, Step};
use super::stun_peek::TransactionId;
use super::threads::MediaThread;

/// Larger than any datagram a WebRTC peer sends (MTU-sized); a bigger one is truncated and rejected.
const RECV_BUFFER: usize = 2048;
/// Datagrams read per wakeup before the task yields to the others on its thread.
const RECV_BATCH: usize = 64;
/// Fresh credentials drawn before giving up when a ufrag is taken (16 random characters: never twice).
pub(crate) const UFRAG_DRAWS: usize = 8;

/// One datagram for an endpoint: which shared socket it came in on, from where, and its bytes.
pub(crate) struct Inbound {
    pub socket: usize,
    pub source: SocketAddr,
    pub data: Vec<u8>,
}

type Table = Arc<Mutex<DemuxTable<EndpointId, mpsc::Sender<Inbound>>>>;

/// The send side of one shared socket, and where it is seen from outside.
pub(crate) struct SendSocket {
    socket: UdpSocket,
    /// What host candidates name (the external address, if configured, with the bound port).
    pub advertised: SocketAddr,
    /// The server-reflexive address the STUN server last reported for this socket, if any.
    reflexive: Arc<Mutex<Option<SocketAddr>>>,
    _live: LiveGuard,
}

impl SendSocket {
    pub(crate) fn send_to(&self, data: &[u8], to: SocketAddr) -> io::Result<usize> {
        self.socket.send_to(data, to)
    }
}

/// The engine's shared sockets and their routing table. Dropping it stops the receive tasks; the send
/// sides live on with the endpoints that still hold them.
pub(crate) struct SharedSockets {
    table: Table,
    sockets: Arc<[SendSocket]>,
    inbox_capacity: usize,
    _stop: DropGuard,
}

impl SharedSockets {
    /// Binds one socket per interface on `port` (0: the OS picks for the first interface, the others
    /// take the same number) and starts their receive tasks on `thread`.
    pub(crate) fn bind(
        port: u16,
        config: &EngineConfig,
        counters: &Arc<Counters>,
        thread: &MediaThread,
    ) -> Result<SharedSockets, EngineError> {
        let table: Table = Arc::new(Mutex::new(DemuxTable::new(
            config.max_routed_addresses,
            config.route_hold,
        )));
        let stop = CancellationToken::new();
        let _runtime = thread.handle().enter();
        let mut port = port;
        let mut sends = Vec::with_capacity(config.interfaces.len());
        for (index, ip) in config.interfaces.iter().enumerate() {
            let addr = SocketAddr::new(*ip, port);
            let bind_error = |source| EngineError::Bind {
                addr: addr.to_string(),
                source,
            };
            let (receive, send) = bind_pair(addr).map_err(bind_error)?;
            let local = send.local_addr().map_err(bind_error)?;
            port = local.port();
            let reflexive = Arc::new(Mutex::new(None));
            sends.push(SendSocket {
                socket: send,
                advertised: config.advertised(local),
                reflexive: Arc::clone(&reflexive),
                _live: LiveGuard::new(Arc::clone(counters), Live::Socket),
            });
            let stun = config
                .stun_server
                .filter(|server| server.is_ipv4() == local.is_ipv4())
                .map(|server| Stun {
                    server,
                    timeout: config.stun_timeout,
                    refresh: config.stun_refresh,
                    found: reflexive,
                });
            let task = Receiver {
                socket: receive,
                index,
                table: Arc::clone(&table),
                counters: Arc::clone(counters),
                stun,
            };
            thread.handle().spawn(task.run(stop.clone()));
            tracing::info!(%local, advertised = %config.advertised(local), "one-port mode: media socket");
        }
        Ok(SharedSockets {
            table,
            sockets: sends.into(),
            inbox_capacity: config.inbox_capacity.max(1),
            _stop: stop.drop_guard(),
        })
    }

    /// Registers endpoint `id` under fresh ICE credentials: its registration (which removes the entries
    /// when dropped), its inbox and the credentials its `Rtc` must use.
    pub(crate) fn attach(&self, id: EndpointId) -> Result<(SharedPort, IceCreds), EngineError> {
        let (tx, rx) = mpsc::channel(self.inbox_capacity);
        let mut table = lock(&self.table);
        for _ in 0..UFRAG_DRAWS {
            let creds = IceCreds::new();
            match table.register(id, &creds.ufrag, tx.clone()) {
                Ok(()) => {
                    let port = SharedPort {
                        inbox: rx,
                        sockets: Arc::clone(&self.sockets),
                        registration: Registration {
                            table: Arc::clone(&self.table),
                            id,
                        },
                    };
                    return Ok((port, creds));
                }
                Err(Taken::Ufrag) => continue,
                Err(Taken::Key) => break,
            }
        }
        Err(EngineError::UfragCollision)
    }

    /// A server-reflexive candidate for each shared socket whose STUN answer has come (its host
    /// candidate as the base), for a new endpoint's gathering.
    pub(crate) fn reflexive_candidates(&self) -> Vec<str0m::Candidate> {
        self.sockets
            .iter()
            .filter_map(|s| {
                let mapped = (*lock(&s.reflexive))?;
                str0m::Candidate::server_reflexive(mapped, s.advertised, "udp").ok()
            })
            .collect()
    }

    /// How many ufrags and addresses the table routes by.
    pub(crate) fn size(&self) -> TableSize {
        lock(&self.table).size()
    }
}

/// An endpoint's side of the shared sockets: its inbox, the sockets to send from, and its entries in
/// the table, removed when this is dropped (release, drop, a task that ended or unwound).
pub(crate) struct SharedPort {
    pub inbox: mpsc::Receiver<Inbound>,
    pub sockets: Arc<[SendSocket]>,
    pub registration: Registration,
}

/// Owns one endpoint's entries in the table.
pub(crate) struct Registration {
    table: Table,
    id: EndpointId,
}

impl Registration {
    /// Routes datagrams from `source` to this endpoint: called once its `Rtc` accepted a binding
    /// request from there at `now`, i.e. one carrying this endpoint's ICE password. Refused (and
    /// logged) while another live endpoint holds the address (see `demux.rs`).
    pub(crate) fn claim(&self, source: SocketAddr, now: Instant) {
        let claim = lock(&self.table).claim(self.id, source, now);
        if claim == Claim::Held {
            tracing::debug!(endpoint = %self.id, %source, "one-port: address held by another endpoint");
        }
    }
}

impl Registration {
    /// Routes the answer to the binding request `id` to this endpoint: it is sending that check (see
    /// `demux.rs`).
    pub(crate) fn expect(&self, id: TransactionId) {
        lock(&self.table).expect(self.id, id);
    }

    /// Moves this endpoint's ufrag route to `ufrag` (an ICE restart), dropping the old one; false,
    /// changing nothing, if another endpoint has `ufrag`.
    pub(crate) fn rekey(&self, ufrag: &str) -> bool {
        lock(&self.table).rekey(self.id, ufrag).is_ok()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&self.table).remove(self.id);
    }
}

/// The table holds plain data and no code path panics while holding it; should one, the data is still
/// consistent enough to route by, so poisoning is ignored rather than spread.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A socket bound on `addr`: the tokio half to receive on (registered with the current runtime) and a
/// duplicate of its descriptor to send from any thread without waiting.
fn bind_pair(addr: SocketAddr) -> io::Result<(tokio::net::UdpSocket, UdpSocket)> {
    let socket = UdpSocket::bind(addr)?;
    socket.set_nonblocking(true)?;
    let send = socket.try_clone()?;
    Ok((tokio::net::UdpSocket::from_std(socket)?, send))
}

/// One shared socket's receive loop.
struct Receiver {
    socket: tokio::net::UdpSocket,
    index: usize,
    table: Table,
    counters: Arc<Counters>,
    stun: Option<Stun>,
}

/// What a shared socket asks its STUN server, how often, and where it keeps the answer.
struct Stun {
    server: SocketAddr,
    timeout: Duration,
    refresh: Duration,
    found: Arc<Mutex<Option<SocketAddr>>>,
}

impl Receiver {
    async fn run(self, stop: CancellationToken) {
        let mut buf = vec![0u8; RECV_BUFFER];
        // The socket asks for its server-reflexive address at once and again every `refresh`; between
        // queries `query` is `None` and `next` is when the next one starts.
        let mut query: Option<Query> = None;
        let mut next = Instant::now();
        loop {
            let received = tokio::select! {
                _ = stop.cancelled() => break,
                received = self.socket.recv_from(&mut buf) => received,
                () = tokio::time::sleep_until(next.into()), if self.stun.is_some() => {
                    next = self.ask(&mut query, Instant::now());
                    continue;
                }
            };
            match received {
                Ok((len, source)) => self.take(&buf[..len], source, &mut query, &mut next),
                // Unconnected UDP sockets report little (an ICMP error for some earlier send).
                Err(e) => tracing::debug!("one-port receive: {e}"),
            }
            // The datagrams already queued, in one wakeup.
            for _ in 0..RECV_BATCH {
                match self.socket.try_recv_from(&mut buf) {
                    Ok((len, source)) => self.take(&buf[..len], source, &mut query, &mut next),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => tracing::debug!("one-port receive: {e}"),
                }
            }
        }
    }

    /// Moves the STUN query on at `now` (starting one when none is out); returns when to call again.
    fn ask(&self, query: &mut Option<Query>, now: Instant) -> Instant {
        let Some(stun) = &self.stun else {
            return now + Duration::from_secs(3600);
        };
        let q = query.get_or_insert_with(|| Query::new(stun.server, stun.timeout, now));
        loop {
            match q.step(now) {
                Step::Send => {
                    if let Err(e) = self.socket.try_send_to(&q.request(), stun.server) {
                        tracing::debug!(server = %stun.server, "one-port: STUN request: {e}");
                    }
                }
                Step::Wait(at) => return at,
                Step::GiveUp => {
                    tracing::warn!(
                        server = %stun.server,
                        "one-port: no STUN answer in time; new endpoints get no server-reflexive candidate until one comes"
                    );
                    *query = None;
                    return now + stun.refresh;
                }
            }
        }
    }

    /// A datagram received: the answer to the STUN query, or one for an endpoint.
    fn take(&self, data: &[u8], source: SocketAddr, query: &mut Option<Query>, next: &mut Instant) {
        if let (Some(stun), Some(q)) = (&self.stun, query.as_ref())
            && source == stun.server
            && stun_client::is_response(data)
        {
            if let Some(mapped) = q.answer(data) {
                let before = lock(&stun.found).replace(mapped);
                if before != Some(mapped) {
                    tracing::info!(%mapped, server = %stun.server, "one-port: server-reflexive address from STUN");
                }
                *query = None;
                *next = Instant::now() + stun.refresh;
            }
            return;
        }
        self.route(data, source);
    }

    fn route(&self, data: &[u8], source: SocketAddr) {
        let table = lock(&self.table);
        let Some((id, inbox)) = table.route(source, data) else {
            // Not a binding request naming a live endpoint, and not from an address one verified.
            Counters::add(&self.counters.packets_unrouted, 1);
            tracing::trace!(%source, "one-port: datagram for no endpoint dropped");
            return;
        };
        let inbound = Inbound {
            socket: self.index,
            source,
            data: data.to_vec(),
        };
        match inbox.try_send(inbound) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                Counters::add(&self.counters.inbox_drops, 1);
                tracing::trace!(endpoint = %id, "one-port: inbox full, datagram dropped");
            }
            // The endpoint's task ended and its registration is being dropped.
            Err(TrySendError::Closed(_)) => Counters::add(&self.counters.packets_unrouted, 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::threads::MediaThreads;

    fn eventually(mut done: impl FnMut() -> bool) -> bool {
        for _ in 0..200 {
            if done() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        done()
    }

    /// The receive task never waits for an endpoint: one whose inbox nobody drains loses its own
    /// datagrams (counted) while another endpoint gets all of its own, and strangers are counted too.
    #[test]
    fn a_full_inbox_drops_only_its_own_datagrams() {
        let threads = MediaThreads::start(1).unwrap();
        let counters = Arc::new(Counters::default());
        let config = EngineConfig {
            inbox_capacity: 16,
            ..EngineConfig::default()
        };
        let shared = SharedSockets::bind(0, &config, &counters, &threads.pick()).unwrap();
        let (stalled, _) = shared.attach(EndpointId(1)).unwrap();
        let (mut live, _) = shared.attach(EndpointId(2)).unwrap();
        let senders: Vec<UdpSocket> = (0..3)
            .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
            .collect();
        let now = Instant::now();
        stalled
            .registration
            .claim(senders[0].local_addr().unwrap(), now);
        live.registration
            .claim(senders[1].local_addr().unwrap(), now);
        assert_eq!(
            shared.size(),
            TableSize {
                ufrags: 2,
                addrs: 2,
                checks: 0,
            }
        );

        let target = shared.sockets[0].advertised;
        for i in 0..40u8 {
            senders[0].send_to(&[0x80, i], target).unwrap();
        }
        for i in 0..10u8 {
            senders[1].send_to(&[0x80, i], target).unwrap();
            senders[2].send_to(&[0x80, i], target).unwrap();
        }
        let mut got = Vec::new();
        assert!(eventually(|| {
            while let Ok(inbound) = live.inbox.try_recv() {
                got.push(inbound.data[1]);
            }
            got.len() == 10
        }));
        assert_eq!(got, (0..10).collect::<Vec<_>>(), "in order, none lost");
        assert!(eventually(
            || counters.snapshot().inbox_drops == 24 && counters.snapshot().packets_unrouted == 10
        ));

        drop(stalled);
        drop(live);
        assert_eq!(
            shared.size(),
            TableSize::default(),
            "registrations took their routes"
        );
    }
}
