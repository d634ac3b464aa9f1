//! [`Peer`]: the per-endpoint state machine around one str0m `Rtc` (the endpoint's WebRTC peer): SDP,
//! candidates and control commands.
//! No sockets here: the driver feeds datagrams and timeouts in and sends what `Rtc` outputs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::{Candidate, IceCreds, Rtc};
use tokio::sync::mpsc;

use super::endpoint::{Command, EndpointId};
use super::error::EngineError;
use super::event::{EndpointEvent, IceComponentState};
use super::forward::MediaState;
use super::media_stats::MediaStats;
use super::remote_candidates::{RemotePolicy, Verdict};
use super::rtc_events::Status;
use super::sdp_text::{self, MLine};
use super::stats::Counters;

/// Where gathering stands. KMS lets `gatherCandidates` come before `processOffer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gather {
    NotRequested,
    /// Requested before the offer: candidates are in `Rtc` (so the answer carries them) and the
    /// events go out once the offer is processed.
    AwaitingOffer,
    Done,
    /// An ICE restart was answered: the local candidates are still in `Rtc` (str0m keeps them, with
    /// the new ufrag), so the next `gatherCandidates` only announces them again, as KMS would after
    /// gathering anew.
    Restarted,
}

/// Timing knobs the peer needs from the engine config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub keyframe_min_interval: Duration,
    pub flow_timeout: Duration,
}

pub(crate) struct Peer {
    pub id: EndpointId,
    pub rtc: Rtc,
    pub timing: Timing,
    remote_policy: RemotePolicy,
    events: mpsc::Sender<EndpointEvent>,
    pub counters: Arc<Counters>,
    /// One host candidate per bound socket, fixed at creation.
    local_candidates: Vec<Candidate>,
    /// Candidate strings as str0m accepted them, once gathered (for events and the local SDP).
    gathered: Vec<String>,
    gather: Gather,
    /// STUN queries for server-reflexive candidates still out: IceGatheringDone waits for them.
    reflexive_pending: usize,
    remote_sdp: Option<String>,
    local_sdp: Option<String>,
    mlines: Vec<MLine>,
    /// Remote candidates added before the offer, applied once it is processed.
    pending_remote: Vec<Candidate>,
    /// Remote candidates by address, to name the remote end of the selected pair. Every remote
    /// candidate the endpoint took (pending or in `Rtc`) is here, so its length is what the cap counts.
    pub remote_candidates: Vec<(SocketAddr, String)>,
    pub media: MediaState,
    pub status: Status,
    pub media_stats: MediaStats,
}

impl Peer {
    pub(super) fn new(
        id: EndpointId,
        rtc: Rtc,
        timing: Timing,
        remote_policy: RemotePolicy,
        events: mpsc::Sender<EndpointEvent>,
        counters: Arc<Counters>,
        local_candidates: Vec<Candidate>,
    ) -> Self {
        Peer {
            id,
            rtc,
            timing,
            remote_policy,
            events,
            counters,
            local_candidates,
            gathered: Vec::new(),
            gather: Gather::NotRequested,
            reflexive_pending: 0,
            remote_sdp: None,
            local_sdp: None,
            mlines: Vec::new(),
            pending_remote: Vec::new(),
            remote_candidates: Vec::new(),
            media: MediaState::default(),
            status: Status::default(),
            media_stats: MediaStats::default(),
        }
    }

    /// Marks a server-reflexive query as outstanding: gathering is not done until
    /// [`Peer::reflexive_found`] reports its outcome.
    pub(super) fn expect_reflexive(&mut self) {
        self.reflexive_pending += 1;
    }

    /// The outstanding server-reflexive query ended, with a candidate or without (timeout). A
    /// candidate found after gathering was announced is trickled, then gathering is done.
    pub(super) fn reflexive_found(&mut self, candidate: Option<Candidate>) {
        if self.reflexive_pending == 0 {
            return;
        }
        self.reflexive_pending -= 1;
        if let Some(candidate) = candidate {
            self.local_candidates.push(candidate.clone());
            if self.gather != Gather::NotRequested
                && let Some(accepted) = self.rtc.add_local_candidate(candidate.clone())
            {
                let text = with_related_address(&accepted.to_sdp_string(), &candidate);
                self.gathered.push(text.clone());
                if self.gather == Gather::Done {
                    self.announce_one(&text);
                }
            }
        }
        if self.gather == Gather::Done && self.reflexive_pending == 0 {
            self.emit(EndpointEvent::IceGatheringDone);
        }
    }

