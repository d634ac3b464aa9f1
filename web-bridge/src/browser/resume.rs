//! Re-attach: a page whose WebSocket dropped reconnects and carries on with the same session.
//!
//! With its `startResponse` the page gets a resumption token: 256 random bits, naming that one call and nothing
//! else. When the socket drops without a `stop` (the browser's network changed, a proxy cut it, the bridge found
//! it silent), its call is parked here instead of stopped, with everything the gateway sends meanwhile queued in
//! the call (bounded). A socket that presents the token within the grace period takes the call over and gets a
//! fresh token: each token works once. After the grace, the call is stopped as if its socket had just closed.
//!
//! A page can reconnect before the bridge has seen its old socket drop: a network change leaves a half-open TCP
//! connection that only the pong timeout finds. So a token also names a call still attached to a socket, and
//! claiming it asks that socket to hand the call over (and then close).
//!
//! Owners: an attached call belongs to its socket task, whose [`Attached`] guard unlists it on every way out;
//! a parked call belongs to the table and to the one expiry task that stops it, which a claim aborts.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::browser::call::Call;
use crate::ops::counters::Counters;

/// Where a socket asked to give up its call sends it.
pub(crate) type Handover = oneshot::Sender<Box<Call>>;

/// The table of resumable calls, attached and parked.
pub(crate) struct Resumption {
    grace: Duration,
    max_parked: usize,
    counters: Counters,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    /// By token. Tokens are random and used once, so an entry is never confused with a later one.
    entries: HashMap<String, Entry>,
    parked: usize,
}

enum Entry {
    /// Held by a live socket, which hands the call over when asked through `takeover`.
    Attached { takeover: oneshot::Sender<Handover> },
    /// Its socket is gone; `expiry` stops the call when the grace is over, unless a claim aborts it first.
    Parked {
        call: Box<Call>,
        expiry: AbortHandle,
    },
}

/// Why a claim found no call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unclaimed {
    /// No call is listed under the token: it ended, its grace passed, it was resumed already, or the token was
    /// never issued.
    Unknown,
    /// The socket holding the call did not hand it over in time; the call has been stopped.
    NotHandedOver,
}

impl Resumption {
    pub(crate) fn new(grace: Duration, max_parked: usize, counters: Counters) -> Arc<Self> {
        Arc::new(Self {
            grace,
            max_parked,
            counters,
            table: Mutex::new(Table::default()),
        })
    }

    /// How long a parked call waits for its page.
    pub(crate) fn grace(&self) -> Duration {
        self.grace
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lists a socket's new call under a fresh token; `None` when re-attach is off (zero grace).
    pub(crate) fn attach(self: &Arc<Self>) -> Option<Attached> {
        if self.grace.is_zero() {
            return None;
        }
        let token = crate::whip::resources::random_hex::<32>();
        let (takeover, taken) = oneshot::channel();
        self.lock()
            .entries
            .insert(token.clone(), Entry::Attached { takeover });
        Some(Attached {
            table: Arc::clone(self),
            token,
            taken,
        })
    }

    /// Parks a call whose socket dropped, for the grace period. The call comes back when it cannot be parked
    /// (too many parked already): its owner then stops it, as without re-attach.
    pub(crate) fn park(
        self: &Arc<Self>,
        mut attached: Attached,
        call: Box<Call>,
        tasks: &TaskTracker,
        shutdown: &CancellationToken,
    ) -> Result<(), Box<Call>> {
        let token = std::mem::take(&mut attached.token);
        let mut table = self.lock();
        if !matches!(table.entries.get(&token), Some(Entry::Attached { .. })) {
            // Claimed while this socket was on its way out: the claim sent its handover under the lock, so it
            // is already here.
            drop(table);
            return match attached.taken.try_recv() {
                Ok(handover) => handover.send(call),
                Err(_) => Err(call),
            };
        }
        if table.parked >= self.max_parked {
            table.entries.remove(&token);
            drop(table);
            self.counters.resume_outcome("refused_full");
            return Err(call);
        }
        // Spawned under the lock, so the expiry cannot look for the entry before it is listed.
        let expiry = {
            let table = Arc::clone(self);
            let token = token.clone();
            let shutdown = shutdown.clone();
            let grace = self.grace;
            tasks.spawn(async move {
                tokio::select! {
                    () = tokio::time::sleep(grace) => {}
                    () = shutdown.cancelled() => {}
                }
                if let Some(call) = table.expire(&token) {
                    tracing::info!(
                        "the page did not come back within the resume grace; stopping its call"
                    );
                    call.stop().await;
                }
            })
        };
        table.entries.insert(
            token,
            Entry::Parked {
                call,
                expiry: expiry.abort_handle(),
            },
        );
        table.parked += 1;
        drop(table);
        self.counters.metrics.calls_parked.inc();
        Ok(())
    }

    /// Takes the call listed under `token`: a parked one at once, an attached one from its socket, which has
    /// `wait` to hand it over (it may be in the middle of a bounded send).
    pub(crate) async fn claim(&self, token: &str, wait: Duration) -> Result<Box<Call>, Unclaimed> {
        let asked = {
            let mut table = self.lock();
            match table.entries.remove(token) {
                None => None,
                Some(Entry::Parked { call, expiry }) => {
                    expiry.abort();
                    table.parked -= 1;
                    drop(table);
                    self.counters.metrics.calls_parked.dec();
                    self.counters.resume_outcome("resumed");
                    return Ok(call);
                }
                Some(Entry::Attached { takeover }) => {
                    // Sent under the lock: see `park`.
                    let (handover, handed) = oneshot::channel();
                    takeover.send(handover).ok().map(|()| handed)
                }
            }
        };
        let Some(handed) = asked else {
            self.counters.resume_outcome("unknown_token");
            return Err(Unclaimed::Unknown);
        };
        match tokio::time::timeout(wait, handed).await {
            Ok(Ok(call)) => {
                self.counters.resume_outcome("taken_over");
                Ok(call)
            }
            // The old socket stops the call itself when nobody takes it.
            _ => {
                self.counters.resume_outcome("not_handed_over");
                Err(Unclaimed::NotHandedOver)
            }
        }
    }

    /// Unlists a parked call whose grace is over (or that the drain ends); `None` when it was claimed first.
    fn expire(&self, token: &str) -> Option<Box<Call>> {
        let mut table = self.lock();
        if !matches!(table.entries.get(token), Some(Entry::Parked { .. })) {
            return None;
        }
        let Some(Entry::Parked { call, .. }) = table.entries.remove(token) else {
            return None;
        };
        table.parked -= 1;
        drop(table);
        self.counters.metrics.calls_parked.dec();
        self.counters.resume_outcome("expired");
        Some(call)
    }

    /// Calls listed, attached and parked (for tests).
    #[cfg(test)]
    fn listed(&self) -> usize {
        self.lock().entries.len()
    }
}

impl fmt::Debug for Resumption {
    // Never the tokens: they are credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = self.lock();
        f.debug_struct("Resumption")
            .field("grace", &self.grace)
            .field("listed", &table.entries.len())
            .field("parked", &table.parked)
            .finish()
    }
}

