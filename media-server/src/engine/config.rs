//! Engine configuration: where endpoints bind, queue sizes and media timing knobs, each with its default.

use std::net::{IpAddr, Ipv4Addr};
use std::ops::RangeInclusive;
use std::time::Duration;

/// How the engine binds sockets and sizes its queues. `Default` suits tests and a single-host deployment.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Addresses to bind one UDP socket on per endpoint; each becomes one host candidate.
    /// Default: `[127.0.0.1]`.
    pub interfaces: Vec<IpAddr>,
    /// UDP ports endpoints may bind; `None` lets the OS pick. A range bounds what a firewall must open.
    /// Default: `None`.
    pub port_range: Option<RangeInclusive<u16>>,
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

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            interfaces: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            port_range: None,
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
