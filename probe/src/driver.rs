//! The peer's driver task: the only owner of the str0m session and the UDP socket. It runs str0m's loop
//! (feed input, drain output until a timeout), applies the caller's commands and runs echo checks.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::media::Mid;
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::check::Check;
use crate::echo_config::EchoCheckConfig;
use crate::echo_report::EchoReport;
use crate::error::PeerError;
use crate::payload::MediaKind;

/// Large enough for any datagram a WebRTC peer sends (str0m keeps below 1500).
const RECV_BUFFER: usize = 2048;
/// When nothing else is scheduled, wake this often anyway so str0m sees time pass.
const IDLE_WAKE: Duration = Duration::from_millis(100);

/// What a [`Peer`](crate::Peer) asks of its driver.
pub(crate) enum Command {
    SetAnswer(String, oneshot::Sender<Result<(), PeerError>>),
    AddRemoteCandidate(Candidate, oneshot::Sender<Result<(), PeerError>>),
    EchoCheck(
        EchoCheckConfig,
        oneshot::Sender<Result<EchoReport, PeerError>>,
    ),
}

type CheckReply = oneshot::Sender<Result<EchoReport, PeerError>>;

pub(crate) struct Driver {
    rtc: Rtc,
    socket: UdpSocket,
    local_addr: SocketAddr,
    pending: Option<SdpPendingOffer>,
    answered: bool,
    kinds: Vec<(MediaKind, Mid)>,
    connected_at: Option<Instant>,
    check: Option<(Check, CheckReply)>,
    /// Set when str0m failed; from then on the driver only answers commands, with this reason.
    failure: Option<String>,
    /// See [`PeerConfig::eager_checks`](crate::PeerConfig::eager_checks).
    eager_checks: bool,
}

impl Driver {
    pub(crate) fn new(
        rtc: Rtc,
        socket: UdpSocket,
        local_addr: SocketAddr,
        pending: SdpPendingOffer,
        kinds: Vec<(MediaKind, Mid)>,
        eager_checks: bool,
    ) -> Self {
        Driver {
            eager_checks,
            rtc,
            socket,
            local_addr,
            pending: Some(pending),
            answered: false,
            kinds,
            connected_at: None,
            check: None,
            failure: None,
        }
    }