/// A socket's claim on its call's listing. Dropping it unlists the call (the socket stopped it, or gave it up
/// some other way); [`Resumption::park`] consumes it instead.
pub(crate) struct Attached {
    table: Arc<Resumption>,
    token: String,
    taken: oneshot::Receiver<Handover>,
}

impl Attached {
    /// The token the page resumes with.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Resolves when another socket claims this call (cancel-safe); never otherwise.
    pub(crate) async fn taken_over(&mut self) -> Handover {
        match (&mut self.taken).await {
            Ok(handover) => handover,
            Err(_) => std::future::pending().await,
        }
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        if self.token.is_empty() {
            return; // parked
        }
        let mut table = self.table.lock();
        if matches!(table.entries.get(&self.token), Some(Entry::Attached { .. })) {
            table.entries.remove(&self.token);
        }
    }
}

impl fmt::Debug for Attached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attached").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(grace_ms: u64, max_parked: usize) -> Arc<Resumption> {
        Resumption::new(
            Duration::from_millis(grace_ms),
            max_parked,
            Counters::default(),
        )
    }

    #[test]
    fn zero_grace_hands_out_no_token() {
        assert!(table(0, 4).attach().is_none());
    }

    #[test]
    fn tokens_are_long_random_and_unlisted_when_dropped() {
        let t = table(1000, 4);
        let a = t.attach().unwrap();
        let b = t.attach().unwrap();
        assert_eq!(a.token().len(), 64);
        assert_ne!(a.token(), b.token());
        assert_eq!(t.listed(), 2);
        drop(a);
        assert_eq!(t.listed(), 1);
        drop(b);
        assert_eq!(t.listed(), 0);
    }

    #[tokio::test]
    async fn unknown_tokens_are_refused() {
        let t = table(1000, 4);
        let _a = t.attach().unwrap();
        assert_eq!(
            t.claim("0".repeat(64).as_str(), Duration::from_millis(10))
                .await
                .unwrap_err(),
            Unclaimed::Unknown
        );
        assert_eq!(t.listed(), 1);
    }

    #[tokio::test]
    async fn an_attached_socket_that_never_answers_keeps_nothing_listed() {
        let t = table(1000, 4);
        let mut a = t.attach().unwrap();
        let token = a.token().to_owned();
        let claim = t.claim(&token, Duration::from_millis(20));
        // The old socket is asked, but never hands over (it is stuck): the claim gives up in time.
        let (outcome, _handover) = tokio::join!(claim, a.taken_over());
        assert_eq!(outcome.unwrap_err(), Unclaimed::NotHandedOver);
        drop(a);
        assert_eq!(t.listed(), 0);
    }
}
