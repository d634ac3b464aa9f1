//! The endpoint's task: owns its transport (its UDP sockets, or its inbox and registration on the
//! shared one-port sockets) and the peer, and moves datagrams, timeouts, commands and forwarded media
//! into str0m and its output onto the wire. Ends (closing its sockets, or removing its routes) on
//! cancel.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::net::{DatagramRecv, Protocol, Receive, Transmit};
use str0m::{Input, Output};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::endpoint::Command;
use super::event::EndpointEvent;
use super::forward::Forwarded;
use super::peer::Peer;
use super::stats::{Counters, LiveGuard};
use super::stun_client::{self, Query, Step};
use super::stun_peek;
use super::transport::{Received, Transport};
use super::verified::Verified;

/// Larger than any datagram a WebRTC peer sends (MTU-sized); a bigger one is truncated and rejected.
const RECV_BUFFER: usize = 2048;
/// How far ahead to sleep when nothing is scheduled (dead `Rtc`, or str0m asks for nothing sooner).
const IDLE: Duration = Duration::from_secs(3600);
/// Most datagrams (or forwarded media units) handled per wakeup before the other sources get a turn.
const RECV_BATCH: usize = 64;
/// How late the backstop timer may fire while media flows (see `Driver::run`).
const TIMER_SLACK: Duration = Duration::from_millis(10);
/// Rounds of due timeouts handled in one go before leaving the rest to the timer.
const MAX_INLINE_TIMEOUTS: usize = 4;

pub(crate) struct Driver {
    pub peer: Peer,
    pub transport: Transport,
    pub commands: mpsc::Receiver<Command>,
    pub media: mpsc::Receiver<Forwarded>,
    pub cancel: CancellationToken,
    pub _live: LiveGuard,
    /// Peer addresses that proved the ICE password (see `verified.rs`).
    pub verified: Verified,
    /// The engine's STUN server, and how long one query may take.
    pub stun: Option<SocketAddr>,
    pub stun_timeout: Duration,
    /// Own sockets still asking the STUN server for their server-reflexive address (socket index and
    /// query); always empty in one-port mode, where the shared sockets ask for all endpoints.
    pub reflexive: Vec<(usize, Query)>,
}

