//! Turning str0m's events into Kurento's: ICE and connection state, selected pair, media flow.
//!
//! Which str0m event drives which Kurento event:
//! - `IceConnectionStateChange(Checking)` -> `IceComponentStateChanged(CONNECTING)`
//! - `IceConnectionStateChange(Connected)` -> `IceComponentStateChanged(CONNECTED)`
//! - `IceConnectionStateChange(Completed)`, or `Connected` (ICE + DTLS up) if ICE never said
//!   Completed -> `IceComponentStateChanged(READY)`; str0m's controlled agent often stays "Connected".
//! - `Connected` -> `ConnectionStateChanged(CONNECTED)`; after an ICE restart (DTLS stays up, str0m
//!   raises no second `Connected`), ICE `Connected` again -> READY and, if it was lost,
//!   `ConnectionStateChanged(CONNECTED)`
//! - `IceConnectionStateChange(Disconnected)` -> `IceComponentStateChanged(DISCONNECTED)`, then
//!   `ConnectionStateChanged`/`MediaStateChanged(DISCONNECTED)` if they were connected; `Closed`
//!   (the peer closed DTLS) -> the same two DISCONNECTED events.
//! - the first DTLS/SRTP datagram str0m transmits after ICE connected -> `NewCandidatePairSelected`
//!   (str0m keeps its nominated pair private; that datagram goes out on it).
//! - `RtpPacket` -> `MediaFlowInStateChanged(FLOWING)` per kind and, the first time,
//!   `MediaStateChanged(CONNECTED)`; successful writes -> `MediaFlowOutStateChanged(FLOWING)`;
//!   `flow_timeout` without media -> NOT_FLOWING.
//! - `MediaAdded`/`MediaChanged` -> no event; they record the m-lines media is routed over.
//! - `KeyframeRequest` -> forwarded to the media's source (see `forward.rs`).
//! - `MediaIngressStats`/`MediaEgressStats` -> no event; kept for `getStats` (see `media_stats.rs`).

use std::time::{Duration, Instant};

use str0m::net::Transmit;
use str0m::{Event, IceConnectionState};

use super::event::{EndpointEvent, IceComponentState, MediaType};
use super::peer::Peer;

/// How often flow timeouts are checked while something flows.
const FLOW_CHECK: Duration = Duration::from_millis(250);

#[derive(Debug, Default, Clone, Copy)]
struct Flow {
    flowing: bool,
    last: Option<Instant>,
}

/// Connection-level state remembered to emit each Kurento transition once.
#[derive(Debug, Default)]
pub(crate) struct Status {
    ice_connected: bool,
    ready: bool,
    connected: bool,
    media_connected: bool,
    pair_selected: bool,
    /// DTLS finished its handshake (str0m's `Connected`, raised once per endpoint) and was not closed.
    dtls_up: bool,
    flow_in: [Flow; 2],
    flow_out: [Flow; 2],
    next_flow_check: Option<Instant>,
}

impl Peer {
    pub(super) fn handle_rtc_event(&mut self, event: Event, now: Instant) {
        match event {
            Event::RtpPacket(packet) => self.on_rtp_packet(packet, now),
            Event::KeyframeRequest(request) => self.on_keyframe_request(request, now),
            Event::IceConnectionStateChange(state) => self.on_ice_state(state),
            Event::Connected => {
                self.status.dtls_up = true;
                self.transport_up();
            }
            Event::MediaAdded(added) => {
                self.media.medias.retain(|(mid, _, _)| *mid != added.mid);
                self.media
                    .medias
                    .push((added.mid, added.kind, added.direction));
            }
            Event::MediaChanged(changed) => {
                if let Some(entry) = self
                    .media
                    .medias
                    .iter_mut()
                    .find(|(mid, _, _)| *mid == changed.mid)
                {
                    entry.2 = changed.direction;
                }
            }
            Event::Closed => {
                self.status.dtls_up = false;
                self.lost_connection();
            }
            Event::MediaIngressStats(stats) => self.media_stats.on_ingress(&stats),
            Event::MediaEgressStats(stats) => self.media_stats.on_egress(&stats),
            _ => {}
        }
    }

    fn on_ice_state(&mut self, state: IceConnectionState) {
        let kurento = match state {
            IceConnectionState::New => return,
            IceConnectionState::Checking => IceComponentState::Connecting,
            IceConnectionState::Connected => IceComponentState::Connected,
            IceConnectionState::Completed => IceComponentState::Ready,
            IceConnectionState::Disconnected => IceComponentState::Disconnected,
        };
        self.status.ice_connected = state.is_connected();
        if kurento == IceComponentState::Ready {
            self.set_ready();
            return;
        }
        self.emit_ice(kurento);
        // After an ICE restart (or a path that came back) DTLS is still up, so str0m raises no second
        // `Connected`: ICE connecting again is what makes the endpoint ready and connected.
        if kurento == IceComponentState::Connected && self.status.dtls_up {
            self.transport_up();
        }
        if state == IceConnectionState::Disconnected {
            self.status.ready = false;
            self.lost_connection();
        }
    }

