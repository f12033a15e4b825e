//! Lanes: a logging thread's chain of rings, its end (and how it waits for
//! room) and the writer's, and the writer's timestamp-ordered merge of all
//! lanes.

use super::{Overflow, Queue, lock};
use crate::record::{Origin, Record};
use crate::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};
use crate::sync::ring::{Consumer, Producer};
use crate::sync::thread::{self, Thread};
use crate::sync::{Arc, Mutex, OnceLock, thread_local};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

/// Records the writer reads from one lane before it lets the producer have
/// the slots back.
const RUN: usize = 256;

/// What a lane's thread and the writer share.
#[derive(Debug, Default)]
pub(super) struct LaneShared {
    /// Rings the thread has moved on to, oldest first, with their sizes in
    /// events. Published before the thread drops the ring it outgrew, so the
    /// writer drains that one first.
    pub(super) next: Mutex<VecDeque<(Consumer<Record>, usize)>>,
    pub(super) has_next: AtomicBool,
    /// The thread has exited (or the lane held one orphan event): once its
    /// rings are empty the lane is finished.
    pub(super) done: AtomicBool,
    /// Events put in this lane's rings, stored by the producer on every
    /// event: on a cache line of its own, away from the flags the writer
    /// reads on every pass.
    pub(super) pushed: OwnLine<AtomicU64>,
    /// The producer is parked (or about to park) until the writer frees
    /// slots of its ring.
    pub(super) blocked: AtomicBool,
    /// The producer's thread, once it has waited.
    pub(super) waiter: OnceLock<Thread>,
    /// The thread's id and name, for the `thread` and `threadName` keys.
    pub(super) origin: Origin,
}

/// A value alone on its cache line (two lines: the pair that adjacent-line
/// prefetching moves together).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(super) struct OwnLine<T>(pub(super) T);

/// A thread's end of its lane.
pub(super) struct Local {
    pub(super) producer: Producer<Record>,
    pub(super) lane: Arc<LaneShared>,
    pub(super) pushed: u64,
}

impl Drop for Local {
    fn drop(&mut self) {
        // After the thread's last push: the writer, reading `done` with
        // acquire, sees every event.
        self.lane.done.store(true, Ordering::Release);
    }
}

thread_local! {
    /// This thread's lane (there is one logger per process).
    pub(super) static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// A producer waiting for room: it gives up when the writer has made no
/// progress for a whole block timeout, or at once under `Overflow::Drop` or
/// while the output is known to be stalled.
///
/// A producer waiting for its own ring spins briefly, yields a few times,
/// then parks until the writer frees slots of that ring (the writer unparks
/// exactly the lanes it took from); hundreds of waiting threads so cost no
/// CPU that the writer needs. A producer waiting for the budget of heap
/// values (no ring of its own to watch) sleeps in short steps.
pub(super) struct Waiting<'q> {
    queue: &'q Queue,
    /// The ring waited for.
    lane: Option<&'q LaneShared>,
    seen: u64,
    since: Option<Instant>,
    spins: u32,
    /// `blocked` is set and fenced; the caller tries once more before the
    /// next call parks.
    armed: bool,
}

/// Spins, then yields, before a producer parks or sleeps: `SPINS - 1`
/// spins (the count starts at one), then `YIELDS` yields. None under loom:
/// they only shorten the wait, and would multiply the interleavings.
const SPINS: u32 = if cfg!(loom) { 1 } else { 16 };
const YIELDS: u32 = if cfg!(loom) { 0 } else { 48 };

