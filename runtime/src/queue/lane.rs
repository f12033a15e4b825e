//! Lanes: a logging thread's chain of rings, its end (and how it waits for
//! room) and the writer's, and the writer's timestamp-ordered merge of all
//! lanes.

use super::{Overflow, Queue, lock};
use crate::record::Record;
use rtrb::{Consumer, Producer};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Records the writer reads from one lane before it lets the producer have
/// the slots back.
const RUN: usize = 256;

/// What a lane's thread and the writer share.
#[derive(Debug, Default)]
pub(super) struct LaneShared {
    /// Rings the thread has moved on to, oldest first, with their sizes in
    /// bytes. Published before the thread drops the ring it outgrew, so the
    /// writer drains that one first.
    pub(super) next: Mutex<VecDeque<(Consumer<Record>, usize)>>,
    pub(super) has_next: AtomicBool,
    /// The thread has exited (or the lane held one orphan event): once its
    /// rings are empty the lane is finished.
    pub(super) done: AtomicBool,
    /// Events put in this lane's rings (stored by the producer alone).
    pub(super) pushed: AtomicU64,
}

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
pub(super) struct Waiting<'q> {
    queue: &'q Queue,
    seen: u64,
    since: Option<Instant>,
    spins: u32,
}

impl<'q> Waiting<'q> {
    pub(super) fn new(queue: &'q Queue) -> Waiting<'q> {
        Waiting {
            queue,
            seen: queue.progress.load(Ordering::Relaxed),
            since: None,
            spins: 0,
        }
    }

    /// Waits a little; false (and the event counted as dropped) if it is
    /// time to give up.
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
        // yield to it, and only then sleep (sleeping early measured slower).
        // The clock is read only once sleeping starts.
        self.spins += 1;
        if self.spins < 16 {
            std::hint::spin_loop();
            return true;
        }
        if self.spins < 64 {
            std::thread::yield_now();
            return true;
        }
        let progress = q.progress.load(Ordering::Relaxed);
        let now = Instant::now();
        if progress != self.seen {
            self.seen = progress;
            self.since = Some(now);
        }
        let since = *self.since.get_or_insert(now);
        if now.duration_since(since) >= q.limits.block_timeout {
            q.stalled.store(true, Ordering::Relaxed);
            q.count_dropped(true);
            return false;
        }
        std::thread::sleep(Duration::from_micros(50));
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
    /// Per lane, records still to take in this pass.
    avail: Vec<usize>,
    heads: BinaryHeap<Reverse<(u64, usize)>>,
}

impl Lanes {
    /// Hands `f` the records queued when called and stamped before
    /// `cutoff`, in timestamp order across lanes and in queue order within
    /// each (records pushed meanwhile wait for the next pass, so a steady
    /// stream cannot delay a flush), then frees their slots.
    pub(crate) fn merge(&mut self, q: &Queue, cutoff: u64, mut f: impl FnMut(&Record)) -> Merged {
        let mut m = Merged::default();
        self.avail.clear();
        self.heads.clear();
        for (i, lane) in self.lanes.iter_mut().enumerate() {
            let n = lane.available(q);
            self.avail.push(n);
            if n > 0 {
                let stamp = lane.head_stamp();
                if stamp < cutoff {
                    self.heads.push(Reverse((stamp, i)));
                } else {
                    m.pending += n;
                }
            }
        }
        let mut spill = 0;
        while let Some(Reverse((_, i))) = self.heads.pop() {
            // Take from this lane while it holds the oldest record.
            let limit = self
                .heads
                .peek()
                .map_or(cutoff, |Reverse((next, _))| (*next).min(cutoff));
            let lane = &mut self.lanes[i];
            let want = self.avail[i].min(RUN);
            let Ok(chunk) = lane.ring.read_chunk(want) else {
                continue;
            };
            let (a, b) = chunk.as_slices();
            let mut taken = 0;
            for rec in a.iter().chain(b) {
                if taken > 0 && (rec.stamp > limit || rec.stamp >= cutoff) {
                    break;
                }
                f(rec);
                spill += rec.spill_bytes();
                taken += 1;
            }
            chunk.commit(taken);
            m.popped += taken;
            self.avail[i] -= taken;
            if self.avail[i] == 0 && lane.shared.has_next.load(Ordering::Acquire) {
                // The thread moved on to a bigger ring: what it queued there
                // was queued before anything it queues next.
                self.avail[i] = lane.available(q);
            }
            if self.avail[i] > 0 {
                let stamp = lane.head_stamp();
                if stamp < cutoff {
                    self.heads.push(Reverse((stamp, i)));
                } else {
                    m.pending += self.avail[i];
                }
            }
        }
        q.release_spill(spill);
        if m.popped > 0 {
            q.made_progress();
        }
        m
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
                .fetch_add(lane.pushed.load(Ordering::Relaxed), Ordering::Relaxed);
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
