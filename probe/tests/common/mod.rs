//! A minimal str0m answerer that echoes every frame back on the m-line it came from, optionally damaged,
//! so the probe's peer can be tested without a media server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::crypto::from_feature_flags;
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How the answerer treats what it echoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// Every frame back unchanged.
    Faithful,
    /// Video frames back with their last byte flipped; audio unchanged.
    CorruptVideo,
}

/// A running answerer; dropping it stops its task.
pub struct Answerer {
    pub answer: String,
    candidates: mpsc::Sender<Candidate>,
    task: JoinHandle<()>,
}

impl Answerer {
    /// Accepts `offer`, binds 127.0.0.1:0 and starts echoing. Its candidate is in the answer.
    pub async fn start(offer: &str, echo: Echo) -> anyhow::Result<Answerer> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let local = socket.local_addr()?;
        let mut rtc = RtcConfig::new()
            .set_crypto_provider(Arc::new(from_feature_flags()))
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(Instant::now());
        rtc.add_local_candidate(Candidate::host(local, "udp")?);
        let answer = rtc
            .sdp_api()
            .accept_offer(SdpOffer::from_sdp_string(offer)?)?;
        let (candidates, queue) = mpsc::channel(8);
        let task = tokio::spawn(drive(rtc, socket, local, queue, echo));
        Ok(Answerer {
            answer: answer.to_sdp_string(),
            candidates,
            task,
        })
    }

    /// Trickles one of the offerer's candidates in.
    pub async fn add_remote_candidate(&self, candidate: &str) -> anyhow::Result<()> {
        let parsed = Candidate::from_sdp_string(candidate)?;
        self.candidates.send(parsed).await?;
        Ok(())
    }
}

impl Drop for Answerer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn drive(
    mut rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mut candidates: mpsc::Receiver<Candidate>,
    echo: Echo,
) {
    let mut buf = vec![0u8; 2048];
    loop {
        let wake = loop {
            match rtc.poll_output() {
                Ok(Output::Timeout(t)) => break t,
                Ok(Output::Transmit(t)) => {
                    let _ = socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(Event::MediaData(data))) => {
                    let Some(writer) = rtc.writer(data.mid) else {
                        continue;
                    };
                    let Some(pt) = writer.match_params(data.params) else {
                        continue;
                    };
                    let mut frame = data.data.to_vec();
                    let is_video = data.params.spec().codec == str0m::format::Codec::Vp8;
                    if echo == Echo::CorruptVideo
                        && is_video
                        && let Some(last) = frame.last_mut()
                    {
                        *last ^= 0xFF;
                    }
                    if writer
                        .write(pt, data.network_time, data.time, frame)
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(Output::Event(_)) => {}
                Err(_) => return,
            }
        };
        let wake = wake.min(Instant::now() + Duration::from_millis(100));
        tokio::select! {
            c = candidates.recv() => match c {
                Some(c) => rtc.add_remote_candidate(c),
                None => return,
            },
            r = socket.recv_from(&mut buf) => {
                let Ok((n, source)) = r else { continue };
                let Ok(input) = Receive::new(Protocol::Udp, source, local, &buf[..n]) else { continue };
                if rtc.handle_input(Input::Receive(Instant::now(), input)).is_err() {
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
