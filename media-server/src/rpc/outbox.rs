//! A connection's outgoing events: one small bounded queue per pipeline, drained round-robin by the
//! connection's writer, so one pipeline's burst can only cost that pipeline its own events.
//!
//! The gateway carries every session over one WebSocket, so a single shared queue let a burst of
//! `IceCandidateFound` from one session push out another session's `IceGatheringDone`. Here each
//! pipeline (the key; the ServerManager has its own) gets at most `per_pipeline` waiting frames, and
//! `reserved` of those take only rare events (state changes, `IceGatheringDone`, errors,
//! `ObjectDestroyed`): a candidate never takes the last of that room, and a rare event arriving at a
//! full queue evicts the oldest waiting candidate instead of being dropped. Order within one pipeline
//! is kept, so `IceGatheringDone` still follows that endpoint's candidates.
//!
//! Memory per connection is at most `max_queues x per_pipeline` frames: a queue exists only while it
//! holds frames (it goes away when drained, so a released pipeline's queue goes with its last frame),
//! and a pipeline beyond `max_queues` waiting at once has its events dropped.
//!
//! [`FairQueue`] is plain data (no I/O, no clock, no awaiting); [`Outbox`] adds the lock and the
//! wakeup the connection's writer waits on. Pushing never waits.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Notify;

/// Bounds of one connection's event queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxLimits {
    /// Most frames one pipeline (or the ServerManager) may have waiting on one connection. At least 1.
    /// Default: 64.
    pub per_pipeline: usize,
    /// Of those, how many only rare events may take: candidates get at most
    /// `per_pipeline - reserved` (and always at least one). Default: 16.
    pub reserved: usize,
    /// Most pipelines with frames waiting on one connection at once. At least 1. Default: 512.
    pub max_queues: usize,
}

impl Default for OutboxLimits {
    fn default() -> Self {
        OutboxLimits {
            per_pipeline: 64,
            reserved: 16,
            max_queues: 512,
        }
    }
}

impl OutboxLimits {
    /// The most frames candidates may hold in one pipeline's queue.
    fn bulk_cap(&self) -> usize {
        self.per_pipeline().saturating_sub(self.reserved).max(1)
    }

    fn per_pipeline(&self) -> usize {
        self.per_pipeline.max(1)
    }

    fn max_queues(&self) -> usize {
        self.max_queues.max(1)
    }
}

/// How much an event matters when room is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Many of a kind, each replaceable (`IceCandidateFound`): dropped first.
    Bulk,
    /// Rare and needed (gathering done, state changes, errors, object lifecycle): never dropped while
    /// a candidate of the same pipeline is waiting.
    Rare,
}

/// Why a frame was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// A candidate found its pipeline's room for candidates full: that pipeline's own burst.
    Burst,
    /// A waiting candidate gave its place to a rare event of the same pipeline.
    Evicted,
    /// A rare event found its pipeline's whole queue full of rare events.
    QueueFull,
    /// The connection already had `max_queues` other pipelines waiting.
    TooManyQueues,
}

/// Events dropped so far, by reason (summed over every connection).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventDrops {
    /// [`DropReason::Burst`]: candidates beyond their pipeline's room.
    pub burst: u64,
    /// [`DropReason::Evicted`]: candidates that made room for a rare event.
    pub evicted: u64,
    /// [`DropReason::QueueFull`]: rare events beyond their pipeline's whole queue.
    pub queue_full: u64,
    /// [`DropReason::TooManyQueues`]: events of a pipeline beyond the connection's queue count.
    pub too_many_queues: u64,
}

impl EventDrops {
    /// Every drop, whatever the reason.
    pub fn total(&self) -> u64 {
        self.burst + self.evicted + self.queue_full + self.too_many_queues
    }
}

/// The counters behind [`EventDrops`], shared by every connection of a server.
#[derive(Debug, Default)]
pub(crate) struct DropCounters {
    burst: AtomicU64,
    evicted: AtomicU64,
    queue_full: AtomicU64,
    too_many_queues: AtomicU64,
}

