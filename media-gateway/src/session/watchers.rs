//! A session's event log and the StreamCandidates watchers it fans out to: replay on subscribe, bounded
//! queues, and a slow or departed watcher is dropped instead of ever blocking the session.

use media_proto::v1::SessionEvent;
use media_proto::v1::session_event::Event;
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;
use tonic::Status;

/// The stream handed to a StreamCandidates caller. Its queue holds the events boxed: the queue allocates
/// its slots in blocks of 32 for the stream's life (the session's, typically), so a slot is a pointer.
pub(crate) struct WatchStream(mpsc::Receiver<Box<SessionEvent>>);

impl tokio_stream::Stream for WatchStream {
    type Item = Result<SessionEvent, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|event| event.map(|e| Ok(*e)))
    }
}

/// Extra room in each watcher's queue beyond a full replay, for events that follow it.
const HEADROOM: usize = 64;

pub(crate) struct Watchers {
    log: VecDeque<SessionEvent>,
    log_capacity: usize,
    /// Events dropped from the front of the log; a late watcher misses them.
    forgotten: u64,
    list: Vec<mpsc::Sender<Box<SessionEvent>>>,
}

impl Watchers {
    pub(crate) fn new(log_capacity: usize) -> Self {
        Self {
            log: VecDeque::new(),
            log_capacity: log_capacity.max(1),
            forgotten: 0,
            list: Vec::new(),
        }
    }

    /// A new watcher: it first gets everything in the log, then what follows.
    pub(crate) fn subscribe(&mut self) -> WatchStream {
        // Sized so the replay always fits and one slot stays free for the final SessionEnded.
        let (tx, rx) = mpsc::channel(self.log_capacity + HEADROOM);
        if self.forgotten > 0 {
            tracing::debug!(
                forgotten = self.forgotten,
                "replay misses the oldest events"
            );
        }
        for e in &self.log {
            // Cannot fail: the queue is larger than the log and nobody has read from it yet.
            let _ = tx.try_send(Box::new(e.clone()));
        }
        self.list.push(tx);
        WatchStream(rx)
    }

    /// Records `event` and hands it to every watcher.
    pub(crate) fn publish(&mut self, event: SessionEvent) {
        if self.log.len() == self.log_capacity {
            self.log.pop_front();
            self.forgotten += 1;
        }
        self.log.push_back(event.clone());
        self.list.retain(|tx| {
            // Keep the last slot for SessionEnded: a watcher that far behind is dropped, and may reconnect
            // to get the replay.
            if tx.capacity() <= 1 {
                tracing::warn!("dropping a StreamCandidates watcher that stopped reading");
                return false;
            }
            tx.try_send(Box::new(event.clone())).is_ok()
        });
    }

    /// An ICE restart was answered: the server candidates and GatheringDone logged so far belong to
    /// the old ICE credentials, so a watcher that subscribes from now on does not replay them (the new
    /// ones follow). Watchers already open got them and get the new ones too.
    pub(crate) fn restart_ice(&mut self) {
        let before = self.log.len();
        self.log
            .retain(|e| !matches!(e.event, Some(Event::Candidate(_) | Event::GatheringDone(_))));
        tracing::debug!(
            dropped = before - self.log.len(),
            "ICE restarted: old candidates leave the replay"
        );
    }

    /// Forgets watchers whose stream was closed by the caller.
    pub(crate) fn prune(&mut self) {
        self.list.retain(|tx| !tx.is_closed());
    }

    /// Watchers still listed (after [`prune`](Self::prune), those still reading).
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether someone is watching (after [`prune`](Self::prune)).
    pub(crate) fn is_watched(&self) -> bool {
        !self.list.is_empty()
    }

    /// Sends the final event to every watcher and ends their streams.
    pub(crate) fn finish(&mut self, ended: SessionEvent) {
        for tx in self.list.drain(..) {
            let _ = tx.try_send(Box::new(ended.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::convert::ended;
    use media_proto::v1::{EndReason, GatheringDone, IceCandidate, IceStateChanged};
    use tokio_stream::StreamExt;

    fn done() -> SessionEvent {
        SessionEvent {
            event: Some(Event::GatheringDone(GatheringDone {})),
        }
    }

    #[tokio::test]
    async fn late_watchers_get_the_replay_then_the_end() {
        let mut w = Watchers::new(2);
        w.publish(done());
        w.publish(done());
        w.publish(done());
        let mut s = w.subscribe();
        w.finish(ended(EndReason::Stopped, "bye"));
        let mut got = Vec::new();
        while let Some(Ok(e)) = s.next().await {
            got.push(e);
        }
        assert_eq!(got, [done(), done(), ended(EndReason::Stopped, "bye")]);
    }

    #[tokio::test]
    async fn an_ice_restart_drops_old_candidates_from_the_replay() {
        let candidate = |c: &str| SessionEvent {
            event: Some(Event::Candidate(IceCandidate {
                candidate: c.into(),
                ..IceCandidate::default()
            })),
        };
        let state = SessionEvent {
            event: Some(Event::IceState(IceStateChanged::default())),
        };
        let mut w = Watchers::new(16);
        w.publish(candidate("old"));
        w.publish(done());
        w.publish(state.clone());
        w.restart_ice();
        w.publish(candidate("new"));
        w.publish(done());
        let mut s = w.subscribe();
        w.finish(ended(EndReason::Stopped, "bye"));
        let mut got = Vec::new();
        while let Some(Ok(e)) = s.next().await {
            got.push(e);
        }
        assert_eq!(
            got,
            [
                state,
                candidate("new"),
                done(),
                ended(EndReason::Stopped, "bye")
            ]
        );
    }

    #[tokio::test]
    async fn closed_watchers_are_pruned() {
        let mut w = Watchers::new(4);
        let s = w.subscribe();
        assert!(w.is_watched());
        drop(s);
        w.prune();
        assert!(!w.is_watched());
    }
}
