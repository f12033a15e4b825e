//! Replay on error (`Config::replay_on_error`): the events of a request
//! that no output writes, kept with the request until it logs an error,
//! then handed back to be written before it.
//!
//! A request's kept events live in its context frame's extension, opaque
//! to the context, as a test capture's buffer does: the one frame that
//! every flow of the request shares (its threads, its tasks across
//! `.await`s), so one `Mutex` keeps them in the order they were logged,
//! and they go when the request's frame does. A kept event holds a copy
//! of its context without extensions (`Context::replay_copy`), or the
//! request's frame would hold itself through its own events.
//!
//! Memory: each request keeps at most `replay_capacity` events, and all
//! requests together at most their share of the byte budget, counted as
//! the slots their lists have room for (128 bytes each), the values
//! outside the records, and each store's own bookkeeping. An event that
//! would pass either bound gives up the request's oldest first, as many
//! as it takes; a request that holds none keeps nothing new until room is
//! freed. What is given up is counted and said, with the count, in one
//! line before the replayed ones.

use crate::callsite::internal_site;
use crate::context::{Context, CopyCache};
use crate::encode::Encoder;
use crate::level::Level;
use crate::record::Record;
use crate::settings;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Bytes the kept events of all requests take, as [`Store::bytes`]
/// counts them.
static KEPT_BYTES: AtomicUsize = AtomicUsize::new(0);

/// One request's kept events: the extension of its context frame.
#[derive(Default)]
struct Kept(Mutex<Store>);

#[derive(Default)]
struct Store {
    /// Oldest first.
    events: VecDeque<Record>,
    /// The kept events' values outside their records.
    spill: usize,
    /// What this store adds to [`KEPT_BYTES`].
    counted: usize,
    /// Events given up since the last replay, and the time of the newest
    /// of them.
    given_up: u64,
    given_up_stamp: u64,
    copies: CopyCache,
}

/// A store's own bytes, counted while its list has room for events: the
/// store and the counts of the `Arc` it lives in.
const STORE_BYTES: usize = size_of::<Kept>() + 2 * size_of::<usize>();

const SLOT: usize = size_of::<Record>();

impl Store {
    /// What the store takes now.
    fn bytes(&self) -> usize {
        match self.events.capacity() {
            0 => self.spill,
            slots => STORE_BYTES + slots * SLOT + self.spill,
        }
    }

    /// Brings [`KEPT_BYTES`] in line with what the store takes now.
    fn settle(&mut self) {
        let now = self.bytes();
        if now > self.counted {
            KEPT_BYTES.fetch_add(now - self.counted, Ordering::Relaxed);
        } else {
            KEPT_BYTES.fetch_sub(self.counted - now, Ordering::Relaxed);
        }
        self.counted = now;
    }

    /// Gives up the oldest event; `false` when there is none.
    fn give_up_oldest(&mut self) -> bool {
        let Some(oldest) = self.events.pop_front() else {
            return false;
        };
        self.spill -= oldest.spill_bytes();
        self.count_given_up(&oldest);
        true
    }

    fn count_given_up(&mut self, rec: &Record) {
        self.given_up += 1;
        self.given_up_stamp = self.given_up_stamp.max(rec.stamp);
    }

    /// Keeps `rec` within the request's capacity and the byte budget,
    /// giving up the oldest as it must (or `rec` itself, if the request
    /// has nothing left to give up).
    fn keep(&mut self, rec: Record, capacity: usize, budget: usize) {
        while self.events.len() >= capacity && self.give_up_oldest() {}
        let spill = rec.spill_bytes();
        loop {
            let len = self.events.len();
            // Room for a few at first, then doubling up to the capacity,
            // asked for exactly so that what is counted is what is taken.
            let grow = if len == self.events.capacity() {
                len.max(4).min(capacity - len)
            } else {
                0
            };
            let fixed = if self.events.capacity() == 0 {
                STORE_BYTES
            } else {
                0
            };
            let need = fixed + grow * SLOT + spill;
            // Taken before it is checked, so that requests keeping at
            // once never pass the budget together.
            if KEPT_BYTES.fetch_add(need, Ordering::Relaxed) + need <= budget {
                self.counted += need;
                self.events.reserve_exact(grow);
                self.spill += spill;
                self.events.push_back(rec);
                self.settle();
                return;
            }
            KEPT_BYTES.fetch_sub(need, Ordering::Relaxed);
            if !self.give_up_oldest() {
                self.count_given_up(&rec);
                self.settle();
                return;
            }
            self.settle();
        }
    }
}

impl Drop for Store {
    /// The request has ended without an error since its last replay: its
    /// events go unwritten, and their bytes are free again.
    fn drop(&mut self) {
        KEPT_BYTES.fetch_sub(self.counted, Ordering::Relaxed);
    }
}

/// Keeps an event that no output writes, if it is at the replay level or
/// above and logged in a request scope; drops it otherwise.
pub(crate) fn keep(mut rec: Record) {
    let Some(from) = settings::replay_level() else {
        return;
    };
    if rec.level.number() < from {
        return;
    }
    let Some(kept) = rec.context.request_extension_or_init(Kept::default) else {
        return;
    };
    let mut store = kept.0.lock().unwrap_or_else(PoisonError::into_inner);
    rec.context = rec.context.replay_copy(&mut store.copies);
    store.keep(rec, settings::replay_capacity(), settings::replay_bytes());
}

