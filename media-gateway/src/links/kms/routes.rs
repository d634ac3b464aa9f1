//! Who gets the events of which object: a table shared by the handles (which register) and the link task
//! (which delivers with `try_send`, so a slow sink never stalls the link).

use super::error::LinkNotice;
use kurento::{Event, ObjectId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use tokio::sync::mpsc::{Sender, error::TrySendError};
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub(super) struct Routes {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_key: u64,
    by_object: HashMap<ObjectId, Vec<(u64, Sender<LinkNotice>)>>,
}

/// Keeps events of one object flowing to a sink; dropping it (or `unregister`) stops them.
#[must_use = "events stop when the Registration is dropped"]
pub struct Registration {
    routes: Weak<Routes>,
    object: ObjectId,
    key: u64,
}

impl Registration {
    /// The Kurento object id whose events this registration routes.
    pub fn object(&self) -> &ObjectId {
        &self.object
    }

    /// Stops the events now (the same as dropping it).
    pub fn unregister(self) {}
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(routes) = self.routes.upgrade() {
            routes.remove(&self.object, self.key);
        }
    }
}

impl Routes {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves the table consistent (every edit is one call).
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn add(
        self: &Arc<Self>,
        object: ObjectId,
        sink: Sender<LinkNotice>,
    ) -> Registration {
        let mut inner = self.lock();
        let key = inner.next_key;
        inner.next_key += 1;
        inner
            .by_object
            .entry(object.clone())
            .or_default()
            .push((key, sink));
        Registration {
            routes: Arc::downgrade(self),
            object,
            key,
        }
    }

    fn remove(&self, object: &ObjectId, key: u64) {
        let mut inner = self.lock();
        if let Some(sinks) = inner.by_object.get_mut(object) {
            sinks.retain(|(k, _)| *k != key);
            if sinks.is_empty() {
                inner.by_object.remove(object);
            }
        }
    }

    /// Delivers to the sinks of exactly `event.object`; a full sink loses this event (logged).
    pub(super) fn dispatch(&self, uri: &str, event: Event) {
        let sinks: Vec<Sender<LinkNotice>> = match self.lock().by_object.get(event.object.as_str())
        {
            Some(s) => s.iter().map(|(_, tx)| tx.clone()).collect(),
            None => {
                tracing::debug!(uri, object = %event.object, kind = event.data.event_type(), "event for an object nobody watches");
                return;
            }
        };
        for tx in sinks {
            match tx.try_send(LinkNotice::Event(Box::new(event.clone()))) {
                Ok(()) | Err(TrySendError::Closed(_)) => {}
                Err(TrySendError::Full(_)) => tracing::warn!(
                    uri, object = %event.object, kind = event.data.event_type(),
                    "event dropped: the sink is full"
                ),
            }
        }
    }

    /// Tells every sink, once per channel, that the rpc session is gone. This notice is never dropped: a full
    /// sink gets it from a small task that waits for room (until the sink closes or the link shuts down).
    pub(super) fn broadcast_lost(
        &self,
        restarted: bool,
        message: &str,
        shutdown: &CancellationToken,
    ) {
        let mut sinks: Vec<Sender<LinkNotice>> = Vec::new();
        for (_, tx) in self.lock().by_object.values().flatten() {
            if !sinks.iter().any(|s| s.same_channel(tx)) {
                sinks.push(tx.clone());
            }
        }
        for tx in sinks {
            let notice = LinkNotice::RpcSessionLost {
                restarted,
                message: message.to_owned(),
            };
            if let Err(TrySendError::Full(notice)) = tx.try_send(notice) {
                let shutdown = shutdown.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = tx.send(notice) => {}
                        () = shutdown.cancelled() => {}
                    }
                });
            }
        }
    }
}
