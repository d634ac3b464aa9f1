//! Live counts of what the bridge holds open, shared between the server and whoever watches it (tests, metrics).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A cloneable handle on the bridge's counters. Clone it out of [`crate::Config`] before calling `run`.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sockets: AtomicUsize,
    sessions: AtomicUsize,
}

impl Counters {
    /// WebSockets on /helloworld that are open right now.
    pub fn open_sockets(&self) -> usize {
        self.inner.sockets.load(Ordering::SeqCst)
    }

    /// Gateway sessions the bridge has started and not yet stopped (including Starts still in flight).
    pub fn live_sessions(&self) -> usize {
        self.inner.sessions.load(Ordering::SeqCst)
    }

    pub(crate) fn socket_opened(&self) -> Guard {
        self.inner.sockets.fetch_add(1, Ordering::SeqCst);
        Guard {
            counters: self.clone(),
            which: Which::Socket,
        }
    }

    pub(crate) fn session_opened(&self) -> Guard {
        self.inner.sessions.fetch_add(1, Ordering::SeqCst);
        Guard {
            counters: self.clone(),
            which: Which::Session,
        }
    }
}

#[derive(Debug)]
enum Which {
    Socket,
    Session,
}

/// Decrements its counter when dropped, so every exit path (including a panic or a cancelled task) is counted.
#[derive(Debug)]
pub(crate) struct Guard {
    counters: Counters,
    which: Which,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let counter = match self.which {
            Which::Socket => &self.counters.inner.sockets,
            Which::Session => &self.counters.inner.sessions,
        };
        counter.fetch_sub(1, Ordering::SeqCst);
    }
}
