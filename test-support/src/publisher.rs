//! A str0m offerer that only sends, the way a WHIP publisher or a camera does: its audio and video
//! m-lines are `a=sendonly`, and once connected it sends a synthetic Opus packet and VP8 keyframe on
//! each every 20 ms, on its own UDP socket on 127.0.0.1, driven by one task. It counts what it sends
//! and any media that comes back (none should: it offered not to receive).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use str0m::change::SdpPendingOffer;
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How often a frame goes out on each m-line once connected.
const FRAME_EVERY: Duration = Duration::from_millis(20);

/// What the publisher's task counts.
#[derive(Debug, Default)]
struct Counts {
    sent: AtomicU64,
    received: AtomicU64,
    /// Set by [`Publisher::change_ssrcs`], taken by the task.
    change_ssrcs: AtomicBool,
}

/// A sendonly publisher; dropping it stops its task and closes its socket.
pub struct Publisher {
    /// The offer: audio and video, both `a=sendonly`, no candidates (trickle).
    pub sdp: String,
    /// The publisher's one host candidate, as an SDP attribute value (`candidate:…`).
    pub candidate: String,
    counts: Arc<Counts>,
    candidates: mpsc::Sender<Candidate>,
    setup: Option<Setup>,
    task: Option<JoinHandle<()>>,
}

/// What the publisher holds until [`Publisher::start`].
struct Setup {
    rtc: Rtc,
    socket: UdpSocket,
    pending: SdpPendingOffer,
    queue: mpsc::Receiver<Candidate>,
    mids: Vec<(MediaKind, Mid)>,
}

impl Publisher {
    /// Binds 127.0.0.1:0 and writes the sendonly offer; it runs once [`Publisher::start`] has the answer.
    pub async fn offer() -> anyhow::Result<Publisher> {
        let crate::offerer::Offered {
            rtc,
            socket,
            pending,
            mids,
            sdp,
            candidate,
        } = crate::offerer::offer(Direction::SendOnly).await?;
        let (candidates, queue) = mpsc::channel(8);
        Ok(Publisher {
            sdp,
            candidate,
            counts: Arc::default(),
            candidates,
            setup: Some(Setup {
                rtc,
                socket,
                pending,
                queue,
                mids,
            }),
            task: None,
        })
    }

    /// Applies the answer and the remote candidates, then starts publishing once connected.
    pub fn start(&mut self, answer: &str, remote: &[String]) -> anyhow::Result<()> {
        let Setup {
            mut rtc,
            socket,
            pending,
            queue,
            mids,
        } = self.setup.take().context("already started")?;
        crate::offerer::accept(&mut rtc, pending, answer, remote)?;
        let counts = self.counts.clone();
        self.task = Some(tokio::spawn(run(rtc, socket, queue, mids, counts)));
        Ok(())
    }

    /// Trickles one of the other side's candidates in.
    pub async fn add_remote_candidate(&self, candidate: &str) -> anyhow::Result<()> {
        let parsed = Candidate::from_sdp_string(candidate)?;
        self.candidates.send(parsed).await?;
        Ok(())
    }

    /// Frames (audio packets and video frames) str0m took for sending so far.
    pub fn sent(&self) -> u64 {
        self.counts.sent.load(Ordering::Relaxed)
    }

    /// Sends every m-line's media under a new SSRC from now on (as a sender that restarts its
    /// encoder may): a new stream to the receiver, numbered anew.
    pub fn change_ssrcs(&self) {
        self.counts.change_ssrcs.store(true, Ordering::Relaxed);
    }

