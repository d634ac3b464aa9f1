//! What an operator sees of one session (SessionAdmin.ListSessions): a small snapshot the session's actor
//! keeps up to date as events and candidates pass, readable without asking the actor.

use media_proto::v1::{self as pb, SessionEvent, session_event::Event};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

#[derive(Debug)]
struct Inner {
    ice_state: pb::IceState,
    /// (direction, kind) → flowing, as the proto enums' numbers; ordered so listings are stable.
    flows: BTreeMap<(i32, i32), bool>,
    from_caller: u64,
    to_caller: u64,
    ready: bool,
    watchers: u32,
    /// Known once setup has created it; reconciliation skips pipelines live sessions hold.
    pipeline: Option<kurento::ObjectId>,
}

/// Shared between the actor (writer) and the registry's readers.
#[derive(Clone, Debug)]
pub(crate) struct Status {
    started: Instant,
    media_server: Arc<str>,
    inner: Arc<Mutex<Inner>>,
}

impl Status {
    pub(crate) fn new(media_server: &str) -> Self {
        Self {
            started: Instant::now(),
            media_server: media_server.into(),
            inner: Arc::new(Mutex::new(Inner {
                ice_state: pb::IceState::Unspecified,
                flows: BTreeMap::new(),
                from_caller: 0,
                to_caller: 0,
                ready: false,
                watchers: 0,
                pipeline: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update is a single field write, so a panicking holder cannot leave it inconsistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// Notes what `event` (about to reach the watchers) says about the session.
    pub(crate) fn observe(&self, event: &SessionEvent) {
        let mut s = self.lock();
        match &event.event {
            Some(Event::Candidate(_)) => s.to_caller += 1,
            Some(Event::IceState(i)) => {
                s.ice_state = pb::IceState::try_from(i.state).unwrap_or_default();
            }
            Some(Event::MediaFlow(f)) => {
                s.flows.insert((f.direction, f.kind), f.flowing);
            }
            _ => {}
        }
    }

    pub(crate) fn candidate_from_caller(&self) {
        self.lock().from_caller += 1;
    }

    pub(crate) fn set_ready(&self) {
        self.lock().ready = true;
    }

    pub(crate) fn set_pipeline(&self, pipeline: &kurento::ObjectId) {
        self.lock().pipeline = Some(pipeline.clone());
    }

    pub(crate) fn pipeline(&self) -> Option<kurento::ObjectId> {
        self.lock().pipeline.clone()
    }

    pub(crate) fn set_watchers(&self, n: usize) {
        self.lock().watchers = u32::try_from(n).unwrap_or(u32::MAX);
    }

    /// The operator's view of the session called `id`, as of now.
    pub(crate) fn summary(&self, id: &str) -> pb::SessionSummary {
        let s = self.lock();
        pb::SessionSummary {
            session_id: id.to_owned(),
            age_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            ice_state: s.ice_state as i32,
            media_flows: s
                .flows
                .iter()
                .map(|(&(direction, kind), &flowing)| pb::MediaFlowState {
                    direction,
                    kind,
                    flowing,
                })
                .collect(),
            media_server_uri: self.media_server.to_string(),
            candidates_from_caller: s.from_caller,
            candidates_to_caller: s.to_caller,
            ready: s.ready,
            watchers: s.watchers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use media_proto::v1::{IceCandidate, IceStateChanged, MediaFlowChanged};

    fn ev(e: Event) -> SessionEvent {
        SessionEvent { event: Some(e) }
    }

    #[test]
    fn events_update_the_summary() {
        let s = Status::new("ws://127.0.0.1:1/kurento");
        s.observe(&ev(Event::Candidate(IceCandidate::default())));
        s.observe(&ev(Event::IceState(IceStateChanged {
            state: pb::IceState::Connected as i32,
            ..Default::default()
        })));
        let flow = |flowing| {
            ev(Event::MediaFlow(MediaFlowChanged {
                direction: pb::FlowDirection::In as i32,
                kind: pb::MediaKind::Video as i32,
                flowing,
            }))
        };
        s.observe(&flow(true));
        s.observe(&flow(false));
        s.candidate_from_caller();
        let sum = s.summary("abc");
        assert_eq!(sum.ice_state, pb::IceState::Connected as i32);
        assert_eq!(sum.candidates_to_caller, 1);
        assert_eq!(sum.candidates_from_caller, 1);
        assert_eq!(sum.media_flows.len(), 1);
        assert!(!sum.media_flows[0].flowing);
        assert_eq!(sum.media_server_uri, "ws://127.0.0.1:1/kurento");
    }
}
