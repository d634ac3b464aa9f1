//! A str0m offerer that sends audio and video (sendrecv), counts the media that comes back, and can
//! restart ICE mid-call, optionally from a new UDP socket (a new port: the old path is gone, as when a
//! laptop changes networks), so only the new ICE credentials can carry media afterwards. One task drives
//! it; commands reach the task over a bounded queue.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::publisher::send_frame;

/// How often a frame goes out on each m-line once connected.
const FRAME_EVERY: Duration = Duration::from_millis(20);

#[derive(Debug, Default)]
struct Counts {
    sent: AtomicU64,
    received: AtomicU64,
}

/// A new offer for an ICE restart, with the candidate of the socket it now uses.
#[derive(Debug, Clone)]
pub struct Restart {
    /// The offer: the same m-lines, new `ice-ufrag`/`ice-pwd`.
    pub offer: String,
    /// The peer's host candidate (the new socket's, if it moved).
    pub candidate: String,
}

enum Command {
    Remote(Candidate),
    Restart {
        move_socket: bool,
        reply: oneshot::Sender<anyhow::Result<Restart>>,
    },
    Answer {
        sdp: String,
        reply: oneshot::Sender<anyhow::Result<()>>,
    },
}

/// The peer; dropping it stops its task and closes its socket.
pub struct RestartPeer {
    /// The first offer: audio and video, sendrecv, no candidates (trickle).
    pub sdp: String,
    /// The peer's host candidate, as an SDP attribute value (`candidate:…`).
    pub candidate: String,
    counts: Arc<Counts>,
    commands: mpsc::Sender<Command>,
    setup: Option<Setup>,
    task: Option<JoinHandle<()>>,
}

struct Setup {
    rtc: Rtc,
    socket: UdpSocket,
    pending: SdpPendingOffer,
    queue: mpsc::Receiver<Command>,
    mids: Vec<(MediaKind, Mid)>,
}

impl RestartPeer {
    /// Binds 127.0.0.1:0 and writes the first offer; it runs once [`RestartPeer::start`] has the answer.
    pub async fn offer() -> anyhow::Result<RestartPeer> {
        let crate::offerer::Offered {
            rtc,
            socket,
            pending,
            mids,
            sdp,
            candidate,
        } = crate::offerer::offer(Direction::SendRecv).await?;
        let (commands, queue) = mpsc::channel(8);
        Ok(RestartPeer {
            sdp,
            candidate,
            counts: Arc::default(),
            commands,
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

    /// Applies the answer and the remote candidates, then sends media once connected.
    pub fn start(&mut self, answer: &str, remote: &[String]) -> anyhow::Result<()> {
        let Setup {
            mut rtc,
            socket,
            pending,
            queue,
            mids,
        } = self.setup.take().context("already started")?;
        crate::offerer::accept(&mut rtc, pending, answer, remote)?;
        let driver = Driver {
            rtc,
            socket,
            mids,
            counts: self.counts.clone(),
            pending: None,
            moved: None,
        };
        self.task = Some(tokio::spawn(driver.run(queue)));
        Ok(())
    }

    /// Trickles one of the other side's candidates in.
    pub async fn add_remote_candidate(&self, candidate: &str) -> anyhow::Result<()> {
        let parsed = Candidate::from_sdp_string(candidate)?;
        self.commands.send(Command::Remote(parsed)).await?;
        Ok(())
    }

    /// Restarts ICE (str0m's `ice_restart`): a new offer with new credentials. With `move_socket` the
    /// peer first binds a new socket and closes the old one, so its old candidate pair is dead.
    pub async fn restart(&self, move_socket: bool) -> anyhow::Result<Restart> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Restart { move_socket, reply })
            .await?;
        rx.await?
    }

    /// Applies the answer to the restart's offer.
    pub async fn accept_answer(&self, sdp: &str) -> anyhow::Result<()> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Answer {
                sdp: sdp.to_owned(),
                reply,
            })
            .await?;
        rx.await?
    }

    /// Frames (audio packets and video frames) str0m took for sending so far.
    pub fn sent(&self) -> u64 {
        self.counts.sent.load(Ordering::Relaxed)
    }

    /// Media units received (echoed back) so far.
    pub fn received(&self) -> u64 {
        self.counts.received.load(Ordering::Relaxed)
    }
}