    /// Media units received so far.
    pub fn received(&self) -> u64 {
        self.counts.received.load(Ordering::Relaxed)
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The drive loop: feed input, drain output until a timeout, and send a frame per m-line when due.
async fn run(
    mut rtc: Rtc,
    socket: UdpSocket,
    mut candidates: mpsc::Receiver<Candidate>,
    mids: Vec<(MediaKind, Mid)>,
    counts: Arc<Counts>,
) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    let mut buf = vec![0u8; 2048];
    let started = Instant::now();
    let mut connected = false;
    let mut next_frame = Instant::now();
    loop {
        let wake = loop {
            match rtc.poll_output() {
                Ok(Output::Timeout(t)) => break t,
                Ok(Output::Transmit(t)) => {
                    let _ = socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(Event::Connected)) => connected = true,
                Ok(Output::Event(Event::MediaData(_))) => {
                    counts.received.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Output::Event(_)) => {}
                Err(_) => return,
            }
        };
        if counts.change_ssrcs.swap(false, Ordering::Relaxed) {
            let mut direct = rtc.direct_api();
            for &(_, mid) in &mids {
                let (ssrc, rtx) = (direct.new_ssrc(), direct.new_ssrc());
                let has_rtx = direct
                    .stream_tx_by_mid(mid, None)
                    .is_some_and(|tx| tx.rtx().is_some());
                direct.reset_stream_tx(mid, None, ssrc, has_rtx.then_some(rtx));
            }
        }
        let now = Instant::now();
        if connected && now >= next_frame {
            next_frame = now + FRAME_EVERY;
            for &(kind, mid) in &mids {
                if send_frame(&mut rtc, kind, mid, now.duration_since(started)) {
                    counts.sent.fetch_add(1, Ordering::Relaxed);
                }
            }
            // Written media is queued in str0m: drain it before sleeping.
            continue;
        }
        let wake = if connected {
            wake.min(next_frame)
        } else {
            wake
        };
        tokio::select! {
            c = candidates.recv() => match c {
                Some(c) => rtc.add_remote_candidate(c),
                None => return,
            },
            r = socket.recv_from(&mut buf) => {
                let Ok((n, source)) = r else { continue };
                let Ok(receive) = Receive::new(Protocol::Udp, source, local, &buf[..n]) else {
                    continue;
                };
                if rtc.handle_input(Input::Receive(Instant::now(), receive)).is_err() {
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

/// Writes one synthetic frame on `mid`; false if str0m has no writer or payload type for it.
pub(crate) fn send_frame(rtc: &mut Rtc, kind: MediaKind, mid: Mid, elapsed: Duration) -> bool {
    let (codec, rate, frame) = match kind {
        MediaKind::Audio => (Codec::Opus, Frequency::FORTY_EIGHT_KHZ, opus_packet()),
        MediaKind::Video => (Codec::Vp8, Frequency::NINETY_KHZ, vp8_keyframe()),
    };
    let Some(writer) = rtc.writer(mid) else {
        return false;
    };
    let Some(pt) = writer
        .payload_params()
        .find(|p| p.spec().codec == codec)
        .map(str0m::format::PayloadParams::pt)
    else {
        return false;
    };
    let ticks = elapsed.as_micros() as u64 * u64::from(rate.get()) / 1_000_000;
    writer
        .write(pt, Instant::now(), MediaTime::new(ticks, rate), frame)
        .is_ok()
}

/// An Opus packet: a TOC byte (20 ms CELT, one frame) and filler; nobody decodes it.
fn opus_packet() -> Vec<u8> {
    let mut p = vec![0xFC];
    p.resize(80, 0x55);
    p
}

/// A VP8 keyframe as far as depacketizers look (RFC 6386 section 9.1): the frame tag (keyframe,
/// shown, a first partition size), the start code, 320x240, then filler.
fn vp8_keyframe() -> Vec<u8> {
    let tag: u32 = (200 << 5) | (1 << 4);
    let mut f = tag.to_le_bytes()[..3].to_vec();
    f.extend_from_slice(&[0x9D, 0x01, 0x2A]);
    f.extend_from_slice(&320u16.to_le_bytes());
    f.extend_from_slice(&240u16.to_le_bytes());
    f.resize(400, 0xAA);
    f
}
