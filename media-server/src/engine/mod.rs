//! The WebRTC media engine: endpoints (str0m `Rtc` + UDP sockets, one tokio task each), loopback and
//! forwarding between endpoints, Kurento-shaped events. Plain Rust API; no JSON here.
//!
//! ```text
//! Engine::new(config) ──create_endpoint(events_tx)──▶ Endpoint (handle) ──commands──▶ driver task
//!                                                                                   ├─ UDP socket(s)
//!                                                                                   └─ Peer (Rtc)
//! endpoint A ──connect(B)──▶ A's media is written out of B's peer; B's keyframe requests go to A
//! ```
//!
//! Sockets are bound when the endpoint is created (one per configured interface), so a port shortage
//! is reported by `create_endpoint`, and `stats()` counts them from then until the endpoint ends.
//! In one-port mode (`EngineConfig::udp_port`) the engine binds one socket per interface at start
//! instead, shared by every endpoint: `shared_socket.rs` receives and routes by `demux.rs`'s table,
//! each endpoint's registration removes its routes when it ends.
//! Host candidates name the interface's address, or the external one of its family when configured
//! (`EngineConfig::external_ipv4`/`external_ipv6`, in place of it, as KMS does).
//! Media uses str0m's frame API (depacketise, then packetise again per peer): it is the mode the str0m
//! examples and Chromium interop are proven with, and it keeps SSRCs, payload types, RTX and NACK per
//! peer correct without hand-written mapping.

mod config;
mod demux;
mod driver;
mod dtls;
mod endpoint;
mod error;
mod event;
mod forward;
mod media_stats;
mod peer;
mod rebase;
mod remote_candidates;
mod rtc_events;
mod sdp_text;
mod shared_socket;
mod stats;
mod stun_client;
mod stun_peek;
mod threads;
mod transport;
mod verified;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use str0m::crypto::CryptoProvider;
use str0m::crypto::dtls::DtlsCert;
use str0m::{Candidate, RtcConfig};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use config::EngineConfig;
pub use endpoint::{Endpoint, EndpointId};
pub use error::EngineError;
pub use event::{EndpointEvent, IceComponentState, MediaType};
pub use media_stats::{StreamDirection, StreamStats};
pub use stats::EngineStats;

use driver::Driver;
use forward::Link;
use peer::{Peer, Timing};
use remote_candidates::RemotePolicy;
use shared_socket::SharedSockets;
use stats::{Counters, Live, LiveGuard};
use threads::MediaThreads;
use transport::Transport;