    fn transport_up(&mut self) {
        self.set_ready();
        if !self.status.connected {
            self.status.connected = true;
            self.emit(EndpointEvent::ConnectionStateChanged { connected: true });
        }
    }

    fn emit_ice(&self, state: IceComponentState) {
        self.emit(EndpointEvent::IceComponentStateChanged {
            state,
            stream_id: 1,
            component_id: 1,
        });
    }

    fn set_ready(&mut self) {
        if !self.status.ready {
            self.status.ready = true;
            self.emit_ice(IceComponentState::Ready);
        }
    }

    /// An ICE restart was answered: the old pair is gone, so READY and the selected pair are raised
    /// again once the new checks succeed (str0m reports `Checking`, which becomes CONNECTING).
    pub(super) fn status_restarted(&mut self) {
        self.status.ice_connected = false;
        self.status.ready = false;
        self.status.pair_selected = false;
    }

    fn lost_connection(&mut self) {
        if self.status.connected {
            self.status.connected = false;
            self.emit(EndpointEvent::ConnectionStateChanged { connected: false });
        }
        if self.status.media_connected {
            self.status.media_connected = false;
            self.emit(EndpointEvent::MediaStateChanged { connected: false });
        }
    }

    /// Watches outgoing datagrams until the selected pair is known; one branch per datagram after that.
    pub(super) fn note_transmit(&mut self, transmit: &Transmit) {
        if self.status.pair_selected || !self.status.ice_connected {
            return;
        }
        // RFC 7983 demultiplexing: 20..=63 is DTLS, 128..=191 is RTP/RTCP; STUN checks (0..=3) still
        // probe other pairs, so they prove nothing.
        let first = transmit.contents.first().copied().unwrap_or(0);
        if !matches!(first, 20..=63 | 128..=191) {
            return;
        }
        self.status.pair_selected = true;
        let local = self
            .local_candidate_string(transmit.source)
            .unwrap_or_else(|| host_string(transmit.source, "host"));
        let remote = self
            .remote_candidates
            .iter()
            .find(|(addr, _)| *addr == transmit.destination)
            .map_or_else(
                || host_string(transmit.destination, "prflx"),
                |(_, s)| s.clone(),
            );
        self.emit(EndpointEvent::NewCandidatePairSelected {
            local_candidate: local,
            remote_candidate: remote,
        });
    }

    pub(super) fn note_flow_in(&mut self, kind: MediaType, now: Instant) {
        let flow = &mut self.status.flow_in[kind.index()];
        flow.last = Some(now);
        if !flow.flowing {
            flow.flowing = true;
            self.arm_flow_check(now);
            self.emit(EndpointEvent::MediaFlowInStateChanged {
                kind,
                flowing: true,
            });
            if !self.status.media_connected {
                self.status.media_connected = true;
                self.emit(EndpointEvent::MediaStateChanged { connected: true });
            }
        }
    }

    pub(super) fn note_flow_out(&mut self, kind: MediaType, now: Instant) {
        let flow = &mut self.status.flow_out[kind.index()];
        flow.last = Some(now);
        if !flow.flowing {
            flow.flowing = true;
            self.arm_flow_check(now);
            self.emit(EndpointEvent::MediaFlowOutStateChanged {
                kind,
                flowing: true,
            });
        }
    }

    fn arm_flow_check(&mut self, now: Instant) {
        if self.status.next_flow_check.is_none() {
            self.status.next_flow_check = Some(now + FLOW_CHECK);
        }
    }

    /// Whether media arrives from the peer (so datagrams will wake the driver soon anyway).
    pub(super) fn media_flowing(&self) -> bool {
        self.status.flow_in.iter().any(|f| f.flowing)
    }

    /// When the driver must wake up for flow timeouts, if anything flows.
    pub(super) fn next_flow_check(&self) -> Option<Instant> {
        self.status.next_flow_check
    }

    pub(super) fn check_flows(&mut self, now: Instant) {
        match self.status.next_flow_check {
            Some(at) if at <= now => {}
            _ => return,
        }
        let timeout = self.timing.flow_timeout;
        let stale = |f: &Flow| {
            f.flowing
                && f.last
                    .is_none_or(|t| now.saturating_duration_since(t) >= timeout)
        };
        for kind in [MediaType::Audio, MediaType::Video] {
            if stale(&self.status.flow_in[kind.index()]) {
                self.status.flow_in[kind.index()].flowing = false;
                self.emit(EndpointEvent::MediaFlowInStateChanged {
                    kind,
                    flowing: false,
                });
            }
            if stale(&self.status.flow_out[kind.index()]) {
                self.status.flow_out[kind.index()].flowing = false;
                self.emit(EndpointEvent::MediaFlowOutStateChanged {
                    kind,
                    flowing: false,
                });
            }
        }
        let any = self
            .status
            .flow_in
            .iter()
            .chain(&self.status.flow_out)
            .any(|f| f.flowing);
        self.status.next_flow_check = any.then_some(now + FLOW_CHECK);
    }
}

/// A candidate string for an address we have no signalled candidate for.
fn host_string(addr: std::net::SocketAddr, typ: &str) -> String {
    format!(
        "candidate:1 1 udp 1 {} {} typ {typ}",
        addr.ip(),
        addr.port()
    )
}