impl Drop for RestartPeer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

struct Driver {
    rtc: Rtc,
    socket: UdpSocket,
    mids: Vec<(MediaKind, Mid)>,
    counts: Arc<Counts>,
    pending: Option<SdpPendingOffer>,
    /// The new socket's candidate, added once the answer is in: str0m applies a restart that drops
    /// the local candidates when it accepts the answer.
    moved: Option<Candidate>,
}

impl Driver {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut buf = vec![0u8; 2048];
        let started = Instant::now();
        let mut connected = false;
        let mut next_frame = Instant::now();
        loop {
            let wake = loop {
                match self.rtc.poll_output() {
                    Ok(Output::Timeout(t)) => break t,
                    Ok(Output::Transmit(t)) => {
                        let _ = self.socket.send_to(&t.contents, t.destination).await;
                    }
                    Ok(Output::Event(Event::Connected)) => connected = true,
                    Ok(Output::Event(Event::MediaData(_))) => {
                        self.counts.received.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Output::Event(_)) => {}
                    Err(_) => return,
                }
            };
            let now = Instant::now();
            if connected && now >= next_frame {
                next_frame = now + FRAME_EVERY;
                for &(kind, mid) in &self.mids {
                    if send_frame(&mut self.rtc, kind, mid, now.duration_since(started)) {
                        self.counts.sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
                continue;
            }
            let wake = if connected {
                wake.min(next_frame)
            } else {
                wake
            };
            let Ok(local) = self.socket.local_addr() else {
                return;
            };
            tokio::select! {
                c = commands.recv() => match c {
                    Some(c) => self.on_command(c).await,
                    None => return,
                },
                r = self.socket.recv_from(&mut buf) => {
                    let Ok((n, source)) = r else { continue };
                    if !self.receive(local, source, &buf[..n]) {
                        return;
                    }
                }
                _ = tokio::time::sleep_until(wake.into()) => {
                    if self.rtc.handle_input(Input::Timeout(Instant::now())).is_err() {
                        return;
                    }
                }
            }
        }
    }

    fn receive(&mut self, local: SocketAddr, source: SocketAddr, data: &[u8]) -> bool {
        let Ok(receive) = Receive::new(Protocol::Udp, source, local, data) else {
            return true;
        };
        self.rtc
            .handle_input(Input::Receive(Instant::now(), receive))
            .is_ok()
    }

    async fn on_command(&mut self, c: Command) {
        match c {
            Command::Remote(c) => self.rtc.add_remote_candidate(c),
            Command::Restart { move_socket, reply } => {
                let _ = reply.send(self.restart(move_socket).await);
            }
            Command::Answer { sdp, reply } => {
                let r = (|| {
                    let pending = self.pending.take().context("no restart pending")?;
                    self.rtc
                        .sdp_api()
                        .accept_answer(pending, SdpAnswer::from_sdp_string(&sdp)?)?;
                    if let Some(c) = self.moved.take() {
                        self.rtc
                            .add_local_candidate(c)
                            .context("candidate refused")?;
                    }
                    Ok(())
                })();
                let _ = reply.send(r);
            }
        }
    }

    async fn restart(&mut self, move_socket: bool) -> anyhow::Result<Restart> {
        if move_socket {
            self.socket = UdpSocket::bind("127.0.0.1:0").await?;
        }
        let mut api = self.rtc.sdp_api();
        // Without the old socket its candidate is useless; with it, keep it.
        api.ice_restart(!move_socket);
        let (offer, pending) = api.apply().context("no restart offer")?;
        let host = Candidate::host(self.socket.local_addr()?, "udp")?;
        let candidate = host.to_sdp_string();
        self.moved = move_socket.then_some(host);
        self.pending = Some(pending);
        Ok(Restart {
            offer: offer.to_sdp_string(),
            candidate,
        })
    }
}
