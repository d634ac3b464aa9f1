//! One Janus session with one echotest handle: create and attach on connect, the offer in a message and
//! the answer from the long poll, trickle, destroy. Implements the probe's
//! [`Signaling`](crate::signaling::Signaling).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::http::Endpoint;
use super::messages::{self, Event, Reply};
use super::poll::{self, Polled};
use super::watch::JanusEvents;
use crate::error::ProbeError;
use crate::peer::IceCandidate;
use crate::server_stats::ServerStream;
use crate::signaling::Signaling;

/// Events waiting for the watcher; Janus sends a handful per session (webrtcup, media, hangup).
const EVENT_QUEUE: usize = 64;
/// Events that arrive before the answer are kept for the watcher, up to this many.
const EARLY_EVENTS: usize = 64;

/// A fresh transaction id: Janus echoes it back on the reply and on the event it causes.
pub(crate) fn transaction() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// A Janus session holding one `janus.plugin.echotest` handle.
pub(crate) struct Janus {
    url: String,
    endpoint: Endpoint,
    timeout: Duration,
    audio: bool,
    video: bool,
    session: u64,
    handle: u64,
    events: Option<mpsc::Receiver<Polled>>,
    early: VecDeque<Polled>,
    closing: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Janus {
    /// Creates a session, starts its long poll and keepalive, and attaches the echotest. Each request
    /// is bounded by `timeout`. A session whose attach fails is destroyed again.
    pub(crate) async fn connect(
        url: &str,
        audio: bool,
        video: bool,
        timeout: Duration,
    ) -> Result<Self, ProbeError> {
        let endpoint = Endpoint::parse(url).map_err(|reason| ProbeError::BadAddress {
            addr: url.to_owned(),
            reason,
        })?;
        let mut janus = Janus {
            url: url.to_owned(),
            endpoint,
            timeout,
            audio,
            video,
            session: 0,
            handle: 0,
            events: None,
            early: VecDeque::new(),
            closing: Arc::new(AtomicBool::new(false)),
            tasks: Vec::new(),
        };
        janus.session = janus.create_id("create", "", messages::create).await?;
        let (queue, events) = mpsc::channel(EVENT_QUEUE);
        janus.events = Some(events);
        let e = janus.endpoint.clone();
        let closing = janus.closing.clone();
        janus.tasks.push(tokio::spawn(poll::long_poll(
            e.clone(),
            janus.session,
            queue,
            closing,
        )));
        janus
            .tasks
            .push(tokio::spawn(poll::keepalive(e, janus.session, timeout)));
        let path = format!("/{}", janus.session);
        match janus
            .create_id("attach", &path, |t| messages::attach(t, messages::ECHOTEST))
            .await
        {
            Ok(handle) => janus.handle = handle,
            Err(e) => {
                let _ = janus.destroy().await;
                return Err(e);
            }
        }
        Ok(janus)
    }

    fn fail(&self, call: &'static str, what: impl Into<String>) -> ProbeError {
        ProbeError::Janus {
            addr: self.url.clone(),
            call,
            what: what.into(),
        }
    }

    /// POSTs the request `make` builds (given a fresh transaction) to `path` and reads the reply.
    async fn post(
        &self,
        call: &'static str,
        path: &str,
        make: impl FnOnce(&str) -> String,
    ) -> Result<(String, Reply), ProbeError> {
        let tx = transaction();
        let body = self
            .endpoint
            .post(path, make(&tx), self.timeout)
            .await
            .map_err(|e| self.fail(call, e))?;
        let reply = messages::parse_reply(&body).map_err(|e| self.fail(call, e.to_string()))?;
        if let Reply::Error { code, reason } = &reply {
            return Err(self.fail(call, format!("error {code}: {reason}")));
        }
        Ok((tx, reply))
    }

    /// A request answered with `success` and the id of what it made (create, attach).
    async fn create_id(
        &self,
        call: &'static str,
        path: &str,
        make: impl FnOnce(&str) -> String,
    ) -> Result<u64, ProbeError> {
        match self.post(call, path, make).await? {
            (_, Reply::Success { id: Some(id), .. }) => Ok(id),
            (_, other) => Err(self.fail(call, format!("no id in the reply: {other:?}"))),
        }
    }

    async fn destroy(&mut self) -> Result<bool, ProbeError> {
        // The long poll fails once the session is gone: from now on that is no news.
        self.closing.store(true, Ordering::Release);
        let path = format!("/{}", self.session);
        let result = self.post("destroy", &path, messages::destroy).await;
        for task in self.tasks.drain(..) {
            task.abort();
        }
        Ok(matches!(result?, (_, Reply::Success { .. })))
    }

    /// Waits for the plugin event that answers `tx`, keeping other events for the watcher.
    async fn answer_to(&mut self, tx: &str) -> Result<String, ProbeError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let Some(events) = self.events.as_mut() else {
                return Err(self.fail("message", "the event feed is already taken"));
            };
            let polled = match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some(polled)) => polled,
                Ok(None) => {
                    return Err(self.fail("message", "the long poll ended before the answer"));
                }
                Err(_) => {
                    return Err(self.fail(
                        "message",
                        format!("no answer event within {:?}", self.timeout),
                    ));
                }
            };
            match polled {
                Ok(Event::Plugin {
                    transaction: Some(t),
                    jsep,
                    error,
                }) if t == tx => {
                    if let Some(error) = error {
                        return Err(
                            self.fail("message", format!("echotest refused the offer: {error}"))
                        );
                    }
                    return match jsep {
                        Some(j) if j.kind == "answer" => Ok(j.sdp),
                        Some(j) => Err(self.fail(
                            "message",
                            format!("a {:?} jsep instead of an answer", j.kind),
                        )),
                        None => Err(self.fail("message", "the echotest's reply has no jsep")),
                    };
                }
                Err(e) => return Err(self.fail("message", format!("long poll: {e}"))),
                other => {
                    if self.early.len() < EARLY_EVENTS {
                        self.early.push_back(other);
                    }
                }
            }
        }
    }
}

