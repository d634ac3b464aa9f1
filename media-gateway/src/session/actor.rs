//! The session actor: the single owner of one session's pipeline. It runs the setup, answers Start,
//! starts gathering, queues early candidates, fans events out to watchers, keeps the lease, and releases
//! the pipeline exactly once however the session ends (`finish.rs`).

use super::Command;
use super::convert::{self, Meaning};
use super::setup::{Objects, Setup};
use super::shared::Shared;
use super::status::Status;
use super::watchers::Watchers;
use crate::error::Error;
use crate::kms::{KmsError, KmsLink, LinkNotice, LinkState, Registration};
use crate::links::Placement;
use kurento::{MediaType, Method, ObjectId, StatsReport, WebRtcEndpointOp};
use media_proto::v1::{self as pb, EndReason};
use serde_json::Value;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

pub(super) type StartReply = oneshot::Sender<Result<Started, Error>>;

/// What a Start caller gets from the actor: the answer, and what the session's media server can do.
pub(super) struct Started {
    pub(super) answer: String,
    pub(super) capabilities: pb::Capabilities,
}
type Pending<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pub(super) struct Actor {
    pub(super) id: String,
    pub(super) link: KmsLink,
    /// Counts this session towards its link's load until the session has ended.
    pub(super) placement: Placement,
    pub(super) status: Status,
    pub(super) shared: Arc<Shared>,
    pub(super) commands: mpsc::Receiver<Box<Command>>,
    pub(super) notices: mpsc::Receiver<LinkNotice>,
    pub(super) sink: mpsc::Sender<LinkNotice>,
    pub(super) states: tokio::sync::watch::Receiver<LinkState>,
    /// Dropped when the actor ends, which unregisters its objects from the link.
    pub(super) registrations: Vec<Registration>,
    pub(super) watchers: Watchers,
    /// Caller candidates that arrived before gatherCandidates returned, in arrival order.
    pub(super) pending: VecDeque<kurento::IceCandidate>,
    pub(super) ready: bool,
    /// Caller candidates taken so far (queued or forwarded), against `max_candidates`.
    pub(super) candidates_taken: usize,
    pub(super) last_touch: Instant,
    pub(super) down_since: Option<Instant>,
    pub(super) lease: Duration,
    /// The `a=ice-ufrag` of the offer the endpoint negotiated last (Start's, then each RestartIce's).
    pub(super) remote_ufrag: Option<String>,
}

/// Why the loop stopped, and who is waiting to hear that the session ended.
pub(super) struct End {
    pub(super) reason: EndReason,
    pub(super) message: String,
    pub(super) stop_reply: Option<oneshot::Sender<bool>>,
}

impl End {
    fn new(reason: EndReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            stop_reply: None,
        }
    }
}

impl Actor {
    /// Boxed `self`: an async fn keeps a by-value argument both as the argument and as the local it
    /// becomes, so an inline actor would sit twice in the task, which lives as long as the session.
    pub(super) async fn run(mut self: Box<Self>, offer: String, wait: bool, mut reply: StartReply) {
        let mut created = None;
        let owner = crate::owner::Owner {
            instance: self.shared.config.instance_id.clone(),
            session: self.id.clone(),
        };
        let setup = Setup {
            link: &self.link,
            sink: &self.sink,
            registrations: &mut self.registrations,
            owner: &owner,
            created: &mut created,
        };
        let shutdown = self.shared.shutdown.clone();
        // Setup is dropped at whatever step it is in when its caller leaves or the drain begins (a Start
        // that slipped in as the drain began included), and what it created is released at once.
        let outcome = tokio::select! {
            biased;
            () = shutdown.cancelled() => Err(Error::Unavailable("the gateway is shutting down".into())),
            () = reply.closed() => Err(Error::Ended("the Start caller went away".into())),
            // Boxed: the setup's state (a transaction in flight, its reply) is the largest part of this
            // future, and a task keeps its whole allocation for the session's life.
            r = Box::pin(setup.run(&offer)) => r,
        };
        // The offer (several KiB) is not needed once negotiated, and this future lives as long as the session.
        self.remote_ufrag = super::restart::ice_ufrag(&offer).map(str::to_owned);
        drop(offer);
        let (objects, answer) = match outcome {
            Ok(ok) => ok,
            Err(error) => {
                if let Some(p) = created {
                    Box::pin(self.release(&p)).await;
                }
                drop(self.placement);
                tracing::debug!(error = %error, "Start failed");
                let _ = reply.send(Err(error));
                self.shared.registry.end(&self.id);
                self.shared.metrics.session_ended("start_failed");
                return;
            }
        };
        self.live(objects, answer, wait, reply).await;
    }

