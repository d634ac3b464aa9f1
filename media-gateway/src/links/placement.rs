//! The media server links the gateway places sessions on: one [`KmsLink`] task per media server, and how
//! many live sessions each holds, so a new session goes to the least-loaded link that is up.

use super::kms::{KmsLink, LinkConfig, LinkState};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio_util::sync::CancellationToken;

struct Slot {
    link: KmsLink,
    sessions: Arc<AtomicUsize>,
}

pub(crate) struct Links {
    slots: Vec<Slot>,
    /// Where ties start, so equally loaded servers take turns instead of the first one taking all.
    next: AtomicUsize,
}

/// A session's place on one link; it counts towards that link's load until dropped.
pub(crate) struct Placement {
    pub(crate) link: KmsLink,
    _load: Load,
}

struct Load(Arc<AtomicUsize>);

impl Load {
    fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter.clone())
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Links {
    /// Starts one link per URI; they stop when `shutdown` is cancelled.
    pub(crate) fn spawn(
        uris: &[String],
        config: &LinkConfig,
        shutdown: &CancellationToken,
    ) -> Self {
        let slots = uris
            .iter()
            .map(|u| Slot {
                link: KmsLink::spawn(u.clone(), config.clone(), shutdown.clone()),
                sessions: Arc::default(),
            })
            .collect();
        Self {
            slots,
            next: AtomicUsize::new(0),
        }
    }

    pub(crate) fn all(&self) -> Vec<KmsLink> {
        self.slots.iter().map(|s| s.link.clone()).collect()
    }

    /// Every link with the sessions it holds now.
    pub(crate) fn loads(&self) -> impl Iterator<Item = (&KmsLink, usize)> {
        self.slots
            .iter()
            .map(|s| (&s.link, s.sessions.load(Ordering::Relaxed)))
    }

    /// Whether any link is up (the gateway can take sessions).
    pub(crate) fn any_up(&self) -> bool {
        self.slots
            .iter()
            .any(|s| matches!(*s.link.state().borrow(), LinkState::Up))
    }

    /// The place for a new session: the link that is up and holds the fewest sessions (ties take turns).
    /// When none is up, the next one in turn, so the caller gets that link's own, specific error (or its
    /// session, if the link just came back).
    pub(crate) fn pick(&self) -> Option<Placement> {
        let n = self.slots.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let rotated = (0..n).map(|i| &self.slots[(start + i) % n]);
        let best = rotated
            .filter(|s| matches!(*s.link.state().borrow(), LinkState::Up))
            .min_by_key(|s| s.sessions.load(Ordering::Relaxed));
        let slot = best.or(self.slots.get(start % n))?;
        Some(Placement {
            link: slot.link.clone(),
            _load: Load::new(&slot.sessions),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placement_counts_until_dropped() {
        let counter = Arc::new(AtomicUsize::new(0));
        let a = Load::new(&counter);
        let b = Load::new(&counter);
        assert_eq!(counter.load(Ordering::Relaxed), 2);
        drop(a);
        drop(b);
        assert_eq!(counter.load(Ordering::Relaxed), 0);
    }
}
