//! Sessions: one actor task per session owns its Kurento objects; the rest of the gateway holds cloneable
//! handles that send it commands.

mod actor;
mod candidate_policy;
mod convert;
mod events;
mod finish;
pub(crate) mod ids;
pub(crate) mod registry;
mod restart;
mod setup;
mod shared;
mod start;
mod status;
pub(crate) mod watchers;

use crate::error::Error;
use media_proto::v1 as pb;
use status::Status;
use tokio::sync::{mpsc, oneshot};
use watchers::WatchStream;

pub(crate) use shared::Shared;
pub(crate) use start::start;

/// Commands a session's queue holds at most; senders wait for room (backpressure, never loss).
const COMMAND_QUEUE: usize = 64;

/// What callers ask of a running session. The queue holds them boxed: it allocates its slots in blocks
/// of 32 for the session's life, so a slot is a pointer, and a command is allocated only while it waits.
pub(crate) enum Command {
    AddCandidate {
        candidate: pb::IceCandidate,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Watch {
        reply: oneshot::Sender<Result<WatchStream, Error>>,
    },
    /// Answered with whether this call ended the session.
    Stop { reply: oneshot::Sender<bool> },
    /// Renegotiates ICE with a new offer; answered with the media server's SDP answer.
    RestartIce {
        offer: String,
        reply: oneshot::Sender<Result<String, Error>>,
    },
    /// Asks the media server for the endpoint's stats.
    Stats {
        reply: oneshot::Sender<Result<Vec<pb::MediaStats>, Error>>,
    },
}

/// A cloneable handle on one session's actor.
#[derive(Clone)]
pub(crate) struct SessionHandle {
    id: String,
    tx: mpsc::Sender<Box<Command>>,
    status: Status,
}

impl SessionHandle {
    fn new(id: String, status: Status) -> (Self, mpsc::Receiver<Box<Command>>) {
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        (Self { id, tx, status }, rx)
    }

    /// A handle whose session is already gone (for tests of the registry).
    #[cfg(test)]
    pub(crate) fn detached() -> Self {
        Self::new(String::new(), Status::new("")).0
    }

    /// What operators see of the session (read without asking its actor).
    pub(crate) fn status(&self) -> &Status {
        &self.status
    }

    fn gone(&self) -> Error {
        Error::SessionNotFound(self.id.clone())
    }

    /// Queues or forwards one of the caller's candidates.
    pub(crate) async fn add_candidate(&self, candidate: pb::IceCandidate) -> Result<(), Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Box::new(Command::AddCandidate { candidate, reply }))
            .await
            .map_err(|_| self.gone())?;
        rx.await.map_err(|_| self.gone())?
    }

    /// A stream of the session's events, starting with a replay of those it produced so far.
    pub(crate) async fn watch(&self) -> Result<WatchStream, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Box::new(Command::Watch { reply }))
            .await
            .map_err(|_| self.gone())?;
        rx.await.map_err(|_| self.gone())?
    }

    /// The media server's stats of the session's streams (KMS `getStats`), asked for now.
    pub(crate) async fn stats(&self) -> Result<Vec<pb::MediaStats>, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Box::new(Command::Stats { reply }))
            .await
            .map_err(|_| self.gone())?;
        rx.await.map_err(|_| self.gone())?
    }

    /// Restarts ICE on the session's endpoint with `offer` (new ICE credentials); the answer.
    pub(crate) async fn restart_ice(&self, offer: String) -> Result<String, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Box::new(Command::RestartIce { offer, reply }))
            .await
            .map_err(|_| self.gone())?;
        rx.await.map_err(|_| self.gone())?
    }

    /// Ends the session; `true` when this call ended it, `false` when it had already ended.
    pub(crate) async fn stop(&self) -> bool {
        let (reply, rx) = oneshot::channel();
        if self
            .tx
            .send(Box::new(Command::Stop { reply }))
            .await
            .is_err()
        {
            return false;
        }
        rx.await.unwrap_or(false)
    }
}
