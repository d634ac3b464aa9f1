//! The call a browser socket holds with the gateway: one MediaSession session, started without leaking, fed the
//! browser's candidates in order, its events forwarded to the page, and stopped exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_stream::StreamExt;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

use crate::browser::convert::{self, Forward};
use crate::browser::protocol::{Candidate, ErrorKind, ServerMessage};
use crate::gateway::client::Gateway;
use crate::ops::counters::{Counters, Guard};

/// What a Start in flight hands back: the answer and the MediaSession session it is now the socket's job to stop.
pub(crate) type StartOutcome = Result<Started, String>;

/// A successful Start, carrying the count guard so the call stays counted until someone stops it.
#[derive(Debug)]
pub(crate) struct Started {
    pub(crate) session_id: String,
    pub(crate) sdp_answer: String,
    /// The session's media server can restart ICE (`StartResponse.capabilities.ice_restart`).
    pub(crate) ice_restart: bool,
    guard: Guard,
}

/// Calls Start in its own task. If nobody is waiting when it returns (the socket closed, or a second `start`
/// or a `stop` superseded it), the task stops the session itself: an abrupt close during Start leaks nothing.
/// The task is tracked so that shutdown waits for it too.
pub(crate) fn spawn_start(
    gateway: Gateway,
    counters: &Counters,
    tasks: &TaskTracker,
    sdp_offer: String,
) -> oneshot::Receiver<StartOutcome> {
    let (reply, outcome) = oneshot::channel();
    let guard = counters.call_opened();
    let counters = counters.clone();
    tasks.spawn(
        async move {
        let started = match gateway.start(convert::start_request(sdp_offer)).await {
            Ok(r) => Ok(Started {
                ice_restart: r.capabilities.is_some_and(|c| c.ice_restart),
                session_id: r.session_id,
                sdp_answer: r.sdp_answer,
                guard,
            }),
            Err(e) => Err(e.text),
        };
        if let Err(Ok(orphan)) = reply.send(started) {
            counters.metrics.calls_orphaned.inc();
            // The socket's span has no session id (it never learnt it), so this line names it itself.
            tracing::info!(session_id = %orphan.session_id, "Start returned after its socket gave it up; stopping it");
            if let Err(text) = gateway.stop(&orphan.session_id).await {
                tracing::warn!(session_id = %orphan.session_id, "stopping an orphaned session failed: {text}");
            }
            drop(orphan.guard);
        }
    }
        .in_current_span(),
    );
    outcome
}

/// The call a browser socket holds: a started MediaSession session and the two tasks that feed it candidates
/// and forward its events. Dropping it aborts the tasks but does not call Stop: use [`Call::stop`].
///
/// What the tasks have for the page waits in the call's own queue, not the socket's, so a call can move to
/// another socket (re-attach) with what arrived while it had none.
#[derive(Debug)]
pub(crate) struct Call {
    id: String,
    gateway: Gateway,
    /// Boxed: the queue allocates its slots in blocks of 32 for the call's life.
    candidates: mpsc::Sender<Box<Candidate>>,
    /// Messages for the page, from the feeder (errors) and the forwarder (candidates, events). Boxed, like
    /// the candidates: the queue's slots are allocated 32 at a time for the call's life.
    outgoing: mpsc::Receiver<Box<ServerMessage>>,
    /// Whether the page holding the call asked for `sessionEvent`s.
    subscribed: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
    _guard: Guard,
}