    /// IceCandidateFound for `candidate`, once per active m-line.
    fn announce_one(&self, candidate: &str) {
        for mline in self.mlines.iter().filter(|m| m.active) {
            self.emit(EndpointEvent::IceCandidateFound {
                candidate: candidate.to_owned(),
                sdp_mid: mline.mid.clone(),
                sdp_m_line_index: mline.index,
            });
        }
    }

    /// Reports an event without ever waiting: a slow owner loses events, media never stalls.
    pub(super) fn emit(&self, event: EndpointEvent) {
        if self.events.try_send(event).is_err() {
            Counters::add(&self.counters.events_dropped, 1);
        }
    }

    pub(super) fn local_candidate_string(&self, addr: SocketAddr) -> Option<String> {
        self.local_candidates
            .iter()
            .find(|c| c.addr() == addr)
            .map(Candidate::to_sdp_string)
    }

    /// Whether gatherCandidates came already.
    pub(super) fn gathering_requested(&self) -> bool {
        self.gather != Gather::NotRequested
    }

    /// Whether the offer has been negotiated, so candidate pairs can exist.
    pub(super) fn negotiated(&self) -> bool {
        self.remote_sdp.is_some()
    }

    pub(super) fn handle_command(&mut self, command: Command, now: Instant) {
        // A dropped reply means the caller gave up waiting; the state change stands regardless.
        match command {
            // The driver answers offers itself (`Driver::process_offer`): an ICE restart changes routing.
            Command::ProcessOffer { sdp, reply } => {
                let _ = reply.send(self.process_offer(sdp));
            }
            Command::GatherCandidates { reply, .. } => {
                self.gather_candidates();
                let _ = reply.send(Ok(()));
            }
            Command::AddIceCandidate { candidate, reply } => {
                let _ = reply.send(self.add_ice_candidate(&candidate));
            }
            Command::AddSink { link, reply } => {
                self.add_sink(link);
                let _ = reply.send(Ok(()));
            }
            Command::RemoveSink { id, reply } => {
                self.remove_sink(id);
                let _ = reply.send(Ok(()));
            }
            Command::AddSource { link, reply } => {
                self.add_source(link);
                let _ = reply.send(Ok(()));
            }
            Command::RemoveSource { id, reply } => {
                self.remove_source(id);
                let _ = reply.send(Ok(()));
            }
            Command::RequestKeyframe { reply } => {
                self.request_keyframe_all(now);
                let _ = reply.send(Ok(()));
            }
            Command::LocalSdp { reply } => {
                let sdp = self
                    .local_sdp
                    .as_deref()
                    .map(|s| sdp_text::with_candidates(s, &self.gathered));
                let _ = reply.send(Ok(sdp));
            }
            Command::RemoteSdp { reply } => {
                let _ = reply.send(Ok(self.remote_sdp.clone()));
            }
            Command::Stats { reply } => {
                let _ = reply.send(Ok(self.media_stats.snapshot(&self.rtc)));
            }
        }
    }

    /// The endpoint's current local ICE credentials (new ones after an ICE restart).
    pub(super) fn local_credentials(&mut self) -> IceCreds {
        self.rtc.direct_api().local_ice_credentials()
    }

