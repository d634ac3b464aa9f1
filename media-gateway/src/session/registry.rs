//! The live sessions by id, the session limit, and the tombstones that make Stop idempotent.

use crate::error::Error;
use crate::session::SessionHandle;
use kurento::ObjectId;
use media_proto::v1::SessionSummary;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// What an id refers to.
pub(crate) enum Lookup {
    Live(SessionHandle),
    /// Ended recently: Stop succeeds with `released = false`.
    Ended,
    /// Never issued, or ended so long ago that it was forgotten.
    Unknown,
}

pub(crate) struct Registry {
    inner: Mutex<Inner>,
    max_sessions: usize,
    retention: Duration,
    tombstone_capacity: usize,
}

#[derive(Default)]
struct Inner {
    live: HashMap<String, SessionHandle>,
    tombstones: HashMap<String, Instant>,
    /// Tombstones oldest first, to forget them by age or by count.
    order: VecDeque<(String, Instant)>,
}

impl Registry {
    pub(crate) fn new(max_sessions: usize, retention: Duration, tombstone_capacity: usize) -> Self {
        Self {
            inner: Mutex::default(),
            max_sessions,
            retention,
            tombstone_capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The map stays consistent even if a holder panicked: every update is a single insert or remove.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a session unless the limit is reached.
    pub(crate) fn insert(&self, id: &str, handle: SessionHandle) -> Result<(), Error> {
        let mut inner = self.lock();
        if inner.live.len() >= self.max_sessions {
            return Err(Error::Exhausted(format!(
                "the gateway already runs its limit of {} sessions; stop one or try later",
                self.max_sessions
            )));
        }
        inner.live.insert(id.to_owned(), handle);
        Ok(())
    }

    pub(crate) fn lookup(&self, id: &str) -> Lookup {
        let mut inner = self.lock();
        self.forget_old(&mut inner, Instant::now());
        if let Some(h) = inner.live.get(id) {
            return Lookup::Live(h.clone());
        }
        if inner.tombstones.contains_key(id) {
            return Lookup::Ended;
        }
        Lookup::Unknown
    }

    /// Called by the session itself as it ends: from now on the id is a tombstone.
    pub(crate) fn end(&self, id: &str) {
        let mut inner = self.lock();
        let now = Instant::now();
        if inner.live.remove(id).is_some() {
            inner.tombstones.insert(id.to_owned(), now);
            inner.order.push_back((id.to_owned(), now));
        }
        self.forget_old(&mut inner, now);
    }

    /// What operators see of every live session, oldest first.
    pub(crate) fn summaries(&self) -> Vec<SessionSummary> {
        let mut live: Vec<(String, SessionHandle)> = self
            .lock()
            .live
            .iter()
            .map(|(id, h)| (id.clone(), h.clone()))
            .collect();
        // Summaries take each session's own lock: not while holding the registry's.
        live.sort_by_key(|(_, h)| h.status().started());
        live.iter().map(|(id, h)| h.status().summary(id)).collect()
    }

    /// Whether `id` is a live session (one still starting included).
    pub(crate) fn is_live(&self, id: &str) -> bool {
        self.lock().live.contains_key(id)
    }

    /// The pipelines live sessions hold (those still starting have none yet).
    pub(crate) fn live_pipelines(&self) -> HashSet<ObjectId> {
        let handles: Vec<SessionHandle> = self.lock().live.values().cloned().collect();
        // Each status has its own lock: not taken while holding the registry's.
        handles
            .iter()
            .filter_map(|h| h.status().pipeline())
            .collect()
    }

    /// Live sessions (including those still starting).
    pub(crate) fn len(&self) -> usize {
        self.lock().live.len()
    }

    fn forget_old(&self, inner: &mut Inner, now: Instant) {
        while let Some((id, at)) = inner.order.front() {
            let expired = now.duration_since(*at) >= self.retention;
            if !expired && inner.order.len() <= self.tombstone_capacity {
                break;
            }
            inner.tombstones.remove(id);
            inner.order.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionHandle;

    #[test]
    fn ended_ids_are_remembered_within_bounds() {
        let r = Registry::new(2, Duration::from_secs(60), 1);
        r.insert("a", SessionHandle::detached()).unwrap();
        r.insert("b", SessionHandle::detached()).unwrap();
        assert!(matches!(
            r.insert("c", SessionHandle::detached()),
            Err(Error::Exhausted(_))
        ));
        r.end("a");
        assert!(matches!(r.lookup("a"), Lookup::Ended));
        assert!(matches!(r.lookup("b"), Lookup::Live(_)));
        assert!(matches!(r.lookup("zz"), Lookup::Unknown));
        r.end("b");
        // Capacity 1: the older tombstone is forgotten.
        assert!(matches!(r.lookup("a"), Lookup::Unknown));
        assert!(matches!(r.lookup("b"), Lookup::Ended));
        assert_eq!(r.len(), 0);
    }
}