impl DropCounters {
    pub(crate) fn add(&self, reason: DropReason) {
        let c = match reason {
            DropReason::Burst => &self.burst,
            DropReason::Evicted => &self.evicted,
            DropReason::QueueFull => &self.queue_full,
            DropReason::TooManyQueues => &self.too_many_queues,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn read(&self) -> EventDrops {
        EventDrops {
            burst: self.burst.load(Ordering::Relaxed),
            evicted: self.evicted.load(Ordering::Relaxed),
            queue_full: self.queue_full.load(Ordering::Relaxed),
            too_many_queues: self.too_many_queues.load(Ordering::Relaxed),
        }
    }
}

/// One pipeline's waiting frames, oldest first.
#[derive(Debug, Default)]
struct PipelineQueue {
    frames: VecDeque<(Lane, String)>,
    /// How many of `frames` are [`Lane::Bulk`].
    bulk: usize,
}

/// Per-pipeline bounded queues with round-robin draining. Plain data.
#[derive(Debug)]
pub(crate) struct FairQueue {
    limits: OutboxLimits,
    queues: HashMap<String, PipelineQueue>,
    /// The keys of `queues`, each once, in the order they are served.
    ring: VecDeque<String>,
}

impl FairQueue {
    pub(crate) fn new(limits: OutboxLimits) -> Self {
        FairQueue {
            limits,
            queues: HashMap::new(),
            ring: VecDeque::new(),
        }
    }

    /// Queues `frame` for pipeline `key`; returns the reason a frame was lost to do so (this one, or
    /// an evicted candidate), if one was.
    pub(crate) fn push(&mut self, key: &str, lane: Lane, frame: String) -> Option<DropReason> {
        let per_pipeline = self.limits.per_pipeline();
        let bulk_cap = self.limits.bulk_cap();
        if !self.queues.contains_key(key) {
            if self.queues.len() >= self.limits.max_queues() {
                return Some(DropReason::TooManyQueues);
            }
            self.ring.push_back(key.to_owned());
        }
        let q = self.queues.entry(key.to_owned()).or_default();
        let mut lost = None;
        match lane {
            Lane::Bulk => {
                if q.bulk >= bulk_cap || q.frames.len() >= per_pipeline {
                    // The queue already holds frames (it is full), so it stays in the ring.
                    return Some(DropReason::Burst);
                }
                q.bulk += 1;
            }
            Lane::Rare if q.frames.len() >= per_pipeline => {
                let Some(oldest_bulk) = q.frames.iter().position(|(l, _)| *l == Lane::Bulk) else {
                    return Some(DropReason::QueueFull);
                };
                q.frames.remove(oldest_bulk);
                q.bulk -= 1;
                lost = Some(DropReason::Evicted);
            }
            Lane::Rare => {}
        }
        q.frames.push_back((lane, frame));
        lost
    }

    /// The next frame to write: the oldest of the pipeline whose turn it is.
    pub(crate) fn pop(&mut self) -> Option<String> {
        let key = self.ring.pop_front()?;
        let q = self.queues.get_mut(&key)?;
        let (lane, frame) = q.frames.pop_front()?;
        if lane == Lane::Bulk {
            q.bulk -= 1;
        }
        if q.frames.is_empty() {
            self.queues.remove(&key);
        } else {
            self.ring.push_back(key);
        }
        Some(frame)
    }

    /// Frames waiting, over every pipeline.
    pub(crate) fn len(&self) -> usize {
        self.queues.values().map(|q| q.frames.len()).sum()
    }

    /// Pipelines with frames waiting.
    #[cfg(test)]
    fn queues(&self) -> usize {
        self.queues.len()
    }
}

/// A [`FairQueue`] shared by the core (pushing, never waiting) and one connection's writer (waiting
/// for the next frame).
#[derive(Debug)]
pub struct Outbox {
    inner: Mutex<Inner>,
    ready: Notify,
}

#[derive(Debug)]
struct Inner {
    queue: FairQueue,
    closed: bool,
}

/// The connection behind an [`Outbox`] has closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

impl Outbox {
    /// An empty outbox with `limits`.
    pub fn new(limits: OutboxLimits) -> Self {
        Outbox {
            inner: Mutex::new(Inner {
                queue: FairQueue::new(limits),
                closed: false,
            }),
            ready: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every mutation is a few plain collection operations, so a poisoned lock holds consistent data.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `frame` without waiting; see [`FairQueue::push`].
    pub(crate) fn push(
        &self,
        key: &str,
        lane: Lane,
        frame: String,
    ) -> Result<Option<DropReason>, Closed> {
        let lost = {
            let mut inner = self.lock();
            if inner.closed {
                return Err(Closed);
            }
            inner.queue.push(key, lane, frame)
        };
        // A stored permit if the writer is busy, so the wakeup is never lost.
        self.ready.notify_one();
        Ok(lost)
    }

    /// The next frame if one is waiting.
    pub fn try_pop(&self) -> Option<String> {
        self.lock().queue.pop()
    }

    /// Waits for the next frame. Cancel-safe: a frame is taken only when it is returned.
    pub async fn next(&self) -> String {
        loop {
            if let Some(frame) = self.try_pop() {
                return frame;
            }
            self.ready.notified().await;
        }
    }

    /// Refuses further frames and frees the waiting ones (the connection closed).
    pub(crate) fn close(&self) {
        let mut inner = self.lock();
        inner.closed = true;
        inner.queue = FairQueue::new(inner.queue.limits);
    }

    /// Frames waiting now.
    pub fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// Whether no frame is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_pipeline: usize, reserved: usize, max_queues: usize) -> OutboxLimits {
        OutboxLimits {
            per_pipeline,
            reserved,
            max_queues,
        }
    }

    fn drain(q: &mut FairQueue) -> Vec<String> {
        std::iter::from_fn(|| q.pop()).collect()
    }

    #[test]
    fn one_pipelines_flood_leaves_the_others_untouched() {
        let mut q = FairQueue::new(limits(8, 2, 16));
        let mut drops = Vec::new();
        for i in 0..10_000 {
            drops.extend(q.push("A", Lane::Bulk, format!("A cand {i}")));
            if i == 5_000 {
                drops.extend(q.push("B", Lane::Bulk, "B cand".into()));
                drops.extend(q.push("B", Lane::Rare, "B done".into()));
            }
        }
        drops.extend(q.push("A", Lane::Rare, "A done".into()));
        assert!(drops.iter().all(|d| *d == DropReason::Burst), "{drops:?}");
        assert_eq!(drops.len(), 10_000 - 6, "A keeps its 6 candidates");
        let out = drain(&mut q);
        // Round-robin: B's frames come within the first few, not behind A's queue.
        assert_eq!(&out[..4], ["A cand 0", "B cand", "A cand 1", "B done"]);
        assert_eq!(out.last().map(String::as_str), Some("A done"));
        assert_eq!(out.len(), 6 + 1 + 2);
        assert_eq!((q.len(), q.queues()), (0, 0), "drained queues go away");
    }

    #[test]
    fn rare_events_evict_candidates_and_keep_order() {
        let mut q = FairQueue::new(limits(4, 1, 4));
        for i in 0..3 {
            assert_eq!(q.push("A", Lane::Bulk, format!("c{i}")), None);
        }
        assert_eq!(
            q.push("A", Lane::Bulk, "c3".into()),
            Some(DropReason::Burst)
        );
        assert_eq!(
            q.push("A", Lane::Rare, "done".into()),
            None,
            "reserved room"
        );
        assert_eq!(
            q.push("A", Lane::Rare, "state".into()),
            Some(DropReason::Evicted)
        );
        assert_eq!(
            q.push("A", Lane::Rare, "error".into()),
            Some(DropReason::Evicted)
        );
        assert_eq!(drain(&mut q), ["c2", "done", "state", "error"]);
    }

    #[test]
    fn rare_events_beyond_the_whole_queue_are_dropped() {
        let mut q = FairQueue::new(limits(2, 1, 4));
        assert_eq!(q.push("M", Lane::Rare, "1".into()), None);
        assert_eq!(q.push("M", Lane::Rare, "2".into()), None);
        assert_eq!(
            q.push("M", Lane::Rare, "3".into()),
            Some(DropReason::QueueFull)
        );
        assert_eq!(drain(&mut q), ["1", "2"]);
    }

    #[test]
    fn queues_beyond_the_limit_are_refused_until_one_drains() {
        let mut q = FairQueue::new(limits(4, 1, 2));
        assert_eq!(q.push("A", Lane::Rare, "a".into()), None);
        assert_eq!(q.push("B", Lane::Rare, "b".into()), None);
        assert_eq!(
            q.push("C", Lane::Rare, "c".into()),
            Some(DropReason::TooManyQueues)
        );
        assert_eq!(q.pop().as_deref(), Some("a"));
        assert_eq!(q.push("C", Lane::Rare, "c".into()), None);
        assert_eq!(drain(&mut q), ["b", "c"]);
    }

    #[test]
    fn nonsense_limits_still_carry_events() {
        let mut q = FairQueue::new(limits(0, 10, 0));
        assert_eq!(q.push("A", Lane::Bulk, "c".into()), None);
        assert_eq!(
            q.push("A", Lane::Rare, "d".into()),
            Some(DropReason::Evicted)
        );
        assert_eq!(drain(&mut q), ["d"]);
    }

    /// A client that stops reading: whatever is pushed, the outbox holds at most
    /// `max_queues x per_pipeline` frames, and every frame beyond that is counted as dropped.
    #[test]
    fn a_reader_that_stops_keeps_memory_bounded() {
        let l = limits(8, 2, 32);
        let outbox = Outbox::new(l);
        let counters = DropCounters::default();
        let mut pushed = 0u64;
        for i in 0..200_000u64 {
            let key = format!("P{}", i % 1_000);
            let lane = if i % 7 == 0 { Lane::Rare } else { Lane::Bulk };
            if let Some(reason) = outbox.push(&key, lane, format!("frame {i}")).ok().flatten() {
                counters.add(reason);
            }
            pushed += 1;
            assert!(outbox.len() <= l.max_queues * l.per_pipeline);
        }
        let held = outbox.len() as u64;
        assert_eq!(held, (l.max_queues * l.per_pipeline) as u64);
        let drops = counters.read();
        // Evicted frames were queued and then lost, so every push is held or counted once.
        assert_eq!(held + drops.total(), pushed, "{drops:?}");
        assert!(drops.too_many_queues > 0 && drops.burst > 0, "{drops:?}");
        outbox.close();
        assert!(outbox.is_empty(), "closing frees the frames");
        assert_eq!(outbox.push("P0", Lane::Rare, "late".into()), Err(Closed));
    }

    #[tokio::test]
    async fn the_writer_wakes_for_a_frame_pushed_while_it_waits() {
        let outbox = std::sync::Arc::new(Outbox::new(OutboxLimits::default()));
        let writer = {
            let outbox = std::sync::Arc::clone(&outbox);
            tokio::spawn(async move { outbox.next().await })
        };
        tokio::task::yield_now().await;
        assert_eq!(outbox.push("A", Lane::Rare, "x".into()), Ok(None));
        assert_eq!(writer.await.ok().as_deref(), Some("x"));
    }
}