impl Driver {
    pub(super) async fn run(mut self) {
        let mut buf = vec![0u8; RECV_BUFFER];
        let sleep = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(sleep);
        let mut armed: Option<Instant> = None;
        loop {
            let deadline = self.advance(Instant::now());
            // While media flows, datagrams arrive every few milliseconds and each one services whatever
            // str0m has due (`advance`), so the timer is only a backstop and may fire a little late: that
            // saves a wakeup per str0m timeout (NACK, TWCC, reports). Re-arming also costs a timer-wheel
            // update, so an armed time inside the allowed window is kept.
            let latest = deadline + self.slack();
            if armed.is_none_or(|at| at < deadline || at > latest) {
                sleep.as_mut().reset(latest.into());
                armed = Some(latest);
            }
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => break,
                command = self.commands.recv() => match command {
                    Some(command) => {
                        if let Command::GatherCandidates { stun, .. } = &command {
                            self.start_reflexive(stun.or(self.stun));
                        }
                        let may_pair = matches!(
                            command,
                            Command::ProcessOffer { .. }
                                | Command::AddIceCandidate { .. }
                                | Command::GatherCandidates { .. }
                        );
                        match command {
                            Command::ProcessOffer { sdp, reply } => {
                                let _ = reply.send(self.process_offer(sdp));
                            }
                            command => self.peer.handle_command(command, Instant::now()),
                        }
                        // The command may have formed candidate pairs: str0m checks a never-tried pair
                        // at once on a timeout, where its own pacing would leave it waiting up to 50 ms
                        // for the next wake-up. Not before the offer, when there is nothing to check.
                        if may_pair && self.peer.negotiated() {
                            self.input(Input::Timeout(Instant::now()));
                        }
                    }
                    None => break,
                },
                forwarded = self.media.recv() => match forwarded {
                    Some(forwarded) => self.on_forwarded(forwarded),
                    None => break,
                },
                received = self.transport.recv(&mut buf) => match received {
                    Ok(Received { socket, len, source }) => {
                        self.on_datagram(socket, buf.get(..len).unwrap_or_default(), source);
                        self.recv_ready(socket, &mut buf);
                    }
                    // Unconnected UDP sockets report little; whatever it was concerned one datagram.
                    Err(e) => tracing::debug!(endpoint = %self.peer.id, "udp receive: {e}"),
                },
                () = &mut sleep => armed = None,
            }
        }
        self.peer.rtc.disconnect();
        tracing::debug!(endpoint = %self.peer.id, "endpoint task ended");
    }

    /// How late the backstop timer may fire: only while media flows, when traffic wakes the task anyway;
    /// during ICE and DTLS set-up str0m's timeouts are the only thing that moves it forward.
    fn slack(&self) -> Duration {
        if self.peer.media_flowing() {
            TIMER_SLACK
        } else {
            Duration::ZERO
        }
    }

    /// Reads the datagrams already queued on socket `index`, or in the inbox (one wakeup for a burst),
    /// each handled and its output sent before the next, as str0m expects.
    fn recv_ready(&mut self, index: usize, buf: &mut [u8]) {
        for _ in 0..RECV_BATCH {
            match self.transport.try_recv(index, buf) {
                None => return,
                Some(Ok(Received {
                    socket,
                    len,
                    source,
                })) => {
                    self.drain_output(Instant::now());
                    self.on_datagram(socket, buf.get(..len).unwrap_or_default(), source);
                }
                Some(Err(e)) => tracing::debug!(endpoint = %self.peer.id, "udp receive: {e}"),
            }
        }
    }

    /// Media forwarded by other endpoints, with whatever else is already queued.
    fn on_forwarded(&mut self, forwarded: Forwarded) {
        self.peer.handle_forwarded(forwarded, Instant::now());
        for _ in 0..RECV_BATCH {
            let Ok(forwarded) = self.media.try_recv() else {
                return;
            };
            self.drain_output(Instant::now());
            self.peer.handle_forwarded(forwarded, Instant::now());
        }
    }

    /// Hands str0m and the flow checks whatever is due at `now` and sends what results; returns when the
    /// task must wake next. Due timeouts are handled here rather than by arming a timer for "now": str0m
    /// asks for one after every written frame (packetizing), and a timer round trip per frame would
    /// cost a wakeup each.
    fn advance(&mut self, now: Instant) -> Instant {
        let mut deadline = self.drain_output(now);
        // A bound, so a timeout str0m keeps reporting as due cannot spin here; the timer then takes over.
        for _ in 0..MAX_INLINE_TIMEOUTS {
            if deadline > now {
                break;
            }
            self.input(Input::Timeout(now));
            deadline = self.drain_output(now);
        }
        deadline = deadline.min(self.ask_reflexive(now));
        // Does nothing until the next flow check is due.
        self.peer.check_flows(now);
        match self.peer.next_flow_check() {
            Some(at) => deadline.min(at),
            None => deadline,
        }
    }

    /// Gathering starts: each own socket of `server`'s family asks it for its server-reflexive address,
    /// and the peer's IceGatheringDone waits for each answer or timeout. Once per endpoint; nothing in
    /// one-port mode.
    fn start_reflexive(&mut self, server: Option<SocketAddr>) {
        let (Some(server), Transport::Own(_)) = (server, &self.transport) else {
            return;
        };
        if self.peer.gathering_requested() {
            return;
        }
        let now = Instant::now();
        for (index, addr) in self.transport.advertised().into_iter().enumerate() {
            if addr.is_ipv4() == server.is_ipv4() {
                self.reflexive
                    .push((index, Query::new(server, self.stun_timeout, now)));
                self.peer.expect_reflexive();
            }
        }
    }

    /// Sends what the STUN queries have due and gives up those past their timeout; returns when the next
    /// is due (far ahead when none is out).
    fn ask_reflexive(&mut self, now: Instant) -> Instant {
        let mut next = now + IDLE;
        let mut index = 0;
        while let Some((socket, query)) = self.reflexive.get_mut(index) {
            match query.step(now) {
                Step::Send => {
                    let (socket, server, request) = (*socket, query.server, query.request());
                    if let Err(e) = self.transport.send_at(socket, &request, server) {
                        tracing::debug!(endpoint = %self.peer.id, "STUN request to {server}: {e}");
                    }
                    continue; // the same query again: it now waits for its next retransmission
                }
                Step::Wait(at) => {
                    next = next.min(at);
                    index += 1;
                }
                Step::GiveUp => {
                    tracing::warn!(
                        endpoint = %self.peer.id,
                        server = %query.server,
                        "no STUN answer in time: no server-reflexive candidate (host candidates only)"
                    );
                    self.reflexive.swap_remove(index);
                    self.peer.reflexive_found(None);
                }
            }
        }
        next
    }

    /// Takes `data` if it answers one of this endpoint's STUN queries: the mapped address becomes a
    /// server-reflexive candidate whose base is the socket's host candidate.
    fn reflexive_answer(&mut self, index: usize, data: &[u8], source: SocketAddr) -> bool {
        if self.reflexive.is_empty() || !stun_client::is_response(data) {
            return false;
        }
        let Some(at) = self
            .reflexive
            .iter()
            .position(|(socket, q)| *socket == index && q.server == source)
        else {
            return false;
        };
        let Some(mapped) = self.reflexive.get(at).and_then(|(_, q)| q.answer(data)) else {
            return false;
        };
        self.reflexive.swap_remove(at);
        let candidate = self
            .transport
            .advertised_at(index)
            .and_then(|base| str0m::Candidate::server_reflexive(mapped, base, "udp").ok());
        tracing::info!(endpoint = %self.peer.id, %mapped, "server-reflexive address from STUN");
        self.peer.reflexive_found(candidate);
        true
    }

    fn on_datagram(&mut self, index: usize, data: &[u8], source: SocketAddr) {
        Counters::add(&self.peer.counters.packets_in, 1);
        if self.reflexive_answer(index, data, source) {
            return;
        }
        // The host candidate's address, which str0m matches the destination against (the external
        // address when one is configured: the NAT in front rewrote it to the socket's own).
        let Some(destination) = self.transport.advertised_at(index) else {
            return;
        };
        let Ok(contents) = DatagramRecv::try_from(data) else {
            // Not STUN/DTLS/RTP: stray traffic.
            Counters::add(&self.peer.counters.packets_refused, 1);
            return;
        };
        let receive = Receive {
            proto: Protocol::Udp,
            source,
            destination,
            contents,
        };
        let now = Instant::now();
        let input = Input::Receive(now, receive);
        // Only the ICE peer reaches DTLS and SRTP: STUN must carry our ICE credentials, anything else
        // must come from the nominated pair or a pair whose checks succeeded. Without this a datagram
        // from any address (a spoofed DTLS alert) could end the session during set-up, and str0m's
        // `accepts` is exactly the demultiplexing check it documents for this.
        let stun = stun_peek::binding_request_ufrag(data).is_some();
        // A peer address that proved our ICE password may send DTLS before our own check on its pair
        // has succeeded (see `verified.rs`); STUN is always judged by `accepts` alone. `accepts` goes
        // first: it takes the media of the nominated pair at once, so the list is only read during
        // set-up.
        if !self.peer.rtc.accepts(&input) && (stun || !self.verified.contains(source)) {
            Counters::add(&self.peer.counters.packets_refused, 1);
            tracing::trace!(endpoint = %self.peer.id, %source, "datagram not from the ICE peer dropped");
            return;
        }
        // The address of a binding request `accepts` took (it carried our ICE password) is verified; in
        // one-port mode it is also routed here from now on, claimed before str0m answers it, so the
        // peer's next datagram, sent once it has the answer, finds the route.
        if stun {
            self.verified.insert(source);
            self.transport.claim(source, now);
        }
        self.input(input);
    }

    /// Answers an offer. An ICE restart changes the local ufrag, so in one-port mode the route moves
    /// to the new one before the answer leaves (the peer's first check with it must find this
    /// endpoint) and the old one goes at once: str0m refuses checks with the old credentials from
    /// now on. Addresses stay routed: media may keep flowing on the old path until the new checks
    /// succeed (RFC 8445 section 9), and the table's per-endpoint cap and the endpoint's end bound them.
    fn process_offer(&mut self, sdp: String) -> Result<String, super::error::EngineError> {
        let before = self.peer.local_credentials();
        let answered = self.peer.process_offer(sdp);
        let now = self.peer.local_credentials();
        if now.ufrag == before.ufrag {
            return answered;
        }
        // Also when str0m refused the offer after it had restarted ICE: the route follows the
        // credentials str0m now checks against.
        let answer = match answered {
            Ok(answer) => answer,
            Err(e) => {
                if !self.transport.rekey(&now.ufrag) {
                    tracing::warn!(endpoint = %self.peer.id, "one-port: the restarted ufrag is taken");
                }
                return Err(e);
            }
        };
        if self.transport.rekey(&now.ufrag) {
            return Ok(answer);
        }
        // str0m's fresh ufrag is another endpoint's (random 16 characters: not expected): draw ours.
        for _ in 0..super::shared_socket::UFRAG_DRAWS {
            let creds = str0m::IceCreds::new();
            if self.transport.rekey(&creds.ufrag) {
                return Ok(self.peer.replace_local_credentials(creds, &answer));
            }
        }
        Err(super::error::EngineError::UfragCollision)
    }

    fn input(&mut self, input: Input<'_>) {
        if let Err(e) = self.peer.rtc.handle_input(input) {
            self.fail(e);
        }
    }

    fn fail(&mut self, e: str0m::RtcError) {
        tracing::warn!(endpoint = %self.peer.id, "WebRTC session failed: {e}");
        self.peer.emit(EndpointEvent::Error {
            description: format!("WebRTC session failed: {e}"),
        });
        // The endpoint object lives on (KMS keeps it until release), inert.
        self.peer.rtc.disconnect();
    }

    /// Polls str0m until it only has a timeout left; returns that deadline.
    fn drain_output(&mut self, now: Instant) -> Instant {
        loop {
            if !self.peer.rtc.is_alive() {
                return now + IDLE;
            }
            match self.peer.rtc.poll_output() {
                Ok(Output::Timeout(at)) => return at.min(now + IDLE),
                Ok(Output::Transmit(transmit)) => self.send(&transmit),
                Ok(Output::Event(event)) => self.peer.handle_rtc_event(event, now),
                Err(e) => self.fail(e),
            }
        }
    }

    fn send(&mut self, transmit: &Transmit) {
        self.peer.note_transmit(transmit);
        // UDP may drop anyway; a full send buffer must not stall the loop.
        match self
            .transport
            .send(transmit.source, &transmit.contents, transmit.destination)
        {
            Ok(_) => Counters::add(&self.peer.counters.packets_out, 1),
            Err(e) => {
                tracing::debug!(endpoint = %self.peer.id, "udp send to {}: {e}", transmit.destination);
            }
        }
    }
}