    /// The session's life after Start. What it awaits only now and then (a command, the end) is boxed
    /// where it is awaited, so that this future, held for the session's life, is only the loop's state.
    async fn live(
        mut self: Box<Self>,
        objects: Objects,
        answer: String,
        wait: bool,
        reply: StartReply,
    ) {
        self.status.set_pipeline(&objects.pipeline);
        let mut start_reply = Some((reply, answer));
        if !wait && !self.answer_start(&mut start_reply, &objects) {
            let end = End::new(EndReason::Stopped, "the Start caller went away");
            return Box::pin(self.finish(end, &objects, None)).await;
        }
        let link = self.link.clone();
        let endpoint = objects.endpoint.clone();
        let mut gathering: Option<Pending<Result<Value, KmsError>>> = Some(Box::pin(async move {
            link.call(Method::invoke_op(
                &endpoint,
                WebRtcEndpointOp::GatherCandidates,
            ))
            .await
        }));
        let gather_deadline = Instant::now() + self.shared.config.gathering_timeout;
        let mut gathered = false;
        let tick_every = (self.lease / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
        let mut tick = tokio::time::interval(tick_every);
        let shutdown = self.shared.shutdown.clone();
        let end = loop {
            // A Start whose caller left before the answer (wait_for_candidates) is over.
            if start_reply.as_ref().is_some_and(|(r, _)| r.is_closed()) {
                break End::new(EndReason::Stopped, "the Start caller went away");
            }
            let decided = tokio::select! {
                biased;
                () = shutdown.cancelled() => Some(End::new(EndReason::Shutdown, "the gateway is shutting down")),
                r = async {
                    match gathering.as_mut() {
                        Some(call) => call.await,
                        None => std::future::pending().await,
                    }
                } => {
                    gathering = None;
                    Box::pin(self.gathering_started(r, &objects)).await
                }
                Some(n) = self.notices.recv() => self.on_notice(n, &mut gathered),
                Some(c) = self.commands.recv() => Box::pin(self.on_command(*c, &objects)).await,
                Ok(()) = self.states.changed() => {
                    let up = matches!(*self.states.borrow_and_update(), LinkState::Up);
                    self.down_since = if up { None } else { self.down_since.or(Some(Instant::now())) };
                    None
                }
                _ = tick.tick() => self.on_tick(),
                // A Start waiting for gathering whose caller leaves: end now, not at the next tick.
                () = async {
                    match start_reply.as_mut() {
                        Some((r, _)) => r.closed().await,
                        None => std::future::pending().await,
                    }
                } => None,
            };
            if let Some(end) = decided {
                break end;
            }
            let gather_over = gathered || Instant::now() >= gather_deadline;
            if wait && start_reply.is_some() && gathering.is_none() && gather_over {
                if start_reply.as_ref().is_some_and(|(r, _)| !r.is_closed()) {
                    // Now the local description holds every candidate gathered.
                    let local = Method::invoke_op(
                        &objects.endpoint,
                        WebRtcEndpointOp::GetLocalSessionDescriptor,
                    );
                    match Box::pin(self.call(local)).await {
                        Ok(Value::String(sdp)) => {
                            if let Some((_, a)) = start_reply.as_mut() {
                                *a = sdp;
                            }
                        }
                        Ok(other) => {
                            tracing::warn!(%other, "getLocalSessionDescriptor gave no SDP; answering with processOffer's");
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "getLocalSessionDescriptor failed; answering with processOffer's");
                        }
                    }
                }
                if !self.answer_start(&mut start_reply, &objects) {
                    break End::new(EndReason::Stopped, "the Start caller went away");
                }
            }
        };
        Box::pin(self.finish(end, &objects, start_reply)).await;
    }

