//! A str0m offerer that sends back every frame it receives and keeps asking for keyframes: the far end
//! of the forwarding test, so frames can make a round trip through two endpoints.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaKind};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

pub struct Reflector {
    pub candidate: String,
    pub reflected: Arc<AtomicU64>,
    task: Option<JoinHandle<()>>,
    setup: Option<(Rtc, UdpSocket, SdpPendingOffer)>,
}

impl Reflector {
    /// Binds 127.0.0.1 and writes an audio + video sendrecv offer (no candidates: trickle).
    pub async fn offer() -> anyhow::Result<(Reflector, String)> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let local = socket.local_addr()?;
        let mut rtc = RtcConfig::new()
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(Instant::now());
        let mut api = rtc.sdp_api();
        api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        api.add_media(MediaKind::Video, Direction::SendRecv, None, None, None);
        let (offer, pending) = api.apply().context("no offer")?;
        let host = Candidate::host(local, "udp")?;
        let candidate = rtc
            .add_local_candidate(host)
            .context("candidate refused")?
            .to_sdp_string();
        let reflector = Reflector {
            candidate,
            reflected: Arc::new(AtomicU64::new(0)),
            task: None,
            setup: Some((rtc, socket, pending)),
        };
        Ok((reflector, offer.to_sdp_string()))
    }

    /// Applies the answer and remote candidates, then runs the reflecting loop in a task.
    pub fn start(&mut self, answer: &str, remote: &[String]) -> anyhow::Result<()> {
        let (mut rtc, socket, pending) = self.setup.take().context("already started")?;
        rtc.sdp_api()
            .accept_answer(pending, SdpAnswer::from_sdp_string(answer)?)?;
        for c in remote {
            rtc.add_remote_candidate(Candidate::from_sdp_string(c)?);
        }
        let reflected = Arc::clone(&self.reflected);
        self.task = Some(tokio::spawn(run(rtc, socket, reflected)));
        Ok(())
    }
}

impl Drop for Reflector {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

async fn run(mut rtc: Rtc, socket: UdpSocket, reflected: Arc<AtomicU64>) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    let mut buf = vec![0u8; 2048];
    let mut next_pli = Instant::now();
    loop {
        let deadline = loop {
            match rtc.poll_output() {
                Ok(Output::Timeout(t)) => break t,
                Ok(Output::Transmit(t)) => {
                    let _ = socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(Event::MediaData(data))) => {
                    if let Some(writer) = rtc.writer(data.mid)
                        && let Some(pt) = writer.match_params(data.params)
                        && writer
                            .write(pt, data.network_time, data.time, data.data)
                            .is_ok()
                    {
                        reflected.fetch_add(1, Ordering::Relaxed);
                    }
                    // Keep asking the sender (through the forwarding endpoints) for keyframes.
                    if !data.params.spec().codec.is_audio() && Instant::now() >= next_pli {
                        next_pli = Instant::now() + Duration::from_millis(500);
                        if let Some(mut w) = rtc.writer(data.mid) {
                            let _ = w.request_keyframe(None, KeyframeRequestKind::Pli);
                        }
                    }
                }
                Ok(Output::Event(_)) => {}
                Err(_) => return,
            }
        };
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let input = match tokio::time::timeout(wait, socket.recv_from(&mut buf)).await {
            Ok(Ok((n, source))) => match (&buf[..n]).try_into() {
                Ok(contents) => receive(local, source, contents),
                Err(_) => continue,
            },
            Ok(Err(_)) => continue,
            Err(_) => Input::Timeout(Instant::now()),
        };
        if rtc.handle_input(input).is_err() {
            return;
        }
    }
}

fn receive(
    local: SocketAddr,
    source: SocketAddr,
    contents: str0m::net::DatagramRecv<'_>,
) -> Input<'_> {
    Input::Receive(
        Instant::now(),
        Receive {
            proto: Protocol::Udp,
            source,
            destination: local,
            contents,
        },
    )
}
