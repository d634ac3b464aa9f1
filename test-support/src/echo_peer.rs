//! A str0m peer that sends back every frame it receives on the m-line it came from (optionally damaged),
//! on its own UDP socket on 127.0.0.1, driven by one task. As an answerer it stands in for a media server
//! (the probe's tests); as an offerer it is the far end of a call through the media server (the
//! forwarding test), and then it can keep asking for keyframes.
//!
//! `media-probe`'s own driver is private to that crate and runs echo *checks* rather than echoes, so the
//! loop here is the one str0m drive loop the tests have: feed input, drain output until a timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use str0m::change::{SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequestKind};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How the peer treats what it echoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// Every frame back unchanged.
    Faithful,
    /// Video frames back with their last byte flipped; audio unchanged.
    CorruptVideo,
}

/// When nothing else is scheduled, wake this often anyway so str0m sees time pass.
const IDLE_WAKE: Duration = Duration::from_millis(100);
/// How often an offerer asks for a keyframe while video arrives.
const KEYFRAME_EVERY: Duration = Duration::from_millis(500);

/// A running (or, for an offerer, ready to start) echo peer; dropping it stops its task.
pub struct EchoPeer {
    /// The answer (answerer) or the offer (offerer); an answerer's candidate is in it.
    pub sdp: String,
    /// The peer's one host candidate, as an SDP attribute value (`candidate:…`).
    pub candidate: String,
    /// Frames echoed so far.
    pub echoed: Arc<AtomicU64>,
    /// Frames str0m delivered after a gap in the sequence numbers (`MediaData::contiguous` false).
    gaps: Arc<AtomicU64>,
    candidates: mpsc::Sender<Candidate>,
    task: Option<JoinHandle<()>>,
    setup: Option<Setup>,
}

/// What an offerer holds until [`EchoPeer::start`].
struct Setup {
    rtc: Rtc,
    socket: UdpSocket,
    pending: SdpPendingOffer,
    queue: mpsc::Receiver<Candidate>,
}

impl EchoPeer {
    /// Accepts `offer`, binds 127.0.0.1:0 and starts echoing as `echo` says. Its candidate is in the answer.
    pub async fn answer(offer: &str, echo: Echo) -> anyhow::Result<EchoPeer> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let mut rtc = crate::offerer::rtc();
        let candidate = rtc
            .add_local_candidate(Candidate::host(socket.local_addr()?, "udp")?)
            .context("candidate refused")?
            .to_sdp_string();
        let answer = rtc
            .sdp_api()
            .accept_offer(SdpOffer::from_sdp_string(offer)?)?;
        let (candidates, queue) = mpsc::channel(8);
        let echoed = Arc::new(AtomicU64::new(0));
        let gaps = Arc::new(AtomicU64::new(0));
        let loop_ = Loop {
            echo,
            ask_keyframes: false,
            echoed: echoed.clone(),
            gaps: gaps.clone(),
        };
        let task = tokio::spawn(loop_.run(rtc, socket, queue));
        Ok(EchoPeer {
            sdp: answer.to_sdp_string(),
            candidate,
            echoed,
            gaps,
            candidates,
            task: Some(task),
            setup: None,
        })
    }

    /// Binds 127.0.0.1 and writes an audio + video sendrecv offer (no candidates: trickle). The peer
    /// echoes faithfully and asks for keyframes; it runs once [`EchoPeer::start`] has its answer.
    pub async fn offer() -> anyhow::Result<EchoPeer> {
        let crate::offerer::Offered {
            rtc,
            socket,
            pending,
            sdp,
            candidate,
            ..
        } = crate::offerer::offer(Direction::SendRecv).await?;
        let (candidates, queue) = mpsc::channel(8);
        Ok(EchoPeer {
            sdp,
            candidate,
            echoed: Arc::new(AtomicU64::new(0)),
            gaps: Arc::new(AtomicU64::new(0)),
            candidates,
            task: None,
            setup: Some(Setup {
                rtc,
                socket,
                pending,
                queue,
            }),
        })
    }

    /// An offerer: applies the answer and the remote candidates, then starts echoing.
    pub fn start(&mut self, answer: &str, remote: &[String]) -> anyhow::Result<()> {
        let Setup {
            mut rtc,
            socket,
            pending,
            queue,
        } = self
            .setup
            .take()
            .context("not an offerer, or already started")?;
        crate::offerer::accept(&mut rtc, pending, answer, remote)?;
        let loop_ = Loop {
            echo: Echo::Faithful,
            ask_keyframes: true,
            echoed: self.echoed.clone(),
            gaps: self.gaps.clone(),
        };
        self.task = Some(tokio::spawn(loop_.run(rtc, socket, queue)));
        Ok(())
    }

    /// Trickles one of the other side's candidates in.
    pub async fn add_remote_candidate(&self, candidate: &str) -> anyhow::Result<()> {
        let parsed = Candidate::from_sdp_string(candidate)?;
        self.candidates.send(parsed).await?;
        Ok(())
    }

    /// Frames echoed so far.
    pub fn echoed(&self) -> u64 {
        self.echoed.load(Ordering::Relaxed)
    }

    /// Frames received after a gap in their stream's sequence numbers so far.
    pub fn gaps(&self) -> u64 {
        self.gaps.load(Ordering::Relaxed)
    }
}