    /// Hands the answer to the Start caller; false if the caller has left, which ends the session at
    /// once (nobody else knows its id, so it would only sit out its lease).
    fn answer_start(
        &mut self,
        start_reply: &mut Option<(StartReply, String)>,
        objects: &Objects,
    ) -> bool {
        let Some((reply, answer)) = start_reply.take() else {
            return true;
        };
        self.last_touch = Instant::now();
        let started = Started {
            answer,
            capabilities: pb::Capabilities {
                ice_restart: objects.ice_restart,
            },
        };
        if reply.send(Ok(started)).is_err() {
            tracing::debug!(pipeline = %objects.pipeline, "Start caller left before the answer");
            return false;
        }
        true
    }

    /// gatherCandidates answered: from now on candidates go straight to the endpoint.
    async fn gathering_started(
        &mut self,
        r: Result<Value, KmsError>,
        objects: &Objects,
    ) -> Option<End> {
        if let Err(e) = r {
            let e = Error::from_kms(self.link.uri(), e);
            return Some(End::new(
                EndReason::MediaError,
                format!("gathering candidates failed: {e}"),
            ));
        }
        self.ready = true;
        self.status.set_ready();
        while let Some(c) = self.pending.pop_front() {
            // The caller was already told "queued"; a candidate the media server refuses is only logged.
            if let Err(e) = self.add_candidate(&objects.endpoint, &c).await {
                tracing::warn!(error = %e, candidate = %c.candidate, "queued candidate refused");
            }
        }
        None
    }

    fn on_notice(&mut self, n: LinkNotice, gathered: &mut bool) -> Option<End> {
        match n {
            LinkNotice::Event(ev) => match convert::interpret(&ev.data) {
                Meaning::Publish(e) => {
                    if matches!(ev.data, kurento::EventData::IceGatheringDone) {
                        *gathered = true;
                    }
                    self.status.observe(&e);
                    self.watchers.publish(e);
                    None
                }
                // The watchers (and through web-bridge, browsers) get the gateway's wording; the media
                // server's is for the log (the session's span names the server).
                Meaning::Failed(why) => {
                    tracing::warn!(error = %why, "the media server reported an error");
                    Some(End::new(
                        EndReason::MediaError,
                        "the media server reported an error on this session",
                    ))
                }
                Meaning::Ignore => None,
            },
            LinkNotice::RpcSessionLost {
                restarted: true,
                message,
            } => {
                tracing::warn!(%message, "the media server lost the session's objects");
                Some(End::new(
                    EndReason::MediaServerRestarted,
                    "the media server restarted; the session's media is gone",
                ))
            }
            // The link only gives up on its rpc session when it shuts down, which the gateway does last.
            LinkNotice::RpcSessionLost {
                restarted: false,
                message,
            } => {
                tracing::info!(%message, "the media server link closed");
                Some(End::new(
                    EndReason::Shutdown,
                    "the gateway is shutting down",
                ))
            }
        }
    }

    async fn on_command(&mut self, c: Command, objects: &Objects) -> Option<End> {
        self.last_touch = Instant::now();
        match c {
            Command::AddCandidate { candidate, reply } => {
                let r = self.accept_candidate(candidate, objects).await;
                let _ = reply.send(r);
                None
            }
            Command::Watch { reply } => {
                // Departed watchers first, so the cap counts only streams still open.
                self.watchers.prune();
                let max = self.shared.config.max_watchers;
                let r = if self.watchers.len() >= max {
                    Err(Error::Exhausted(format!(
                        "the session already has {max} StreamCandidates streams open"
                    )))
                } else {
                    Ok(self.watchers.subscribe())
                };
                let _ = reply.send(r);
                self.status.set_watchers(self.watchers.len());
                None
            }
            Command::RestartIce { offer, reply } => {
                let r = self.restart_ice(offer, objects).await;
                let _ = reply.send(r);
                None
            }
            Command::Stats { reply } => {
                let r = self.stats(&objects.endpoint).await;
                let _ = reply.send(r);
                None
            }
            Command::Stop { reply } => Some(End {
                reason: EndReason::Stopped,
                message: "stopped by a caller".into(),
                stop_reply: Some(reply),
            }),
        }
    }