impl<'q> Waiting<'q> {
    pub(super) fn new(queue: &'q Queue, lane: Option<&'q LaneShared>) -> Waiting<'q> {
        Waiting {
            queue,
            lane,
            seen: queue.progress.load(Ordering::Relaxed),
            since: None,
            spins: 0,
            armed: false,
        }
    }

    /// Waits a little (the caller then tries again); false, and the event
    /// counted as dropped, if it is time to give up.
    pub(super) fn wait_more(&mut self) -> bool {
        let q = self.queue;
        if q.limits.overflow == Overflow::Drop {
            q.count_dropped(false);
            return false;
        }
        if q.stalled.load(Ordering::Relaxed) {
            q.count_dropped(true);
            return false;
        }
        q.wake();
        // The writer frees a run of slots within microseconds: spin, then
        // yield to it, and only then park. The clock is read only once
        // parking starts.
        self.spins += 1;
        if self.spins < SPINS {
            std::hint::spin_loop();
            return true;
        }
        if self.spins < SPINS + YIELDS {
            thread::yield_now();
            return true;
        }
        let progress = q.progress.load(Ordering::Relaxed);
        let now = Instant::now();
        // A writer that is busy formatting, not in the output, is waited
        // for as if it had moved.
        if progress != self.seen || !q.may_be_stuck() {
            self.seen = progress;
            self.since = Some(now);
        }
        let since = *self.since.get_or_insert(now);
        let waited = now.duration_since(since);
        if waited >= q.limits.block_timeout {
            q.stalled.store(true, Ordering::Relaxed);
            q.count_dropped(true);
            return false;
        }
        let step = (q.limits.block_timeout - waited).min(Duration::from_millis(5));
        match self.lane {
            Some(lane) if !self.armed => {
                lane.waiter.get_or_init(thread::current);
                lane.blocked.store(true, Ordering::Relaxed);
                // Pairs with the writer's fence between freeing slots and
                // reading `blocked`: either the caller's next try sees the
                // room, or the writer sees `blocked` and unparks.
                fence(Ordering::SeqCst);
                self.armed = true;
            }
            Some(_) => {
                thread::park_timeout(step);
                self.armed = false;
            }
            None => thread::sleep(step.min(Duration::from_millis(1))),
        }
        true
    }
}

/// The writer's end of one lane.
#[derive(Debug)]
pub(crate) struct LaneReader {
    pub(super) ring: Consumer<Record>,
    /// The ring's size in events (for the budget).
    pub(super) events: usize,
    pub(super) shared: Arc<LaneShared>,
}

impl LaneReader {
    /// Events readable now, moving on to the lane's next ring once the
    /// current one is drained.
    fn available(&mut self, q: &Queue) -> usize {
        loop {
            let n = self.ring.slots();
            if n > 0 || !self.shared.has_next.load(Ordering::Acquire) {
                return n;
            }
            // Every push into the current ring happened before the next
            // was published: now they are all visible.
            if !self.ring.is_empty() {
                continue;
            }
            let mut next = lock(&self.shared.next);
            let Some((ring, events)) = next.pop_front() else {
                return 0;
            };
            if next.is_empty() {
                self.shared.has_next.store(false, Ordering::Relaxed);
            }
            drop(next);
            q.release_ring(self.events);
            self.ring = ring;
            self.events = events;
        }
    }

    fn head_stamp(&self) -> u64 {
        self.ring.peek().map_or(u64::MAX, |r| r.stamp)
    }

    /// The thread has exited and everything it queued was taken.
    fn finished(&self) -> bool {
        self.shared.done.load(Ordering::Acquire)
            && self.ring.is_empty()
            && !self.shared.has_next.load(Ordering::Acquire)
    }
}

/// What one merge pass did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Merged {
    /// Records handed on.
    pub(crate) popped: usize,
    /// Records left queued because they are younger than the cutoff.
    pub(crate) pending: usize,
}

/// The consuming ends of every lane, owned by the writer.
#[derive(Debug, Default)]
pub(crate) struct Lanes {
    pub(super) lanes: Vec<LaneReader>,
    /// Per lane, records still to take in this merge.
    avail: Vec<usize>,
}

/// One lane's records in a pass: the two halves of its read chunk.
struct View<'a> {
    lane: usize,
    recs: [&'a [Record]; 2],
    /// The lane's thread.
    origin: &'a Origin,
    /// Records taken from the front.
    taken: usize,
    /// Whether the lane holds more than this pass reads of it.
    more: bool,
}

impl View<'_> {
    fn get(&self, k: usize) -> Option<&Record> {
        let [a, b] = self.recs;
        a.get(k).or_else(|| b.get(k - a.len()))
    }
}

impl Lanes {
    /// Hands `f` the records queued when called and stamped before
    /// `cutoff`, in timestamp order across lanes and in queue order within
    /// each (records pushed meanwhile wait for the next call, so a steady
    /// stream cannot delay a flush), then frees their slots.
    pub(crate) fn merge(
        &mut self,
        q: &Queue,
        cutoff: u64,
        mut f: impl FnMut(&Record, &Origin),
    ) -> Merged {
        let mut m = Merged::default();
        self.avail.clear();
        for lane in &mut self.lanes {
            self.avail.push(lane.available(q));
        }
        let mut spill = 0;
        loop {
            let popped = self.pass(cutoff, &mut f, &mut spill);
            m.popped += popped;
            let mut more = false;
            for (lane, avail) in self.lanes.iter_mut().zip(&mut self.avail) {
                if *avail == 0 && lane.shared.has_next.load(Ordering::Acquire) {
                    // The thread moved on to a bigger ring: what it queued
                    // there was queued before anything it queues next.
                    *avail = lane.available(q);
                }
                more |= *avail > 0 && lane.head_stamp() < cutoff;
            }
            if popped == 0 || !more {
                break;
            }
        }
        m.pending = self.avail.iter().sum();
        q.release_spill(spill);
        if m.popped > 0 {
            q.made_progress();
        }
        m
    }