impl Call {
    /// Takes ownership of a started MediaSession session: spawns the candidate feeder and the event forwarder,
    /// whose messages for the page queue in the call (at most `outgoing_queue`; a slow browser slows the
    /// gateway stream, it does not grow memory).
    pub(crate) fn open(
        started: Started,
        gateway: Gateway,
        subscribed: bool,
        max_pending_candidates: usize,
        outgoing_queue: usize,
    ) -> Self {
        let Started {
            session_id: id,
            guard,
            ..
        } = started;
        let (outgoing, queued) = mpsc::channel::<Box<ServerMessage>>(outgoing_queue.max(1));
        let subscribed = Arc::new(AtomicBool::new(subscribed));
        let (candidates, mut queue) =
            mpsc::channel::<Box<Candidate>>(max_pending_candidates.max(1));
        // One feeder keeps the browser's candidate order, which ICE does not need but logs and tests do.
        let feeder = {
            let gateway = gateway.clone();
            let outgoing = outgoing.clone();
            let id = id.clone();
            tokio::spawn(
                async move {
                    while let Some(candidate) = queue.recv().await {
                        // Boxed: a gRPC call's state is most of this task's size, and the task is held
                        // for the whole session while calls are rare.
                        let added = Box::pin(gateway.add_ice_candidate(&id, (*candidate).into()));
                        if let Err(text) = added.await {
                            let error = ServerMessage::Error(
                                ErrorKind::Gateway,
                                format!("cannot add ICE candidate: {text}"),
                            );
                            let _ = Box::pin(outgoing.send(Box::new(error))).await;
                        }
                    }
                }
                .in_current_span(),
            )
        };
        let forwarder = {
            let gateway = gateway.clone();
            let id = id.clone();
            let subscribed = subscribed.clone();
            tokio::spawn(forward_events(gateway, id, outgoing, subscribed).in_current_span())
        };
        Self {
            id,
            gateway,
            candidates,
            outgoing: queued,
            subscribed,
            tasks: vec![feeder, forwarder],
            _guard: guard,
        }
    }

    /// The MediaSession session id.
    pub(crate) fn session_id(&self) -> &str {
        &self.id
    }

    /// Restarts ICE with the page's new offer; the media server's answer, or the page's sentence.
    pub(crate) async fn restart_ice(&self, sdp_offer: String) -> Result<String, String> {
        self.gateway
            .restart_ice(&self.id, sdp_offer)
            .await
            .map_err(|e| e.text)
    }

    /// The next message for the page (cancel-safe); never resolves once the call's tasks are gone.
    pub(crate) async fn next_message(&mut self) -> ServerMessage {
        match self.outgoing.recv().await {
            Some(message) => *message,
            None => std::future::pending().await,
        }
    }

    /// Whether the page now holding the call gets `sessionEvent`s.
    pub(crate) fn set_subscribed(&self, on: bool) {
        self.subscribed.store(on, Ordering::Relaxed);
    }

    /// Queues a browser candidate for the gateway; `Err` when the browser sends faster than the gateway takes.
    pub(crate) fn add_candidate(&self, candidate: Candidate) -> Result<(), String> {
        self.candidates
            .try_send(Box::new(candidate))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => {
                    "too many ICE candidates waiting for the media gateway".to_owned()
                }
                mpsc::error::TrySendError::Closed(_) => {
                    "the media session is no longer taking candidates".to_owned()
                }
            })
    }

    /// Stops the forwarding tasks and the MediaSession session; errors are logged, since the browser is leaving.
    pub(crate) async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Err(text) = self.gateway.stop(&self.id).await {
            tracing::warn!("Stop failed: {text}");
        } else {
            tracing::info!("session stopped");
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The forwarder: the gateway's events for the page, into the call's queue. A plain function returning
/// the task's future, not an async fn, which would keep each argument twice in a task held for the
/// session's life.
#[allow(clippy::manual_async_fn)]
fn forward_events(
    gateway: Gateway,
    id: String,
    outgoing: mpsc::Sender<Box<ServerMessage>>,
    subscribed: Arc<AtomicBool>,
) -> impl Future<Output = ()> + Send {
    async move {
        // Boxed: the call's state is only needed until the stream opens.
        let mut stream = match Box::pin(gateway.stream_events(&id)).await {
            Ok(stream) => stream,
            Err(text) => {
                let error = ServerMessage::Error(
                    ErrorKind::Gateway,
                    format!("cannot watch the media session: {text}"),
                );
                let _ = outgoing.send(Box::new(error)).await;
                return;
            }
        };
        while let Some(item) = stream.next().await {
            let message = match item {
                Ok(event) => match convert::forward(event) {
                    Forward::Always(m) => m,
                    Forward::Subscribed(m) if subscribed.load(Ordering::Relaxed) => m,
                    Forward::Subscribed(_) | Forward::Nothing => continue,
                },
                Err(status) => ServerMessage::Error(
                    ErrorKind::Gateway,
                    format!(
                        "lost the media session's events: {}",
                        gateway.stream_failed(&status)
                    ),
                ),
            };
            if outgoing.send(Box::new(message)).await.is_err() {
                return; // The socket is gone; its owner stops the call.
            }
        }
    }
}