    async fn accept_candidate(
        &mut self,
        c: pb::IceCandidate,
        objects: &Objects,
    ) -> Result<(), Error> {
        let c = convert::candidate_from_pb(&c);
        // End-of-candidates: Kurento has no call for it and ignores an empty candidate.
        if c.candidate.is_empty() {
            return Ok(());
        }
        let max = self.shared.config.max_candidates;
        if self.candidates_taken >= max {
            return Err(Error::Exhausted(format!(
                "more than {max} candidates for one session"
            )));
        }
        // Refused while the queue is full, a candidate costs nothing: the caller may send it again.
        if !self.ready && self.pending.len() >= self.shared.config.pending_candidates {
            return Err(Error::Exhausted(format!(
                "more than {} candidates queued before the endpoint was ready",
                self.shared.config.pending_candidates
            )));
        }
        self.candidates_taken += 1;
        // A refused address is dropped quietly (the caller's other candidates may well do), and counted.
        if let Err(why) =
            super::candidate_policy::check(&c.candidate, self.shared.config.candidate_networks)
        {
            self.shared.metrics.candidate_refused(why.label());
            tracing::debug!(
                reason = why.label(),
                "caller candidate kept from the media server"
            );
            return Ok(());
        }
        self.status.candidate_from_caller();
        if !self.ready {
            self.pending.push_back(c);
            return Ok(());
        }
        self.add_candidate(&objects.endpoint, &c).await
    }

    pub(super) async fn add_candidate(
        &self,
        endpoint: &ObjectId,
        c: &kurento::IceCandidate,
    ) -> Result<(), Error> {
        self.call(Method::invoke_op(
            endpoint,
            WebRtcEndpointOp::AddIceCandidate {
                candidate: c.clone(),
            },
        ))
        .await
        .map(drop)
    }

    fn on_tick(&mut self) -> Option<End> {
        let now = Instant::now();
        self.watchers.prune();
        self.status.set_watchers(self.watchers.len());
        if self.watchers.is_watched() {
            self.last_touch = now;
        } else if now.duration_since(self.last_touch) >= self.lease {
            return Some(End::new(
                EndReason::LeaseExpired,
                format!(
                    "nobody called or watched the session for {} ms",
                    self.lease.as_millis()
                ),
            ));
        }
        if let Some(since) = self.down_since {
            let grace = self.shared.config.link_lost_grace;
            if now.duration_since(since) >= grace {
                return Some(End::new(
                    EndReason::MediaServerLost,
                    format!(
                        "the media server was unreachable for {} ms",
                        grace.as_millis()
                    ),
                ));
            }
        }
        None
    }

    /// One `getStats` per media type, since KMS's entries do not say their kind (the IDL has no such
    /// field): the kind is the one asked for. Bounded by the link's call timeout, twice.
    async fn stats(&self, endpoint: &ObjectId) -> Result<Vec<pb::MediaStats>, Error> {
        let mut streams = Vec::new();
        for media_type in [MediaType::Audio, MediaType::Video] {
            let op = WebRtcEndpointOp::GetStats {
                media_type: Some(media_type),
            };
            let value = self.call(Method::invoke_op(endpoint, op)).await?;
            let report = StatsReport::from_value(&value, Some(media_type)).map_err(|e| {
                tracing::warn!(error = %e, "getStats answered with something else than a stats report");
                Error::from_kms(self.link.uri(), KmsError::Rpc(e))
            })?;
            streams.extend(convert::stats_to_pb(&report, media_type));
        }
        Ok(streams)
    }

    pub(super) async fn call(&self, m: Method) -> Result<Value, Error> {
        self.link
            .call(m)
            .await
            .map_err(|e| Error::from_kms(self.link.uri(), e))
    }
}