    /// Runs until the peer is dropped (its command sender closes) or the task is aborted.
    pub(crate) async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut buf = vec![0u8; RECV_BUFFER];
        loop {
            // The check writes frames first so the drain below sends them without waiting for a wake.
            self.poll_check(Instant::now());
            let rtc_wake = self.drain_output().await;
            let mut wake = rtc_wake.min(Instant::now() + IDLE_WAKE);
            if let Some((check, _)) = &self.check {
                wake = wake.min(check.wake_at(self.connected_at.is_some()));
            }

            if self.failure.is_some() {
                match commands.recv().await {
                    Some(cmd) => self.handle_command(cmd),
                    None => return,
                }
                continue;
            }

            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.handle_command(cmd),
                    None => return,
                },
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((n, source)) => self.handle_datagram(source, &buf[..n]),
                    Err(e) => tracing::debug!(error = %e, "UDP receive failed"),
                },
                _ = tokio::time::sleep_until(wake.into()) => {
                    let input = Input::Timeout(Instant::now());
                    if let Err(e) = self.rtc.handle_input(input) {
                        self.fail(format!("str0m failed on a timeout: {e}"));
                    }
                }
            }
        }
    }

    /// Sends everything str0m wants sent, handles its events, and returns when it next needs time.
    async fn drain_output(&mut self) -> Instant {
        while self.failure.is_none() {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => return at,
                Ok(Output::Transmit(t)) => {
                    // UDP send errors (e.g. ICMP unreachable from a candidate that is gone) are normal
                    // during ICE; str0m's own timers deal with the missing answers.
                    if let Err(e) = self.socket.send_to(&t.contents, t.destination).await {
                        tracing::debug!(destination = %t.destination, error = %e, "UDP send failed");
                    }
                }
                Ok(Output::Event(event)) => self.handle_event(event),
                Err(e) => self.fail(format!("str0m failed: {e}")),
            }
        }
        Instant::now() + IDLE_WAKE
    }

    fn handle_event(&mut self, event: Event) {
        let now = Instant::now();
        match event {
            Event::Connected => {
                tracing::debug!(local = %self.local_addr, "probe peer connected (ICE + DTLS)");
                self.connected_at.get_or_insert(now);
            }
            Event::IceConnectionStateChange(state) => {
                tracing::debug!(?state, "probe peer ICE state");
            }
            Event::MediaData(data) => {
                let kind = self
                    .kinds
                    .iter()
                    .find(|(_, mid)| *mid == data.mid)
                    .map(|(k, _)| *k);
                match (kind, &mut self.check) {
                    (Some(kind), Some((check, _))) => check.on_media(kind, &data.data, now),
                    (None, _) => {
                        tracing::debug!(mid = %data.mid, "media on an m-line the probe did not offer");
                    }
                    // Echoes that arrive after a check ended are late, not wrong: nobody counts them.
                    (Some(_), None) => {}
                }
            }
            Event::KeyframeRequest(req) => {
                tracing::debug!(mid = %req.mid, kind = ?req.kind, "keyframe request");
                if let Some((check, _)) = &mut self.check {
                    check.on_keyframe_request();
                }
            }
            _ => {}
        }
    }

    fn handle_datagram(&mut self, source: SocketAddr, bytes: &[u8]) {
        // Anything that is not STUN, DTLS or (S)RTP is not for us; drop it without failing the session.
        let Ok(receive) = Receive::new(Protocol::Udp, source, self.local_addr, bytes) else {
            tracing::debug!(%source, len = bytes.len(), "ignoring a datagram str0m cannot classify");
            return;
        };
        if let Err(e) = self
            .rtc
            .handle_input(Input::Receive(Instant::now(), receive))
        {
            self.fail(format!("str0m failed on a datagram from {source}: {e}"));
        }
    }

    fn handle_command(&mut self, cmd: Command) {
        match cmd {
            Command::SetAnswer(sdp, reply) => {
                let result = self.set_answer(&sdp);
                let _ = reply.send(result);
            }
            Command::AddRemoteCandidate(candidate, reply) => {
                let result = match &self.failure {
                    Some(reason) => Err(PeerError::Stopped(reason.clone())),
                    None => {
                        self.rtc.add_remote_candidate(candidate);
                        self.check_new_pairs_now();
                        Ok(())
                    }
                };
                let _ = reply.send(result);
            }
            Command::EchoCheck(config, reply) => {
                if let Some(reason) = &self.failure {
                    let _ = reply.send(Err(PeerError::Stopped(reason.clone())));
                } else if self.check.is_some() {
                    let _ = reply.send(Err(PeerError::Busy));
                } else if !self.answered {
                    let _ = reply.send(Err(PeerError::NoAnswer));
                } else {
                    let check = Check::new(config, self.kinds.clone(), Instant::now());
                    self.check = Some((check, reply));
                }
            }
        }
    }

    fn set_answer(&mut self, sdp: &str) -> Result<(), PeerError> {
        if let Some(reason) = &self.failure {
            return Err(PeerError::Stopped(reason.clone()));
        }
        if self.pending.is_none() {
            return Err(PeerError::AnswerAlreadySet);
        }
        // Parse before taking the pending offer, so unparsable text leaves room for a proper answer.
        // (An answer str0m parses but rejects does use the offer up: accept_answer consumes it.)
        let answer =
            SdpAnswer::from_sdp_string(sdp).map_err(|e| PeerError::BadAnswer(e.to_string()))?;
        let Some(pending) = self.pending.take() else {
            return Err(PeerError::AnswerAlreadySet);
        };
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| PeerError::BadAnswer(e.to_string()))?;
        self.answered = true;
        // An answer with candidates in it (Janus's, or any without trickle) forms pairs too.
        self.check_new_pairs_now();
        Ok(())
    }

    /// With `eager_checks`, lets str0m check a pair it has just formed at once, as browsers do. Its ICE
    /// agent paces wake-ups at least Ta (50 ms) after the previous one, so a pair formed between two
    /// wake-ups waits up to 50 ms for its first check; on a timeout input it checks a never-tried pair
    /// immediately.
    fn check_new_pairs_now(&mut self) {
        if !self.eager_checks {
            return;
        }
        if let Err(e) = self.rtc.handle_input(Input::Timeout(Instant::now())) {
            self.fail(format!("str0m failed on a timeout: {e}"));
        }
    }

    fn poll_check(&mut self, now: Instant) {
        let Some((check, _)) = &mut self.check else {
            return;
        };
        if let Some(result) = check.poll(now, self.connected_at, &mut self.rtc)
            && let Some((_, reply)) = self.check.take()
        {
            let _ = reply.send(result);
        }
    }

    fn fail(&mut self, reason: String) {
        tracing::warn!(local = %self.local_addr, %reason, "probe peer stopped");
        if let Some((_, reply)) = self.check.take() {
            let _ = reply.send(Err(PeerError::Stopped(reason.clone())));
        }
        self.failure = Some(reason);
    }
}
