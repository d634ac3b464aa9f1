//! Engine configuration: where endpoints bind, queue sizes and media timing knobs, each with its default.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;

/// How the engine binds sockets and sizes its queues. `Default` suits tests and a single-host deployment.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Addresses to bind one UDP socket on per endpoint; each becomes one host candidate.
    /// Default: `[127.0.0.1]`.
    pub interfaces: Vec<IpAddr>,
    /// UDP ports endpoints may bind; `None` lets the OS pick. A range bounds what a firewall must open.
    /// Ignored when [`EngineConfig::udp_port`] is set. Default: `None`.
    pub port_range: Option<RangeInclusive<u16>>,
    /// One-port mode: every endpoint is served on one UDP socket per interface, bound once on this port
    /// when the engine starts (0: a port the OS picks, the same for every endpoint). Datagrams are
    /// demultiplexed by the STUN USERNAME of binding requests, then by the remote address the endpoint
    /// verified (`engine/demux.rs`). `None`: a socket per endpoint and interface. Default: `None`.
    pub udp_port: Option<u16>,
    /// In one-port mode, datagrams waiting for one endpoint's task; a full queue drops that endpoint's
    /// datagrams (counted in `EngineStats::inbox_drops`) so a stalled endpoint never holds up the shared
    /// socket or the other endpoints. Default: 256.
    pub inbox_capacity: usize,
    /// In one-port mode, most remote addresses one endpoint is routed by at once; a newer one evicts its
    /// oldest. Each was verified by the endpoint (a STUN check with its ICE password). Default: 16.
    pub max_routed_addresses: usize,
    /// In one-port mode, how long a remote address stays routed to the endpoint that last verified
    /// it before another endpoint may claim it. A caller knows its own endpoint's ICE password, so
    /// one able to forge source addresses could otherwise take over another peer's route; peers
    /// repeat their checks every few seconds (consent, RFC 7675) and give up after 30 s, so an
    /// address quiet that long belongs to nobody. Default: 30 s.
    pub route_hold: Duration,
    /// Address advertised in place of an IPv4 interface's own in host candidates (KMS `externalIPv4`):
    /// the public side of a 1:1 NAT or the Docker host's address, where the port is forwarded unchanged.
    /// With it, an interface may be `0.0.0.0`. Default: `None`.
    pub external_ipv4: Option<Ipv4Addr>,
    /// The same for IPv6 interfaces (KMS `externalIPv6`); with it, an interface may be `::`.
    /// Default: `None`.
    pub external_ipv6: Option<Ipv6Addr>,
    /// A STUN server (KMS `stunServerAddress`/`stunServerPort`) each media socket asks for its
    /// server-reflexive address, added as a `srflx` candidate (with the host one as `raddr`/`rport`):
    /// for the media server behind a NAT whose public address it does not know. In one-port mode each
    /// shared socket asks when the engine starts and again every [`EngineConfig::stun_refresh`];
    /// otherwise each endpoint's sockets ask when it is created, and its IceGatheringDone waits for the
    /// answer at most [`EngineConfig::stun_timeout`]. Default: `None`.
    pub stun_server: Option<SocketAddr>,
    /// How long one STUN query may take (retransmitted at 0, 250, 750 and 1750 ms) before it is given
    /// up with a warning and the endpoint goes on with its host candidates. Default: 2 s.
    pub stun_timeout: Duration,
    /// In one-port mode, how often each shared socket asks again (which also keeps the NAT's mapping
    /// alive while no peer is connected). Default: 30 s.
    pub stun_refresh: Duration,
    /// Capacity suggested for each endpoint's event channel (see [`crate::engine::Engine::event_channel`]).
    /// Events that do not fit are dropped and counted, never waited for. Default: 256.
    pub event_capacity: usize,
    /// Capacity of each endpoint's command queue (control calls). Default: 32.
    pub command_capacity: usize,
    /// Capacity of each endpoint's queue of media forwarded from other endpoints. A full queue drops
    /// media (and counts it) instead of stalling the sender's media loop. Default: 512.
    pub media_capacity: usize,
    /// Threads that run the endpoints (each a single-threaded runtime; endpoints are spread over them).
    /// One thread serves datagrams of many endpoints per wakeup, which is what keeps the CPU per packet
    /// low; more threads add capacity beyond one core. Default: 1.
    pub media_threads: usize,
    /// Minimum time between two keyframe requests sent to the same peer stream; browsers ask often and
    /// each keyframe is expensive. Default: 300 ms.
    pub keyframe_min_interval: Duration,
    /// Whether remote candidates with loopback, private (RFC 1918, fc00::/7) or link-local addresses are
    /// taken. Each remote candidate makes the endpoint send STUN checks to its address, so a caller could
    /// otherwise aim them at the server's own host or its private network; refused ones are ignored
    /// quietly (counted in `EngineStats::candidates_ignored`). A peer that can reach the endpoint still
    /// connects without them: its own checks arrive, and str0m learns its address as a peer-reflexive
    /// candidate. Turn it on when peers are on the same host or network and behind a NAT or firewall
    /// that needs the endpoint's checks first. Default: `false`.
    pub allow_private_candidates: bool,
    /// Most remote candidates one endpoint keeps, the offer's and the trickled ones together;
    /// `addIceCandidate` beyond it fails (40401). A browser sends a handful. Default: 64.
    pub max_remote_candidates: usize,
    /// Media absent this long in one direction turns its flow state to NOT_FLOWING. Default: 2 s.
    pub flow_timeout: Duration,
}

impl EngineConfig {
    /// The address host candidates advertise for a socket bound on `local`: the external address of
    /// its family if one is configured (KMS replaces the private address the same way), else `local`.
    pub(crate) fn advertised(&self, local: SocketAddr) -> SocketAddr {
        let ip = match local.ip() {
            IpAddr::V4(_) => self.external_ipv4.map(IpAddr::V4),
            IpAddr::V6(_) => self.external_ipv6.map(IpAddr::V6),
        };
        ip.map_or(local, |ip| SocketAddr::new(ip, local.port()))
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            interfaces: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            port_range: None,
            udp_port: None,
            inbox_capacity: 256,
            max_routed_addresses: 16,
            route_hold: Duration::from_secs(30),
            external_ipv4: None,
            external_ipv6: None,
            stun_server: None,
            stun_timeout: Duration::from_secs(2),
            stun_refresh: Duration::from_secs(30),
            event_capacity: 256,
            command_capacity: 32,
            media_capacity: 512,
            media_threads: 1,
            keyframe_min_interval: Duration::from_millis(300),
            flow_timeout: Duration::from_secs(2),
            allow_private_candidates: false,
            max_remote_candidates: 64,
        }
    }
}