/// The events to write before `error`, an event at ERROR or above that is
/// written: what its request kept since its last replay, oldest first,
/// after a line with the count of those given up, if any. Empty outside a
/// request scope.
pub(crate) fn take(error: &Record) -> impl Iterator<Item = Record> + use<> {
    let taken = error.context.request_extension::<Kept>().map(|kept| {
        let mut store = kept.0.lock().unwrap_or_else(PoisonError::into_inner);
        let events = std::mem::take(&mut store.events);
        store.spill = 0;
        store.settle();
        let given_up = std::mem::take(&mut store.given_up);
        let notice = (given_up > 0).then(|| {
            let ctx = error.context.replay_copy(&mut store.copies);
            given_up_line(given_up, store.given_up_stamp, ctx)
        });
        (notice, events)
    });
    let (notice, events) = taken.unwrap_or_default();
    notice.into_iter().chain(events)
}

/// The line that says how many events of a request were given up, at the
/// replay level, replayed as they would have been, at the time of the
/// newest of them.
fn given_up_line(given_up: u64, stamp: u64, context: Context) -> Record {
    internal_site! {
        static GIVEN_UP_SITE: Debug,
        target = "pulselog",
        template = "{given_up} earlier events of this request were not kept for replay",
        message = [{0} " earlier events of this request were not kept for replay"],
        fields = ["given_up"],
        message_values = 0,
    }
    let level = settings::replay_level().map_or(Level::Debug, Level::from_number);
    let mut values = Encoder::new();
    values.push_u64(given_up);
    Record {
        callsite: &GIVEN_UP_SITE,
        level,
        task: false,
        stamp,
        context,
        data: values.into_data(),
        exc: None,
    }
}

#[cfg(test)]
mod tests {
    use super::{KEPT_BYTES, Kept, SLOT, STORE_BYTES, Store};
    use crate::callsite::internal_site;
    use crate::context::{Context, CopyCache};
    use crate::encode::Encoder;
    use crate::level::Level;
    use crate::record::Record;
    use std::sync::atomic::Ordering;

    fn record(n: u64, context: Context) -> Record {
        internal_site! {
            static SITE: Debug,
            target = "app",
            template = "step {n}",
            message = ["step " {0}],
            fields = ["n"],
            message_values = 0,
        }
        let mut values = Encoder::new();
        values.push_u64(n);
        Record {
            callsite: &SITE,
            level: Level::Debug,
            task: false,
            stamp: n,
            context,
            data: values.into_data(),
            exc: None,
        }
    }

    fn kept(store: &Store) -> Vec<u64> {
        store.events.iter().map(|r| r.stamp).collect()
    }

    // One test: the count of kept bytes is the process's, and no other
    // test of the library keeps events.
    #[test]
    fn a_store_keeps_within_its_bounds_and_frees_what_it_held() {
        let mut store = Store::default();
        for n in 0..5 {
            store.keep(record(n, Context::default()), 3, usize::MAX);
        }
        assert_eq!(kept(&store), [2, 3, 4], "the oldest are given up first");
        assert_eq!((store.given_up, store.given_up_stamp), (2, 1));
        assert_eq!(KEPT_BYTES.load(Ordering::Relaxed), store.bytes());
        drop(store);
        assert_eq!(KEPT_BYTES.load(Ordering::Relaxed), 0);

        // A budget of the store and four slots: the fifth gives up the first.
        let budget = STORE_BYTES + 4 * SLOT;
        let mut store = Store::default();
        for n in 0..10 {
            store.keep(record(n, Context::default()), 200, budget);
            assert!(KEPT_BYTES.load(Ordering::Relaxed) <= budget);
        }
        assert_eq!(kept(&store), [6, 7, 8, 9]);
        assert_eq!(store.given_up, 6);
        // Another request, with the budget spent, keeps nothing.
        let mut other = Store::default();
        other.keep(record(10, Context::default()), 200, budget);
        assert!(other.events.is_empty());
        assert_eq!((other.given_up, other.given_up_stamp), (1, 10));
        drop((store, other));
        assert_eq!(KEPT_BYTES.load(Ordering::Relaxed), 0);

        // Kept in the request's frame, with copies of their context: the
        // request's end frees them.
        let ctx = Context::default()
            .with_request_id("req-1")
            .with_field("user", 7);
        let store = ctx.request_extension_or_init(Kept::default).unwrap();
        let mut copies = CopyCache::default();
        {
            let mut store = store.0.lock().unwrap();
            for n in 0..3 {
                let copy = ctx.replay_copy(&mut copies);
                assert!(copy.replayed() && !ctx.replayed());
                assert_eq!(copy.request_id(), Some("req-1"));
                store.keep(record(n, copy), 200, usize::MAX);
            }
        }
        assert!(KEPT_BYTES.load(Ordering::Relaxed) > 0);
        assert!(ctx.request_extension::<Kept>().is_some());
        assert!(Context::default().request_extension::<Kept>().is_none());
        drop((store, copies, ctx));
        assert_eq!(KEPT_BYTES.load(Ordering::Relaxed), 0);
    }
}
