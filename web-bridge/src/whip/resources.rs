//! The bounded table of WHIP resources: resource id → the gateway session behind it, its ETag, and the
//! offer's mids and ufrag.
//!
//! The resource id in `Location` is 128 random bits of its own, never the gateway's session id: the session
//! id is a bearer capability on the gRPC API (StreamCandidates, Stop), and a WHIP URL travels through logs,
//! proxies and client code that should hold no more than the right to PATCH and DELETE that one resource
//! (through this bridge, with its token). A slot is reserved before Start is sent, so at most
//! `whip_max_resources` Starts and resources exist at once, and it is given back (with the entry) when the
//! task holding it ends, on every path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand::RngCore as _;
use tokio::sync::oneshot;

use crate::gateway::client::CallError;
use crate::ops::counters::Counters;
use crate::whip::offer::Offer;

/// How DELETE asks the resource's task to stop its session, and learns Stop's outcome.
pub(crate) type StopRequest = oneshot::Sender<Result<(), CallError>>;

/// What PATCH needs to know about a resource.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    pub(crate) session_id: String,
    /// Quoted, as sent in the ETag header; one per ICE session: an ICE restart gets a new one.
    pub(crate) etag: String,
    /// The offer's mids, and the ufrag of the current ICE session.
    pub(crate) offer: Offer,
    /// The client's offer as POSTed: an ICE restart is this SDP with the new credentials, since a
    /// WHIP client sends only a fragment and RestartIce wants a whole offer.
    pub(crate) sdp: Arc<str>,
    /// The session's media server can restart ICE (`StartResponse.capabilities.ice_restart`).
    pub(crate) ice_restart: bool,
}

#[derive(Debug)]
struct Entry {
    resource: Resource,
    stop: oneshot::Sender<StopRequest>,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Slots held: Starts in flight plus live resources.
    reserved: usize,
}

/// The table; shared by the routes and every resource's task.
#[derive(Debug)]
pub(crate) struct Resources {
    state: Mutex<State>,
    max: usize,
    counters: Counters,
}

impl Resources {
    pub(crate) fn new(max: usize, counters: Counters) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::default(),
            max,
            counters,
        })
    }

    /// A slot for one more resource, or `None` at `max`.
    pub(crate) fn reserve(self: &Arc<Self>) -> Option<Slot> {
        let mut state = self.lock();
        if state.reserved >= self.max {
            return None;
        }
        state.reserved += 1;
        Some(Slot {
            table: Arc::clone(self),
            id: None,
        })
    }

    /// The resource `id`, if it is live.
    pub(crate) fn get(&self, id: &str) -> Option<Resource> {
        self.lock().entries.get(id).map(|e| e.resource.clone())
    }

    /// Records an ICE restart of `id`: its new ETag and ufrag. False if it is gone meanwhile.
    pub(crate) fn restarted(&self, id: &str, etag: String, ufrag: Option<String>) -> bool {
        let mut state = self.lock();
        let Some(entry) = state.entries.get_mut(id) else {
            return false;
        };
        entry.resource.etag = etag;
        entry.resource.offer.ufrag = ufrag;
        true
    }

    /// Takes `id` out of the table (so a second DELETE finds nothing) and hands back the way to stop it.
    pub(crate) fn take(&self, id: &str) -> Option<oneshot::Sender<StopRequest>> {
        let entry = self.lock().entries.remove(id)?;
        self.counters.metrics.whip_resources_open.dec();
        Some(entry.stop)
    }

    /// Resources live now (Starts in flight not included).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// A poisoned lock only means another thread panicked between two plain field updates, which leave the
    /// table consistent: keep serving.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One reserved place in the table, owned by a resource's task. Dropping it removes the resource (if it is
/// still listed) and frees the place, whichever way the task ended.
#[derive(Debug)]
pub(crate) struct Slot {
    table: Arc<Resources>,
    id: Option<String>,
}

impl Slot {
    /// Lists the resource under a fresh id and returns the id and the receiver DELETE's stop request
    /// arrives on.
    pub(crate) fn publish(
        &mut self,
        resource: Resource,
    ) -> (String, oneshot::Receiver<StopRequest>) {
        let (stop, stopped) = oneshot::channel();
        let id = random_hex::<16>();
        let mut state = self.table.lock();
        state.entries.insert(id.clone(), Entry { resource, stop });
        drop(state);
        self.table.counters.metrics.whip_resources_open.inc();
        self.id = Some(id.clone());
        (id, stopped)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            // Already gone when DELETE took it; `take` counted that.
            let _ = self.table.take(&id);
        }
        let mut state = self.table.lock();
        state.reserved = state.reserved.saturating_sub(1);
    }
}

/// `N` random bytes as lowercase hex: 16 make an unguessable id.
pub(crate) fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh ETag: quoted, random, so a client cannot predict the next ICE session's.
pub(crate) fn new_etag() -> String {
    format!("\"{}\"", random_hex::<8>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource() -> Resource {
        Resource {
            session_id: "s".into(),
            etag: new_etag(),
            offer: Offer::default(),
            sdp: Arc::from("v=0\r\n"),
            ice_restart: true,
        }
    }

    #[test]
    fn slots_are_bounded_and_given_back_on_drop() {
        let table = Resources::new(2, Counters::default());
        let mut a = table.reserve().unwrap();
        let b = table.reserve().unwrap();
        assert!(table.reserve().is_none(), "a third slot past max 2");
        let (id, _stopped) = a.publish(resource());
        assert_eq!(id.len(), 32);
        assert!(table.get(&id).is_some());
        assert_eq!(table.len(), 1);
        drop(a);
        assert!(
            table.get(&id).is_none(),
            "dropping the slot unlists its resource"
        );
        assert_eq!(table.len(), 0);
        drop(b);
        assert!(table.reserve().is_some());
        assert_eq!(table.counters.metrics.whip_resources_open.get(), 0);
    }

    #[test]
    fn a_restart_replaces_the_etag_and_ufrag() {
        let table = Resources::new(1, Counters::default());
        let mut slot = table.reserve().unwrap();
        let (id, _stopped) = slot.publish(resource());
        let before = table.get(&id).unwrap().etag;
        assert!(table.restarted(&id, new_etag(), Some("new".into())));
        let after = table.get(&id).unwrap();
        assert_ne!(after.etag, before);
        assert_eq!(after.offer.ufrag.as_deref(), Some("new"));
        assert!(!table.restarted("gone", new_etag(), None));
    }

    #[test]
    fn take_removes_once() {
        let table = Resources::new(1, Counters::default());
        let mut slot = table.reserve().unwrap();
        let (id, _stopped) = slot.publish(resource());
        assert!(table.take(&id).is_some());
        assert!(table.take(&id).is_none());
        drop(slot);
        assert_eq!(table.counters.metrics.whip_resources_open.get(), 0);
        assert_ne!(random_hex::<16>(), random_hex::<16>());
    }
}
