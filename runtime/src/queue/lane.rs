//! Lanes: a logging thread's chain of rings, its end (and how it waits for
//! room) and the writer's, and the writer's timestamp-ordered merge of all
//! lanes.

use crate::origin::Origin;
use crate::record::{Record, Slot};
use crate::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};
use crate::sync::ring::{Consumer, Producer};
use crate::sync::thread::Thread;
use crate::sync::{Arc, Mutex, OnceLock, PoisonError, thread_local};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// What the lanes tell the queue they belong to. The queue implements it,
/// so that the lanes never name the queue and the dependency runs one way
/// (the queue uses its lanes).
pub(crate) trait Accounts {
    /// A drained ring of `events` slots is given back to the budget.
    fn release_ring(&self, events: usize);
    /// Heap bytes of records taken are given back to the budget.
    fn release_spill(&self, bytes: usize);
    /// The writer took records.
    fn made_progress(&self);
    /// The ordering grace in clock ticks.
    fn grace_ticks(&self) -> u64;
    /// Lanes of threads that have exited, emptied, leave the registry.
    fn retire(&self, lanes: Vec<Arc<LaneShared>>);
}

/// Records the writer reads from one lane before it lets the producer have
/// the slots back.
const RUN: usize = 256;

/// What a lane's thread and the writer share.
#[derive(Debug, Default)]
pub(crate) struct LaneShared {
    /// Rings the thread has moved on to, oldest first, with their sizes in
    /// events. Published before the thread drops the ring it outgrew, so the
    /// writer drains that one first.
    pub(super) next: Mutex<VecDeque<(Consumer<Slot>, usize)>>,
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
    /// The writer found the ring too short for the ordering grace (see
    /// `LaneReader::outgrow_if_short`): the thread moves to a larger ring,
    /// past the configured capacity if need be (see `Queue::bigger_ring`).
    pub(super) outgrow: AtomicBool,
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
    /// The queue the lane belongs to ([`super::Queue`]'s `id`).
    pub(super) queue: u64,
    pub(super) producer: Producer<Slot>,
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

/// The writer's end of one lane.
#[derive(Debug)]
pub(crate) struct LaneReader {
    pub(super) ring: Consumer<Slot>,
    /// The ring's size in events (for the budget).
    pub(super) events: usize,
    pub(super) shared: Arc<LaneShared>,
}

impl LaneReader {
    /// Events readable now, moving on to the lane's next ring once the
    /// current one is drained.
    fn available(&mut self, q: &impl Accounts) -> usize {
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
            let mut next = self
                .shared
                .next
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
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

    /// If the thread's ring is full of events stamped less than `span`
    /// ticks apart, asks the thread to move to a larger one: it logs
    /// faster than its ring holds that long of its events, and would
    /// otherwise wait, with the writer idle, for its events to come of
    /// age. `avail` is what this ring holds; the thread's ring is the
    /// newest of its next ones if it has moved on (the writer, reading
    /// this one, may not have got there yet).
    fn outgrow_if_short(&mut self, avail: usize, span: u64) {
        let shared = &*self.shared;
        if shared.outgrow.load(Ordering::Relaxed) {
            return;
        }
        let short = if shared.has_next.load(Ordering::Acquire) {
            let mut next = shared.next.lock().unwrap_or_else(PoisonError::into_inner);
            next.back_mut()
                .is_some_and(|(ring, events)| full_within(ring, ring.slots(), *events, span))
        } else {
            full_within(&mut self.ring, avail, self.events, span)
        };
        if !short {
            return;
        }
        shared.outgrow.store(true, Ordering::Relaxed);
        // Pairs with a waiting producer's fence (see `Waiting`): either it
        // sees `outgrow` before it parks, or this sees `blocked`.
        fence(Ordering::SeqCst);
        if shared.blocked.load(Ordering::Relaxed)
            && shared.blocked.swap(false, Ordering::Relaxed)
            && let Some(t) = shared.waiter.get()
        {
            t.unpark();
        }
    }

    /// The thread has exited and everything it queued was taken.
    fn finished(&self) -> bool {
        self.shared.done.load(Ordering::Acquire)
            && self.ring.is_empty()
            && !self.shared.has_next.load(Ordering::Acquire)
    }
}

/// Whether `ring`, holding `avail` of its `events` slots, is full of
/// events stamped less than `span` ticks apart.
fn full_within(ring: &mut Consumer<Slot>, avail: usize, events: usize, span: u64) -> bool {
    avail == events
        && ring.read_chunk(avail).is_ok_and(|chunk| {
            let (a, b) = chunk.as_slices();
            match (a.first(), b.last().or(a.last())) {
                (Some(first), Some(last)) => last.stamp.saturating_sub(first.stamp) < span,
                _ => false,
            }
        })
}

/// What one merge pass did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Merged {
    /// Records handed on.
    pub(crate) popped: usize,
    /// Records left queued because they are younger than the cutoff.
    pub(crate) pending: usize,
    /// The stamp of the oldest of those (`u64::MAX`: none).
    pub(crate) oldest: u64,
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
    recs: [&'a [Slot]; 2],
    /// The lane's thread.
    origin: &'a Origin,
    /// Records taken from the front.
    taken: usize,
    /// Whether the lane holds more than this pass reads of it.
    more: bool,
}

impl<'a> View<'a> {
    fn get(&self, k: usize) -> Option<&'a Record> {
        let [a, b] = self.recs;
        a.get(k).or_else(|| b.get(k - a.len())).map(|slot| &**slot)
    }