    /// Answers `sdp`: the first offer, or a later one that restarts ICE (new `ice-ufrag`/`ice-pwd`,
    /// the same m-lines and DTLS fingerprint). Any other later offer gets KMS's 40208.
    pub(super) fn process_offer(&mut self, sdp: String) -> Result<String, EngineError> {
        if sdp.trim().is_empty() {
            return Err(EngineError::EmptyOffer);
        }
        // KMS calls text without a `v=` line "Invalid SDP"; str0m is lenient about what precedes it.
        if !sdp.trim_start().starts_with("v=") {
            return Err(EngineError::InvalidSdp("no v= line".into()));
        }
        if let Some(previous) = &self.remote_sdp {
            if !is_ice_restart(previous, &sdp) {
                return Err(EngineError::AlreadyNegotiated);
            }
            return self.restart_ice(sdp);
        }
        // The offer's own candidates pass the same address rules and the same cap as trickled ones.
        let room = self
            .remote_policy
            .max
            .saturating_sub(self.remote_candidates.len());
        let (filtered, _) = self.remote_policy.filter_offer(&sdp, room);
        // Each answered m-line mirrors the offer's direction (str0m does RFC 3264's inversion, as KMS
        // does): sendonly gets recvonly, recvonly sendonly, inactive inactive.
        let directed = sdp_text::with_default_direction(&filtered);
        let offer = SdpOffer::from_sdp_string(&directed)
            .map_err(|e| EngineError::InvalidSdp(e.to_string()))?;
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| EngineError::OfferNotNegotiable(e.to_string()))?;
        let answer = answer.to_sdp_string();

