//! Live engine counters, and the guards that keep them honest when endpoints and sockets go away.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A snapshot of the engine's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Endpoints whose task is still running.
    pub endpoints: usize,
    /// UDP sockets currently open.
    pub udp_sockets: usize,
    /// UDP datagrams received.
    pub packets_in: u64,
    /// UDP datagrams sent.
    pub packets_out: u64,
    /// UDP datagrams dropped before str0m saw them (included in `packets_in`): not STUN, DTLS or RTP,
    /// STUN without this endpoint's ICE credentials, or other traffic from an address that is not the
    /// ICE peer's.
    pub packets_refused: u64,
    /// Remote candidates ignored (not given to str0m): mDNS names, unparsable text, and addresses the
    /// candidate policy refuses (see [`crate::engine::EngineConfig::allow_private_candidates`]).
    pub candidates_ignored: u64,
    /// Events dropped because the owner's channel was full or closed.
    pub events_dropped: u64,
    /// Forwarded media units dropped (sink queue full, sink gone, or no matching codec). Media for a
    /// peer that receives none of its kind (its m-lines of that kind are sendonly or inactive, or not
    /// negotiated yet) is not sent and not counted.
    pub media_dropped: u64,
    /// One-port mode: datagrams the shared sockets dropped for naming no endpoint (neither a binding
    /// request with a live endpoint's ufrag nor from an address an endpoint verified). Not in
    /// `packets_in`, which counts what reached an endpoint.
    pub packets_unrouted: u64,
    /// One-port mode: datagrams dropped because their endpoint's inbox was full (that endpoint is
    /// behind; the others are not held up). Not in `packets_in`.
    pub inbox_drops: u64,
    /// ICE restarts answered (a second `processOffer` with new ICE credentials).
    pub ice_restarts: u64,
    /// One-port mode: ufrags in the routing table (one per live endpoint; an ICE restart replaces its
    /// endpoint's).
    pub routed_ufrags: usize,
    /// One-port mode: remote addresses in the routing table (verified by their endpoint).
    pub routed_addresses: usize,
    /// One-port mode: ICE checks the endpoints sent whose answers the table routes back to them (a
    /// bounded number per endpoint).
    pub routed_checks: usize,
}

/// Shared atomic counters; relaxed ordering is enough because they are only ever read as a snapshot.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub endpoints: AtomicUsize,
    pub udp_sockets: AtomicUsize,
    pub packets_in: AtomicU64,
    pub packets_out: AtomicU64,
    pub packets_refused: AtomicU64,
    pub candidates_ignored: AtomicU64,
    pub events_dropped: AtomicU64,
    pub media_dropped: AtomicU64,
    pub packets_unrouted: AtomicU64,
    pub inbox_drops: AtomicU64,
    pub ice_restarts: AtomicU64,
}

impl Counters {
    pub(super) fn snapshot(&self) -> EngineStats {
        EngineStats {
            endpoints: self.endpoints.load(Ordering::Relaxed),
            udp_sockets: self.udp_sockets.load(Ordering::Relaxed),
            packets_in: self.packets_in.load(Ordering::Relaxed),
            packets_out: self.packets_out.load(Ordering::Relaxed),
            packets_refused: self.packets_refused.load(Ordering::Relaxed),
            candidates_ignored: self.candidates_ignored.load(Ordering::Relaxed),
            events_dropped: self.events_dropped.load(Ordering::Relaxed),
            media_dropped: self.media_dropped.load(Ordering::Relaxed),
            packets_unrouted: self.packets_unrouted.load(Ordering::Relaxed),
            inbox_drops: self.inbox_drops.load(Ordering::Relaxed),
            ice_restarts: self.ice_restarts.load(Ordering::Relaxed),
            routed_ufrags: 0,
            routed_addresses: 0,
            routed_checks: 0,
        }
    }

    pub(super) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// Counts one live thing (an endpoint task, an open socket) for as long as it exists.
#[derive(Debug)]
pub(crate) struct LiveGuard {
    counters: Arc<Counters>,
    which: Live,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Live {
    Endpoint,
    Socket,
}

impl LiveGuard {
    pub(super) fn new(counters: Arc<Counters>, which: Live) -> Self {
        counters.gauge(which).fetch_add(1, Ordering::Relaxed);
        LiveGuard { counters, which }
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.counters
            .gauge(self.which)
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl Counters {
    fn gauge(&self, which: Live) -> &AtomicUsize {
        match which {
            Live::Endpoint => &self.endpoints,
            Live::Socket => &self.udp_sockets,
        }
    }
}
