//! The media server links the gateway balances sessions over: one [`KmsLink`] task per media server.

use crate::kms::{KmsLink, LinkConfig, LinkState};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio_util::sync::CancellationToken;

pub struct Links {
    links: Vec<KmsLink>,
    next: AtomicUsize,
}

impl Links {
    /// Starts one link per URI; they stop when `shutdown` is cancelled.
    pub fn spawn(uris: &[String], config: &LinkConfig, shutdown: &CancellationToken) -> Self {
        let links = uris
            .iter()
            .map(|u| KmsLink::spawn(u.clone(), config.clone(), shutdown.clone()))
            .collect();
        Self {
            links,
            next: AtomicUsize::new(0),
        }
    }

    pub fn all(&self) -> &[KmsLink] {
        &self.links
    }

    /// The link for a new session: round robin over the links that are up. When none is, the next one in
    /// turn, so the caller gets that link's own, specific error (or its session, if it just came back).
    pub fn pick(&self) -> Option<KmsLink> {
        let n = self.links.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let up = (0..n)
            .map(|i| &self.links[(start + i) % n])
            .find(|l| matches!(*l.state().borrow(), LinkState::Up));
        up.or(self.links.get(start % n)).cloned()
    }
}
