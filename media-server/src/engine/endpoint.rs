//! `Endpoint`: the cloneable handle to one WebRTC endpoint's driver task (commands in, replies back).

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::error::EngineError;
use super::forward::Link;
use super::media_stats::StreamStats;
use super::threads::MediaThread;

/// Identifies an endpoint within its engine (unique for the engine's lifetime).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointId(pub(crate) u64);

impl fmt::Display for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ep{}", self.0)
    }
}

type Reply<T> = oneshot::Sender<Result<T, EngineError>>;

/// A request to the driver task; each carries the oneshot its answer goes back on.
pub(crate) enum Command {
    ProcessOffer {
        sdp: String,
        reply: Reply<String>,
    },
    GatherCandidates {
        stun: Option<SocketAddr>,
        reply: Reply<()>,
    },
    AddIceCandidate {
        candidate: String,
        reply: Reply<()>,
    },
    AddSink {
        link: Link,
        reply: Reply<()>,
    },
    RemoveSink {
        id: EndpointId,
        reply: Reply<()>,
    },
    AddSource {
        link: Link,
        reply: Reply<()>,
    },
    RemoveSource {
        id: EndpointId,
        reply: Reply<()>,
    },
    RequestKeyframe {
        reply: Reply<()>,
    },
    LocalSdp {
        reply: Reply<Option<String>>,
    },
    RemoteSdp {
        reply: Reply<Option<String>>,
    },
    Stats {
        reply: Reply<Vec<StreamStats>>,
    },
}

/// Handle to one WebRTC endpoint. Clones share the endpoint; it is released by [`Endpoint::release`] or
/// when the last clone is dropped (then asynchronously, as `Drop` cannot wait).
#[derive(Clone)]
pub struct Endpoint {
    inner: Arc<Inner>,
}

struct Inner {
    id: EndpointId,
    commands: mpsc::Sender<Command>,
    link: Link,
    cancel: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
    /// The thread the task runs on; kept running while this endpoint exists.
    _thread: Arc<MediaThread>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The task owns the sockets; cancelling it is what frees them when nobody called release().
        self.cancel.cancel();
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("id", &self.inner.id)
            .finish()
    }
}

impl Endpoint {
    pub(crate) fn new(
        id: EndpointId,
        commands: mpsc::Sender<Command>,
        link: Link,
        cancel: CancellationToken,
        task: JoinHandle<()>,
        thread: Arc<MediaThread>,
    ) -> Self {
        let inner = Inner {
            id,
            commands,
            link,
            cancel,
            task: Mutex::new(Some(task)),
            _thread: thread,
        };
        Endpoint {
            inner: Arc::new(inner),
        }
    }

    /// This endpoint's id.
    pub fn id(&self) -> EndpointId {
        self.inner.id
    }

    /// Answers a remote SDP offer (KMS `processOffer`). The answer holds candidates only if
    /// [`Endpoint::gather_candidates`] ran before; otherwise they follow as events (trickle ICE).
    pub async fn process_offer(&self, sdp: &str) -> Result<String, EngineError> {
        let sdp = sdp.to_string();
        self.call(|reply| Command::ProcessOffer { sdp, reply })
            .await
    }

    /// Starts ICE gathering (KMS `gatherCandidates`): emits `IceCandidateFound` once per candidate and
    /// active m-line, then `IceGatheringDone`. Called before the offer, the events follow the offer.
    /// Calling it again does nothing. With a STUN server (`EngineConfig::stun_server`), the endpoint's
    /// own sockets ask it for their server-reflexive address now and `IceGatheringDone` waits for the
    /// answers, at most `stun_timeout`; one-port mode's shared sockets asked already.
    pub async fn gather_candidates(&self) -> Result<(), EngineError> {
        self.gather_candidates_with(None).await
    }

