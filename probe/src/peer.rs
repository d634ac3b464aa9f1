//! The public face of the probe's WebRTC peer: creates the offer, then hands commands to the driver task
//! that owns the str0m session and the UDP socket. Signaling-agnostic: the caller carries SDP and
//! candidates over whatever channel it tests.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use str0m::change::SdpPendingOffer;
use str0m::crypto::{CryptoProvider, from_feature_flags};
use str0m::media::{Direction, MediaKind as Str0mKind, Mid};
use str0m::{Candidate, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::driver::{Command, Driver};
use crate::echo_config::EchoCheckConfig;
use crate::echo_report::EchoReport;
use crate::error::PeerError;
use crate::payload::MediaKind;

/// Commands waiting for the driver; callers rarely have more than one in flight.
const COMMAND_QUEUE: usize = 16;

/// How to set up a [`Peer`].
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// The IP the peer's UDP socket binds to (port chosen by the OS); its only host candidate.
    pub bind_ip: IpAddr,
    /// Offer a sendrecv Opus m-line.
    pub audio: bool,
    /// Offer a sendrecv VP8 m-line.
    pub video: bool,
    /// When true the offer holds no candidates and [`Peer::local_candidates`] lists them for the caller
    /// to send (AddIceCandidate); when false the offer already holds them.
    pub trickle: bool,
    /// Check a candidate pair as soon as it forms, as browsers do, instead of at str0m's next paced
    /// wake-up (its ICE agent keeps wake-ups at least Ta, 50 ms, apart, so a new pair may wait that
    /// long for its first check). Off by default: the numbers of the existing benchmarks stay as they
    /// were.
    pub eager_checks: bool,
}

impl Default for PeerConfig {
    fn default() -> Self {
        PeerConfig {
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            audio: true,
            video: true,
            trickle: true,
            eager_checks: false,
        }
    }
}

/// An ICE candidate as RTCIceCandidateInit carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceCandidate {
    /// The attribute value without "a=", e.g. "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host".
    pub candidate: String,
    /// The mid of the m-line it belongs to.
    pub sdp_mid: String,
    /// The index of that m-line, from 0.
    pub sdp_m_line_index: u32,
}

/// A str0m WebRTC offerer on its own UDP socket, driven by its own tokio task. Dropping it stops the task
/// and closes the socket.
pub struct Peer {
    commands: mpsc::Sender<Command>,
    local_addr: SocketAddr,
    local_candidates: Vec<IceCandidate>,
    task: JoinHandle<()>,
}

impl Peer {
    /// Binds the socket, creates the SDP offer and starts the driver task. Returns the peer and the offer.
    /// Must be called inside a tokio runtime.
    pub async fn start(config: PeerConfig) -> Result<(Peer, String), PeerError> {
        if !config.audio && !config.video {
            return Err(PeerError::NoMedia);
        }
        let socket = UdpSocket::bind(SocketAddr::new(config.bind_ip, 0))
            .await
            .map_err(|source| PeerError::Bind {
                ip: config.bind_ip,
                source,
            })?;
        let local_addr = socket.local_addr().map_err(|source| PeerError::Bind {
            ip: config.bind_ip,
            source,
        })?;
        let host = Candidate::host(local_addr, "udp").map_err(|e| PeerError::BadCandidate {
            candidate: local_addr.to_string(),
            reason: e.to_string(),
        })?;

        let mut rtc = RtcConfig::new()
            .set_crypto_provider(crypto_provider())
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(Instant::now());

        // Without trickle the candidate must exist before the offer is written so it lands in the SDP.
        if !config.trickle {
            rtc.add_local_candidate(host.clone());
        }
        let (offer, pending, kinds) = make_offer(&mut rtc, &config)?;
        let mut local_candidates = Vec::new();
        if config.trickle {
            // With BUNDLE one transport serves every m-line, so like a browser we announce the candidate
            // once, on the first m-line.
            let first_mid = kinds
                .first()
                .map(|(_, mid)| mid.to_string())
                .unwrap_or_default();
            if let Some(added) = rtc.add_local_candidate(host) {
                local_candidates.push(IceCandidate {
                    candidate: added.to_sdp_string(),
                    sdp_mid: first_mid,
                    sdp_m_line_index: 0,
                });
            }
        }

        let (commands, queue) = mpsc::channel(COMMAND_QUEUE);
        let driver = Driver::new(rtc, socket, local_addr, pending, kinds, config.eager_checks);
        let task = tokio::spawn(driver.run(queue));
        tracing::debug!(%local_addr, trickle = config.trickle, "probe peer started");
        let peer = Peer {
            commands,
            local_addr,
            local_candidates,
            task,
        };
        Ok((peer, offer))
    }

