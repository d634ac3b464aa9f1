//! The releases a link still owes its media server: objects whose release failed (the link was down, the
//! request timed out or was lost) or that nobody else owns (a `create` answered after its caller left).
//! Each is retried with exponential backoff until the media server confirms it, or its rpc session is
//! lost (the objects went with it). Sans-IO: the link's task feeds it the clock and the outcomes.
//!
//! Bounded: at most `capacity` objects wait; one more is refused and counted, and is left to
//! reconciliation (which finds it by its owner tags).

use kurento::ObjectId;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// Counts an operator reads (see `metrics.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReleaseStats {
    /// Objects waiting for a retry (or with one in flight) right now.
    pub pending: usize,
    /// Retries sent (a first attempt made elsewhere is not counted).
    pub retries: u64,
    /// Releases the media server confirmed on a retry.
    pub confirmed: u64,
    /// Objects handed over that no caller owned any more (late replies to `create`/`transaction`).
    pub unclaimed: u64,
    /// Objects refused because the queue was full, or dropped at shutdown: left to reconciliation.
    pub left_to_reconciliation: u64,
    /// Objects dropped because the media server lost them with the rpc session.
    pub lost_with_rpc_session: u64,
}

#[derive(Debug)]
struct Entry {
    attempts: u32,
    due: Instant,
    in_flight: bool,
}

/// The objects a link retries releasing, in the order their retries fall due.
#[derive(Debug)]
pub(super) struct ReleaseQueue {
    entries: HashMap<ObjectId, Entry>,
    /// (due, object) for every entry not in flight.
    schedule: BTreeSet<(Instant, ObjectId)>,
    capacity: usize,
    backoff_min: Duration,
    backoff_max: Duration,
    stats: ReleaseStats,
}

impl ReleaseQueue {
    pub(super) fn new(capacity: usize, backoff_min: Duration, backoff_max: Duration) -> Self {
        Self {
            entries: HashMap::new(),
            schedule: BTreeSet::new(),
            capacity: capacity.max(1),
            backoff_min: backoff_min.max(Duration::from_millis(1)),
            backoff_max: backoff_max.max(backoff_min),
            stats: ReleaseStats::default(),
        }
    }

    /// Owes a release of `object`, due now. Already owed: nothing changes. Full: refused (false).
    pub(super) fn add(&mut self, object: ObjectId, now: Instant) -> bool {
        if self.entries.contains_key(&object) {
            return true;
        }
        if self.entries.len() >= self.capacity {
            self.stats.left_to_reconciliation += 1;
            return false;
        }
        self.schedule.insert((now, object.clone()));
        self.entries.insert(
            object,
            Entry {
                attempts: 0,
                due: now,
                in_flight: false,
            },
        );
        true
    }

    /// Like [`Self::add`], for objects nobody owns any more.
    pub(super) fn add_unclaimed(&mut self, object: ObjectId, now: Instant) -> bool {
        self.stats.unclaimed += 1;
        self.add(object, now)
    }