/// Cloneable handle to the engine; endpoints created from it share its certificate and counters.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: EngineConfig,
    counters: Arc<Counters>,
    crypto: Arc<CryptoProvider>,
    /// One DTLS certificate for all endpoints: generating a key per endpoint costs milliseconds of CPU
    /// and delays the first packet; the fingerprint is per-SDP anyway, and peers only pin it per session.
    cert: DtlsCert,
    next_id: AtomicU64,
    threads: MediaThreads,
    /// One-port mode's sockets and routing table; `None` in port-range mode.
    shared: Option<SharedSockets>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Engine {
    /// Creates the engine: its DTLS certificate and media threads, and in one-port mode its shared
    /// sockets (a busy port fails here, not per endpoint). Otherwise no socket is opened until endpoints
    /// are created. The threads stop once the engine and all its endpoints are dropped.
    pub fn new(config: EngineConfig) -> Result<Engine, EngineError> {
        let crypto = dtls::provider();
        let cert = crypto
            .dtls_provider
            .generate_certificate()
            .ok_or(EngineError::Certificate)?;
        let threads = MediaThreads::start(config.media_threads).map_err(EngineError::Threads)?;
        let counters = Arc::new(Counters::default());
        let shared = match config.udp_port {
            Some(port) => Some(SharedSockets::bind(
                port,
                &config,
                &counters,
                &threads.pick(),
            )?),
            None => None,
        };
        let inner = EngineInner {
            config,
            counters,
            crypto: Arc::new(crypto),
            cert,
            next_id: AtomicU64::new(1),
            threads,
            shared,
        };
        Ok(Engine {
            inner: Arc::new(inner),
        })
    }

    /// Live counters: running endpoints, open sockets, datagrams in/out, dropped events and media, and
    /// in one-port mode the routing table's size.
    pub fn stats(&self) -> EngineStats {
        let mut stats = self.inner.counters.snapshot();
        if let Some(shared) = &self.inner.shared {
            let size = shared.size();
            stats.routed_ufrags = size.ufrags;
            stats.routed_addresses = size.addrs;
            stats.routed_checks = size.checks;
        }
        stats
    }

    /// An event channel with the configured capacity, for [`Engine::create_endpoint`].
    pub fn event_channel(&self) -> (mpsc::Sender<EndpointEvent>, mpsc::Receiver<EndpointEvent>) {
        mpsc::channel(self.inner.config.event_capacity.max(1))
    }

    /// Creates an endpoint: binds its UDP socket(s), or in one-port mode registers its ufrag on the
    /// shared ones, and spawns its driver task on one of the engine's media threads. Its events go to
    /// `events`, never waited for.
    pub fn create_endpoint(
        &self,
        events: mpsc::Sender<EndpointEvent>,
    ) -> Result<Endpoint, EngineError> {
        let config = &self.inner.config;
        let counters = &self.inner.counters;
        let thread = self.inner.threads.pick();
        let id = EndpointId(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let (transport, creds) = match &self.inner.shared {
            Some(shared) => {
                let (port, creds) = shared.attach(id)?;
                (Transport::Shared(port), Some(creds))
            }
            None => {
                // Sockets register with the runtime current at their creation: the media thread's.
                let _runtime = thread.handle().enter();
                let mut sockets = Vec::with_capacity(config.interfaces.len());
                for ip in &config.interfaces {
                    sockets.push(transport::bind_own(*ip, config, counters)?);
                }
                (Transport::Own(sockets), None)
            }
        };
        let mut candidates: Vec<Candidate> = transport
            .advertised()
            .into_iter()
            .filter_map(|addr| match Candidate::host(addr, "udp") {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!("no host candidate for {addr}: {e}");
                    None
                }
            })
            .collect();
        // Server-reflexive candidates: one-port mode's sockets already know theirs; own sockets ask
        // when gathering starts (`Driver::start_reflexive`).
        if let Some(shared) = &self.inner.shared {
            candidates.extend(shared.reflexive_candidates());
        }

        let mut rtc = RtcConfig::new()
            .set_crypto_provider(Arc::clone(&self.inner.crypto))
            .set_dtls_cert(self.inner.cert.clone())
            .set_stats_interval(Some(media_stats::STATS_INTERVAL))
            // Packets are forwarded as they come (`forward.rs`), not reassembled into frames.
            .set_rtp_mode(true);
        if let Some(creds) = creds {
            // One-port mode routes binding requests by this ufrag, registered before the task starts.
            rtc = rtc.set_local_ice_credentials(creds);
        }
        let rtc = rtc.build(Instant::now());
        let timing = Timing {
            keyframe_min_interval: config.keyframe_min_interval,
            flow_timeout: config.flow_timeout,
        };
        let policy = RemotePolicy {
            allow_private: config.allow_private_candidates,
            max: config.max_remote_candidates,
        };
        let peer = Peer::new(
            id,
            rtc,
            timing,
            policy,
            events,
            Arc::clone(counters),
            candidates,
        );

        let (command_tx, command_rx) = mpsc::channel(config.command_capacity.max(1));
        let (media_tx, media_rx) = mpsc::channel(config.media_capacity.max(1));
        let cancel = CancellationToken::new();
        let driver = Driver {
            peer,
            transport,
            commands: command_rx,
            media: media_rx,
            cancel: cancel.clone(),
            _live: LiveGuard::new(Arc::clone(counters), Live::Endpoint),
            verified: verified::Verified::default(),
            stun: config.stun_server,
            stun_timeout: config.stun_timeout,
            reflexive: Vec::new(),
        };
        let task = thread.handle().spawn(driver.run());
        Ok(Endpoint::new(
            id,
            command_tx,
            Link { id, tx: media_tx },
            cancel,
            task,
            thread,
        ))
    }
}