    /// The records not taken yet, up to the end of the half they begin in.
    fn rest(&self) -> &'a [Slot] {
        let [a, b] = self.recs;
        match a.get(self.taken..) {
            Some(rest) if !rest.is_empty() => rest,
            _ => b.get(self.taken - a.len()..).unwrap_or_default(),
        }
    }
}

impl Lanes {
    /// Hands `f` the records queued when called and stamped before
    /// `cutoff`, in timestamp order across lanes and in queue order within
    /// each (records pushed meanwhile wait for the next call, so a steady
    /// stream cannot delay a flush), then frees their slots. `f` gets them
    /// in runs of one lane's, the records of each run in order, so that
    /// what is the same for all of a run is done once.
    pub(crate) fn merge(
        &mut self,
        q: &impl Accounts,
        cutoff: u64,
        mut f: impl FnMut(&[Slot], &Origin),
    ) -> Merged {
        let mut m = Merged {
            popped: 0,
            pending: 0,
            oldest: u64::MAX,
        };
        self.avail.clear();
        for lane in &mut self.lanes {
            let avail = lane.available(q);
            if cutoff != u64::MAX {
                // Two graces' worth: the one the writer may not take, and as
                // much again to take in one pass while the thread logs on.
                lane.outgrow_if_short(avail, q.grace_ticks().saturating_mul(2));
            }
            self.avail.push(avail);
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
        if m.pending > 0 {
            m.oldest = self
                .lanes
                .iter()
                .zip(&self.avail)
                .filter(|&(_, &avail)| avail > 0)
                .map(|(lane, _)| lane.head_stamp())
                .min()
                .unwrap_or(u64::MAX);
        }
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
        f: &mut impl FnMut(&[Slot], &Origin),
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
            // The run, one half of the chunk at a time.
            loop {
                let rest = view.rest();
                let mut n = 0;
                for rec in rest {
                    // The head itself is older than every other lane's head.
                    if view.taken + n > run_start && rec.stamp >= run_limit {
                        break;
                    }
                    *spill += rec.spill_bytes();
                    n += 1;
                }
                let Some(run) = rest.get(..n).filter(|run| !run.is_empty()) else {
                    break;
                };
                f(run, view.origin);
                last = run[n - 1].stamp;
                view.taken += n;
                popped += n;
                if n < rest.len() {
                    break;
                }
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
    pub(crate) fn retire_finished(&mut self, q: &impl Accounts) {
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
        if self.lanes.len() != before {
            q.retire(retired);
        }
    }

    /// Whether no lane holds anything, in its current ring or a next one.
    pub(super) fn is_empty(&self) -> bool {
        self.lanes
            .iter()
            .all(|l| l.ring.is_empty() && !l.shared.has_next.load(Ordering::SeqCst))
    }
}