    /// When the next retry falls due, if any waits.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.schedule.first().map(|(due, _)| *due)
    }

    /// Up to `max` objects whose retry is due at `now`, marked in flight.
    pub(super) fn take_due(&mut self, now: Instant, max: usize) -> Vec<ObjectId> {
        let mut out = Vec::new();
        while out.len() < max {
            let Some((due, _)) = self.schedule.first() else {
                break;
            };
            if *due > now {
                break;
            }
            let Some((_, object)) = self.schedule.pop_first() else {
                break;
            };
            if let Some(e) = self.entries.get_mut(&object) {
                e.in_flight = true;
                e.attempts += 1;
                self.stats.retries += 1;
                out.push(object);
            }
        }
        out
    }

    /// The media server confirmed it (or says the object no longer exists).
    pub(super) fn confirmed(&mut self, object: &ObjectId) {
        if let Some(e) = self.entries.remove(object) {
            self.schedule.remove(&(e.due, object.clone()));
            self.stats.confirmed += 1;
        }
    }

    /// The retry failed: try again after a backoff that doubles with every attempt.
    pub(super) fn failed(&mut self, object: &ObjectId, now: Instant) {
        let Some(e) = self.entries.get_mut(object) else {
            return;
        };
        let shift = e.attempts.saturating_sub(1).min(16);
        let delay = self
            .backoff_min
            .saturating_mul(1 << shift)
            .min(self.backoff_max);
        self.schedule.remove(&(e.due, object.clone()));
        e.due = now + delay;
        e.in_flight = false;
        self.schedule.insert((e.due, object.clone()));
    }

    /// The rpc session that held these objects is gone, and the objects with it.
    pub(super) fn lost_with_rpc_session(&mut self) -> usize {
        let n = self.entries.len();
        self.stats.lost_with_rpc_session += n as u64;
        self.entries.clear();
        self.schedule.clear();
        n
    }

    /// The link stops: what is still owed is left to the next reconciliation (of this gateway's next life).
    pub(super) fn abandon(&mut self) -> usize {
        let n = self.entries.len();
        self.stats.left_to_reconciliation += n as u64;
        self.entries.clear();
        self.schedule.clear();
        n
    }

    pub(super) fn stats(&self) -> ReleaseStats {
        ReleaseStats {
            pending: self.entries.len(),
            ..self.stats
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> ReleaseQueue {
        ReleaseQueue::new(3, Duration::from_millis(100), Duration::from_millis(400))
    }

    fn id(s: &str) -> ObjectId {
        ObjectId::new(s)
    }

    #[test]
    fn retries_back_off_until_confirmed() {
        let t0 = Instant::now();
        let mut q = queue();
        assert!(q.add(id("P"), t0));
        assert!(q.add(id("P"), t0), "owing twice is owing once");
        assert_eq!(q.next_due(), Some(t0));
        assert_eq!(q.take_due(t0, 10), vec![id("P")]);
        assert_eq!(q.next_due(), None, "in flight: not due again");
        q.failed(&id("P"), t0);
        assert_eq!(q.next_due(), Some(t0 + Duration::from_millis(100)));
        assert!(q.take_due(t0, 10).is_empty());
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(q.take_due(t1, 10), vec![id("P")]);
        q.failed(&id("P"), t1);
        assert_eq!(q.next_due(), Some(t1 + Duration::from_millis(200)));
        let t2 = t1 + Duration::from_millis(200);
        q.take_due(t2, 10);
        q.failed(&id("P"), t2);
        q.take_due(t2 + Duration::from_millis(400), 10);
        q.failed(&id("P"), t2);
        // Capped at backoff_max.
        assert_eq!(q.next_due(), Some(t2 + Duration::from_millis(400)));
        q.confirmed(&id("P"));
        assert_eq!(q.next_due(), None);
        let s = q.stats();
        assert_eq!((s.pending, s.retries, s.confirmed), (0, 4, 1));
    }

    #[test]
    fn bounded_and_in_due_order() {
        let t0 = Instant::now();
        let mut q = queue();
        q.add(id("B"), t0 + Duration::from_millis(2));
        q.add(id("A"), t0 + Duration::from_millis(1));
        q.add_unclaimed(id("C"), t0 + Duration::from_millis(3));
        assert!(!q.add(id("D"), t0), "full");
        let later = t0 + Duration::from_secs(1);
        assert_eq!(q.take_due(later, 2), vec![id("A"), id("B")]);
        assert_eq!(q.take_due(later, 2), vec![id("C")]);
        let s = q.stats();
        assert_eq!(
            (s.pending, s.unclaimed, s.left_to_reconciliation),
            (3, 1, 1)
        );
        assert_eq!(q.lost_with_rpc_session(), 3);
        assert_eq!(q.stats().pending, 0);
        q.add(id("E"), t0);
        assert_eq!(q.abandon(), 1);
        assert_eq!(q.stats().left_to_reconciliation, 2);
    }
}