    /// [`Endpoint::gather_candidates`] asking `stun` (KMS's `stunServerAddress`/`stunServerPort` set on
    /// this endpoint) instead of the engine's STUN server; one-port mode's shared sockets keep the
    /// engine's.
    pub async fn gather_candidates_with(
        &self,
        stun: Option<SocketAddr>,
    ) -> Result<(), EngineError> {
        self.call(|reply| Command::GatherCandidates { stun, reply })
            .await
    }

    /// Adds a remote candidate (KMS `addIceCandidate`). Before the offer it is kept and applied after.
    /// An empty string (end of candidates) and a candidate that does not parse are ignored, like KMS.
    /// With BUNDLE all m-lines share one transport, so `sdp_mid`/`sdp_m_line_index` only matter for
    /// logging.
    pub async fn add_ice_candidate(
        &self,
        candidate: &str,
        sdp_mid: Option<&str>,
        sdp_m_line_index: u32,
    ) -> Result<(), EngineError> {
        tracing::trace!(endpoint = %self.id(), candidate, ?sdp_mid, sdp_m_line_index, "remote candidate");
        let candidate = candidate.to_string();
        self.call(|reply| Command::AddIceCandidate { candidate, reply })
            .await
    }

    /// Sends the media this endpoint receives out of `sink`'s peer. `sink == self` is the loopback:
    /// the peer gets its own media back. Keyframe requests from `sink`'s peer travel back to this peer.
    pub async fn connect(&self, sink: &Endpoint) -> Result<(), EngineError> {
        let link = sink.inner.link.clone();
        self.call(|reply| Command::AddSink { link, reply }).await?;
        if sink.id() != self.id() {
            let link = self.inner.link.clone();
            sink.call(|reply| Command::AddSource { link, reply })
                .await?;
        }
        Ok(())
    }

    /// Undoes [`Endpoint::connect`]. A sink that was already released is not an error.
    pub async fn disconnect(&self, sink: &Endpoint) -> Result<(), EngineError> {
        let id = sink.id();
        self.call(|reply| Command::RemoveSink { id, reply }).await?;
        if id != self.id() {
            let id = self.id();
            match sink.call(|reply| Command::RemoveSource { id, reply }).await {
                Ok(()) | Err(EngineError::Released) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Asks this endpoint's peer for a keyframe on every video stream it sends us (KMS `requestKeyframe`).
    pub async fn request_keyframe(&self) -> Result<(), EngineError> {
        self.call(|reply| Command::RequestKeyframe { reply }).await
    }

    /// The local description (our answer, with gathered candidates); `None` before negotiation.
    pub async fn local_sdp(&self) -> Result<Option<String>, EngineError> {
        self.call(|reply| Command::LocalSdp { reply }).await
    }

    /// The remote description (the peer's offer); `None` before negotiation.
    pub async fn remote_sdp(&self) -> Result<Option<String>, EngineError> {
        self.call(|reply| Command::RemoteSdp { reply }).await
    }

    /// Every stream's counters as of the last stats report (KMS `getStats`): one entry per m-line and
    /// direction that has carried media; empty before any did.
    pub async fn stats(&self) -> Result<Vec<StreamStats>, EngineError> {
        self.call(|reply| Command::Stats { reply }).await
    }

    /// Stops the endpoint's task and closes its sockets before returning. Idempotent; later calls on
    /// any clone fail with [`EngineError::Released`].
    pub async fn release(&self) {
        self.inner.cancel.cancel();
        let task = self.inner.task.lock().ok().and_then(|mut slot| slot.take());
        if let Some(task) = task {
            // A task that panicked is finished all the same; its sockets were dropped while unwinding.
            if let Err(e) = task.await {
                tracing::warn!(endpoint = %self.id(), "endpoint task ended abnormally: {e}");
            }
        }
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, EngineError> {
        if self.inner.cancel.is_cancelled() {
            return Err(EngineError::Released);
        }
        let (reply, answer) = oneshot::channel();
        self.inner
            .commands
            .send(make(reply))
            .await
            .map_err(|_| EngineError::Released)?;
        answer.await.map_err(|_| EngineError::Released)?
    }
}