impl Drop for EchoPeer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The drive loop's settings.
struct Loop {
    echo: Echo,
    ask_keyframes: bool,
    echoed: Arc<AtomicU64>,
    gaps: Arc<AtomicU64>,
}

impl Loop {
    async fn run(self, mut rtc: Rtc, socket: UdpSocket, mut candidates: mpsc::Receiver<Candidate>) {
        let Ok(local) = socket.local_addr() else {
            return;
        };
        let mut buf = vec![0u8; 2048];
        let mut next_keyframe_request = Instant::now();
        loop {
            let wake = loop {
                match rtc.poll_output() {
                    Ok(Output::Timeout(t)) => break t,
                    Ok(Output::Transmit(t)) => {
                        let _ = socket.send_to(&t.contents, t.destination).await;
                    }
                    Ok(Output::Event(Event::MediaData(data))) => {
                        let is_video = !data.params.spec().codec.is_audio();
                        if !data.contiguous {
                            self.gaps.fetch_add(1, Ordering::Relaxed);
                        }
                        let mut frame = data.data.to_vec();
                        if self.echo == Echo::CorruptVideo
                            && is_video
                            && let Some(last) = frame.last_mut()
                        {
                            *last ^= 0xFF;
                        }
                        if let Some(writer) = rtc.writer(data.mid)
                            && let Some(pt) = writer.match_params(data.params)
                            && writer
                                .write(pt, data.network_time, data.time, frame)
                                .is_ok()
                        {
                            self.echoed.fetch_add(1, Ordering::Relaxed);
                        }
                        // Keep asking the sender (through any forwarding endpoints) for keyframes.
                        if self.ask_keyframes && is_video && Instant::now() >= next_keyframe_request
                        {
                            next_keyframe_request = Instant::now() + KEYFRAME_EVERY;
                            if let Some(mut w) = rtc.writer(data.mid) {
                                let _ = w.request_keyframe(None, KeyframeRequestKind::Pli);
                            }
                        }
                    }
                    Ok(Output::Event(_)) => {}
                    Err(_) => return,
                }
            };
            let wake = wake.min(Instant::now() + IDLE_WAKE);
            tokio::select! {
                c = candidates.recv() => match c {
                    Some(c) => rtc.add_remote_candidate(c),
                    None => return,
                },
                r = socket.recv_from(&mut buf) => {
                    let Ok((n, source)) = r else { continue };
                    let Some(input) = receive(local, source, &buf[..n]) else { continue };
                    if rtc.handle_input(input).is_err() {
                        return;
                    }
                }
                _ = tokio::time::sleep_until(wake.into()) => {
                    if rtc.handle_input(Input::Timeout(Instant::now())).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// A datagram as str0m input, or `None` when it is not one str0m can parse.
fn receive(local: SocketAddr, source: SocketAddr, contents: &[u8]) -> Option<Input<'_>> {
    let receive = Receive::new(Protocol::Udp, source, local, contents).ok()?;
    Some(Input::Receive(Instant::now(), receive))
}
