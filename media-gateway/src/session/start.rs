//! Opening a session: registers it, spawns its actor, and waits (bounded) for the actor's answer.

use super::SessionHandle;
use super::actor::Actor;
use super::shared::Shared;
use super::status::Status;
use super::watchers::Watchers;
use crate::error::Error;
use crate::links::Placement;
use media_proto::v1 as pb;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::Instrument;

/// Link notices a session's queue holds; the link decides what to do when it is full.
const NOTICE_QUEUE: usize = 256;

/// Opens a session at `placement`: returns once the offer is negotiated and gathering started (or, with
/// `wait_for_candidates`, once gathering is done). If the caller goes away or the deadline passes first,
/// the session releases whatever it created.
pub(crate) async fn start(
    shared: Arc<Shared>,
    placement: Placement,
    offer: String,
    wait: bool,
) -> Result<pb::StartResponse, Error> {
    let id = super::ids::session_id();
    let link = placement.link.clone();
    let status = Status::new(link.uri());
    let (handle, commands) = SessionHandle::new(id.clone(), status.clone());
    shared.registry.insert(&id, handle)?;
    let (reply, answer) = oneshot::channel();
    let (sink, notices) = mpsc::channel(NOTICE_QUEUE);
    let states = link.state();
    let lease = shared.config.lease;
    let actor = Box::new(Actor {
        id: id.clone(),
        link,
        placement,
        status,
        shared: shared.clone(),
        commands,
        notices,
        sink,
        states,
        registrations: Vec::new(),
        watchers: Watchers::new(shared.config.event_log_capacity),
        pending: VecDeque::new(),
        ready: false,
        candidates_taken: 0,
        last_touch: Instant::now(),
        down_since: None,
        lease,
        remote_ufrag: None,
    });
    // A spawned task, not this future: tonic drops this future when the caller cancels, and the actor must
    // still release what it created.
    // Every line the session logs carries its id, the same `session_id` field the web bridge logs.
    let span = tracing::info_span!("session", session_id = %id, media_server = %actor.link.uri());
    shared
        .tracker
        .spawn(actor.run(offer, wait, reply).instrument(span));
    let deadline = shared.config.start_timeout;
    match tokio::time::timeout(deadline, answer).await {
        Ok(Ok(Ok(started))) => Ok(pb::StartResponse {
            session_id: id,
            sdp_answer: started.answer,
            capabilities: Some(started.capabilities),
        }),
        Ok(Ok(Err(e))) => Err(e),
        Ok(Err(_)) => Err(Error::Unavailable(
            "the session ended while starting".into(),
        )),
        // Dropping `answer` tells the actor nobody waits any more; it releases on its own.
        Err(_) => Err(Error::Timeout(format!(
            "Start took longer than {} ms",
            deadline.as_millis()
        ))),
    }
}