    /// One pass: up to [`RUN`] records of each lane, merged. A lane that
    /// holds more than the pass reads ends the pass at its last record
    /// taken, since what follows it in its ring may be older than the
    /// other lanes' later records.
    fn pass(
        &mut self,
        cutoff: u64,
        f: &mut impl FnMut(&Record, &Origin),
        spill: &mut usize,
    ) -> usize {
        let Lanes { lanes, avail } = self;
        let mut chunks = Vec::with_capacity(lanes.len());
        for (i, lane) in lanes.iter_mut().enumerate() {
            let want = avail[i].min(RUN);
            if want == 0 {
                continue;
            }
            let more = avail[i] > want || lane.shared.has_next.load(Ordering::Acquire);
            if let Ok(chunk) = lane.ring.read_chunk(want) {
                chunks.push((i, more, &lane.shared.origin, chunk));
            }
        }
        let mut views: Vec<View<'_>> = chunks
            .iter()
            .map(|(lane, more, origin, chunk)| {
                let (a, b) = chunk.as_slices();
                View {
                    lane: *lane,
                    recs: [a, b],
                    origin,
                    taken: 0,
                    more: *more,
                }
            })
            .collect();
        let mut limit = cutoff;
        let mut heads: BinaryHeap<Reverse<(u64, usize)>> = views
            .iter()
            .enumerate()
            .filter_map(|(v, view)| view.get(0).map(|r| Reverse((r.stamp, v))))
            .collect();
        let mut popped = 0;
        while let Some(Reverse((stamp, v))) = heads.pop() {
            if stamp >= limit {
                continue;
            }
            // Take from this lane while it holds the oldest record.
            let run_limit = heads.peek().map_or(limit, |Reverse((next, _))| {
                (*next).saturating_add(1).min(limit)
            });
            let view = &mut views[v];
            let mut last = stamp;
            let run_start = view.taken;
            while let Some(rec) = view.get(view.taken) {
                // The head itself is older than every other lane's head.
                if view.taken > run_start && rec.stamp >= run_limit {
                    break;
                }
                f(rec, view.origin);
                *spill += rec.spill_bytes();
                last = rec.stamp;
                view.taken += 1;
                popped += 1;
            }
            match view.get(view.taken) {
                Some(next) => heads.push(Reverse((next.stamp, v))),
                None if view.more => limit = limit.min(last.saturating_add(1)),
                None => {}
            }
        }
        let taken: Vec<(usize, usize)> = views.iter().map(|v| (v.lane, v.taken)).collect();
        drop(views);
        for ((lane, n), (_, _, _, chunk)) in taken.iter().zip(chunks) {
            chunk.commit(*n);
            avail[*lane] -= n;
        }
        // Pairs with a waiting producer's fence (see `Waiting`).
        fence(Ordering::SeqCst);
        for &(lane, n) in &taken {
            let shared = &lanes[lane].shared;
            if n > 0
                && shared.blocked.load(Ordering::Relaxed)
                && shared.blocked.swap(false, Ordering::Relaxed)
                && let Some(t) = shared.waiter.get()
            {
                t.unpark();
            }
        }
        popped
    }

    /// Drops the lanes of threads that have exited, once they are empty.
    pub(crate) fn retire_finished(&mut self, q: &Queue) {
        let before = self.lanes.len();
        let mut retired = Vec::new();
        self.lanes.retain(|lane| {
            let done = lane.finished();
            if done {
                q.release_ring(lane.events);
                retired.push(Arc::clone(&lane.shared));
            }
            !done
        });
        if self.lanes.len() == before {
            return;
        }
        let mut registry = lock(&q.registry);
        for lane in retired {
            q.retired_pushed
                .fetch_add(lane.pushed.0.load(Ordering::Relaxed), Ordering::Relaxed);
            registry.retain(|l| !Arc::ptr_eq(l, &lane));
        }
    }

    /// Whether no lane holds anything, in its current ring or a next one.
    pub(super) fn is_empty(&self) -> bool {
        self.lanes
            .iter()
            .all(|l| l.ring.is_empty() && !l.shared.has_next.load(Ordering::SeqCst))
    }
}