        self.mlines = sdp_text::mlines(&answer);
        for line in sdp_text::candidates(&filtered) {
            if let Verdict::Take(parsed) = self.remote_policy.judge(line) {
                self.remote_candidates
                    .push((parsed.addr(), line.to_string()));
            }
        }
        for candidate in std::mem::take(&mut self.pending_remote) {
            self.rtc.add_remote_candidate(candidate);
        }
        self.remote_sdp = Some(sdp);
        self.local_sdp = Some(answer.clone());
        if self.gather == Gather::AwaitingOffer {
            self.announce_candidates();
        }
        Ok(answer)
    }

    /// An ICE restart: str0m's `accept_offer` sees the changed remote credentials, flushes its
    /// candidate pairs and remote candidates, keeps the local ones and answers with new local
    /// credentials; DTLS, SRTP and the m-lines stay. The offer's own candidates replace the old remote
    /// ones (str0m dropped those), against the same cap.
    fn restart_ice(&mut self, sdp: String) -> Result<String, EngineError> {
        let (filtered, _) = self
            .remote_policy
            .filter_offer(&sdp, self.remote_policy.max);
        let directed = sdp_text::with_default_direction(&filtered);
        let offer = SdpOffer::from_sdp_string(&directed)
            .map_err(|e| EngineError::InvalidSdp(e.to_string()))?;
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| EngineError::OfferNotNegotiable(e.to_string()))?
            .to_sdp_string();
        self.remote_candidates.clear();
        for line in sdp_text::candidates(&filtered) {
            if let Verdict::Take(parsed) = self.remote_policy.judge(line) {
                self.remote_candidates
                    .push((parsed.addr(), line.to_string()));
            }
        }
        // The candidates as str0m now writes them (their `ufrag` extension names the new ufrag).
        let mut local: Vec<String> = Vec::new();
        for c in sdp_text::candidates(&answer) {
            if !local.iter().any(|l| l == c) {
                local.push(c.to_string());
            }
        }
        if !self.gathered.is_empty() {
            self.gathered = local;
        }
        if self.gather == Gather::Done {
            self.gather = Gather::Restarted;
        }
        self.mlines = sdp_text::mlines(&answer);
        self.status_restarted();
        self.remote_sdp = Some(sdp);
        self.local_sdp = Some(answer.clone());
        Counters::add(&self.counters.ice_restarts, 1);
        Ok(answer)
    }

    /// Replaces the local ICE credentials str0m drew for a restart (one-port mode found their ufrag
    /// taken); returns the answer rewritten to name `creds`.
    pub(super) fn replace_local_credentials(&mut self, creds: IceCreds, answer: &str) -> String {
        let old = self.local_credentials();
        self.rtc
            .direct_api()
            .set_local_ice_credentials(creds.clone());
        let rewrite = |text: &str| {
            text.replace(
                &format!("a=ice-ufrag:{}", old.ufrag),
                &format!("a=ice-ufrag:{}", creds.ufrag),
            )
            .replace(
                &format!("a=ice-pwd:{}", old.pass),
                &format!("a=ice-pwd:{}", creds.pass),
            )
            .replace(
                &format!(" ufrag {}", old.ufrag),
                &format!(" ufrag {}", creds.ufrag),
            )
        };
        for c in &mut self.gathered {
            *c = rewrite(c);
        }
        self.local_sdp = self.local_sdp.as_deref().map(rewrite);
        rewrite(answer)
    }

    fn gather_candidates(&mut self) {
        if self.gather == Gather::Restarted {
            self.announce_candidates();
            return;
        }
        if self.gather != Gather::NotRequested {
            return;
        }
        for candidate in self.local_candidates.clone() {
            if let Some(accepted) = self.rtc.add_local_candidate(candidate.clone()) {
                self.gathered
                    .push(with_related_address(&accepted.to_sdp_string(), &candidate));
            }
        }
        if self.remote_sdp.is_some() {
            self.announce_candidates();
        } else {
            self.gather = Gather::AwaitingOffer;
        }
    }

    /// Host candidates are known at once, so "gathering" is reporting them, KMS style: each candidate
    /// once per active m-line (same string, that m-line's mid and index), then done.
    fn announce_candidates(&mut self) {
        self.gather = Gather::Done;
        self.emit(EndpointEvent::IceComponentStateChanged {
            state: IceComponentState::Gathering,
            stream_id: 1,
            component_id: 1,
        });
        for candidate in &self.gathered {
            self.announce_one(candidate);
        }
        // A server-reflexive query still out sends it when it ends (`reflexive_found`).
        if self.reflexive_pending == 0 {
            self.emit(EndpointEvent::IceGatheringDone);
        }
    }

    fn add_ice_candidate(&mut self, candidate: &str) -> Result<(), EngineError> {
        let text = candidate.trim();
        let text = text.strip_prefix("a=").unwrap_or(text);
        if text.is_empty() {
            return Ok(()); // end of candidates: str0m keeps trickle open anyway
        }
        let parsed = match self.remote_policy.judge(text) {
            Verdict::Take(parsed) => parsed,
            Verdict::Ignore(why) => {
                // KMS drops what libnice cannot use (mDNS names, garbage) and still reports success.
                Counters::add(&self.counters.candidates_ignored, 1);
                tracing::debug!(endpoint = %self.id, candidate = text, "ignoring remote candidate: {why}");
                return Ok(());
            }
        };
        if self.remote_candidates.len() >= self.remote_policy.max {
            return Err(EngineError::TooManyCandidates {
                max: self.remote_policy.max,
            });
        }
        self.remote_candidates
            .push((parsed.addr(), text.to_string()));
        if self.remote_sdp.is_some() {
            self.rtc.add_remote_candidate(parsed);
        } else {
            self.pending_remote.push(parsed);
        }
        Ok(())
    }
}

/// str0m writes a server-reflexive candidate's related address as `0.0.0.0 0` (it hides the base); KMS
/// (libnice) names the host address it was learned from, which tells an operator reading the candidates
/// which socket the NAT mapped. Other candidates are left as they are.
fn with_related_address(text: &str, candidate: &Candidate) -> String {
    if candidate.kind() != str0m::CandidateKind::ServerReflexive {
        return text.to_owned();
    }
    let base = candidate.local();
    text.replacen(
        " raddr 0.0.0.0 rport 0",
        &format!(" raddr {} rport {}", base.ip(), base.port()),
        1,
    )
}

/// Whether `offer`, arriving on an endpoint that negotiated `previous`, is an ICE restart we take:
/// new ICE credentials (RFC 8445 section 9: a changed ufrag or pwd), and nothing else renegotiated (the
/// same m-lines by type and mid, the same DTLS fingerprint).
fn is_ice_restart(previous: &str, offer: &str) -> bool {
    let (Some(before), Some(now)) = (
        sdp_text::ice_credentials(previous),
        sdp_text::ice_credentials(offer),
    ) else {
        return false;
    };
    before != now && sdp_text::renegotiation_shape(previous) == sdp_text::renegotiation_shape(offer)
}