impl Signaling for Janus {
    type Events = JanusEvents;

    fn addr(&self) -> &str {
        &self.url
    }

    fn session_id(&self) -> String {
        format!("{}/{}", self.session, self.handle)
    }

    async fn offer(&mut self, sdp: String, _trickle: bool) -> Result<String, ProbeError> {
        // Janus answers with its candidates in the SDP (half-trickle) whether or not the offer trickles.
        let path = format!("/{}/{}", self.session, self.handle);
        let (audio, video) = (self.audio, self.video);
        let answer = match self
            .post("message", &path, |t| messages::offer(t, audio, video, &sdp))
            .await
        {
            Ok((tx, Reply::Ack { .. })) => self.answer_to(&tx).await,
            Ok((_, other)) => Err(self.fail("message", format!("expected an ack, got {other:?}"))),
            Err(e) => Err(e),
        };
        // The session exists already: a failed offer must not leave it to Janus's session timeout.
        if answer.is_err()
            && let Err(e) = self.destroy().await
        {
            tracing::debug!(error = %e, "destroying the session after a failed offer");
        }
        answer
    }

    async fn events(&mut self) -> Result<JanusEvents, ProbeError> {
        let events = self
            .events
            .take()
            .ok_or_else(|| self.fail("events", "the event feed is already taken"))?;
        Ok(JanusEvents::new(std::mem::take(&mut self.early), events))
    }

    async fn candidate(&mut self, candidate: Option<&IceCandidate>) -> Result<(), ProbeError> {
        let path = format!("/{}/{}", self.session, self.handle);
        self.post("trickle", &path, |t| messages::trickle(t, candidate))
            .await?;
        Ok(())
    }

    async fn stats(&mut self) -> Option<Result<Vec<ServerStream>, ProbeError>> {
        // Janus gives per-handle counters only on its Admin API (handle_info), which this probe does
        // not speak; the public HTTP API has nothing like GetSessionStats.
        None
    }

    async fn close(&mut self) -> Result<bool, ProbeError> {
        self.destroy().await
    }
}

impl Drop for Janus {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