    /// The address of the peer's UDP socket.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The candidates the caller must send to the remote side (trickle mode); empty without trickle,
    /// where the offer already holds them. Follow them with an end-of-candidates if the signaling has one.
    pub fn local_candidates(&self) -> &[IceCandidate] {
        &self.local_candidates
    }

    /// Applies the remote SDP answer. Only one answer per peer.
    pub async fn set_answer(&self, sdp: &str) -> Result<(), PeerError> {
        self.call(|reply| Command::SetAnswer(sdp.to_owned(), reply))
            .await?
    }

    /// Adds one remote candidate (with or without the "a=" prefix). An empty `candidate` means
    /// end-of-candidates and is accepted as a no-op: str0m keeps checking the pairs it has. `sdp_mid`
    /// and `sdp_m_line_index` are accepted for symmetry with the browser API; with BUNDLE every candidate
    /// serves the one transport.
    pub async fn add_remote_candidate(
        &self,
        candidate: &str,
        sdp_mid: &str,
        sdp_m_line_index: u32,
    ) -> Result<(), PeerError> {
        let line = candidate.trim();
        if line.is_empty() {
            tracing::debug!(sdp_mid, sdp_m_line_index, "remote end-of-candidates");
            return Ok(());
        }
        let line = line.strip_prefix("a=").unwrap_or(line);
        let parsed = Candidate::from_sdp_string(line).map_err(|e| PeerError::BadCandidate {
            candidate: line.to_owned(),
            reason: e.to_string(),
        })?;
        self.call(|reply| Command::AddRemoteCandidate(parsed, reply))
            .await?
    }

    /// Runs an echo check: waits for the connection, sends probe frames for `config.duration`, waits up
    /// to `config.drain` for the last echoes, and reports what came back. One check at a time.
    pub async fn echo_check(&self, config: EchoCheckConfig) -> Result<EchoReport, PeerError> {
        config.validate().map_err(PeerError::BadConfig)?;
        self.call(|reply| Command::EchoCheck(config, reply)).await?
    }

    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, PeerError> {
        let (reply, answer) = oneshot::channel();
        let gone = || PeerError::Stopped("the peer's driver task has ended".into());
        self.commands.send(make(reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // The task owns the socket and the str0m session; aborting it drops both.
        self.task.abort();
    }
}

/// The offer's SDP, the handle str0m needs to accept the answer, and the m-lines in offer order.
type Offer = (String, SdpPendingOffer, Vec<(MediaKind, Mid)>);

fn make_offer(rtc: &mut Rtc, config: &PeerConfig) -> Result<Offer, PeerError> {
    let mut api = rtc.sdp_api();
    let mut kinds = Vec::new();
    // Audio first, like browsers, so m-line 0 is audio whenever both are offered.
    if config.audio {
        kinds.push((
            MediaKind::Audio,
            api.add_media(Str0mKind::Audio, Direction::SendRecv, None, None, None),
        ));
    }
    if config.video {
        kinds.push((
            MediaKind::Video,
            api.add_media(Str0mKind::Video, Direction::SendRecv, None, None, None),
        ));
    }
    let (offer, pending) = api.apply().ok_or(PeerError::NoOffer)?;
    Ok((offer.to_sdp_string(), pending, kinds))
}

/// One provider for every peer in the process, set per session rather than process-wide so the probe
/// does not change the crypto default of a program that embeds it.
fn crypto_provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(from_feature_flags()))
        .clone()
}
