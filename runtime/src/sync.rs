//! The synchronization the pipeline is built on: `std`'s atomics, locks,
//! threads and thread-locals, and `rtrb`'s rings, or under `cfg(loom)` the
//! `loom` model checker's, so that the loom models (`queue::loom`,
//! `logger::loom`) run the production queue, writer and logger rather than
//! a copy of them (tokio's `tokio/src/loom/` does the same). A normal build
//! only re-exports: the code it compiles is the same as with the `std` and
//! `rtrb` paths written out.
//!
//! Under loom:
//! - **A timeout never fires.** `park_timeout` parks until unparked,
//!   `Condvar::wait_timeout_while` waits until the condition is false, and
//!   `sleep` yields. Every timeout in the pipeline bounds the delay of a
//!   wake-up that could be missed (or gives up on a stuck output, which no
//!   model has): with none, a wake-up the protocol misses leaves a thread
//!   asleep for good, and loom reports the deadlock. Whatever the models
//!   check therefore holds without the timeouts.
//! - **The rings are a small copy of `rtrb`'s** ([`ring`]: the same
//!   positions published with release and read with acquire), on loom's
//!   atomics, so that loom sees what a ring makes visible and when.
//! - **`OnceLock` stays `std`'s** (loom has none): loom does not see the
//!   synchronization of the writer's and a blocked producer's `Thread`
//!   handles, which are set once before they are read.
//! - The writer's and a blocked producer's spinning, yielding and dozing
//!   before they park are cut to a round or none (their constants say so):
//!   they only shorten waits, and each round would multiply the
//!   interleavings.

#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
#[cfg(not(loom))]
pub(crate) use std::thread_local;

#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use std::sync::{OnceLock, PoisonError};

/// `loom::thread_local!`, which takes the value `const { … }` holds (its
/// `expr` fragment, of edition 2021, does not take a `const` block).
#[cfg(loom)]
macro_rules! loom_thread_local {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = const { $init:expr } $(;)?) => {
        ::loom::thread_local!($(#[$attr])* $vis static $name: $t = $init);
    };
}
#[cfg(loom)]
pub(crate) use loom_thread_local as thread_local;

pub(crate) mod atomic {
    #[cfg(not(loom))]
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};

    #[cfg(loom)]
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
}

pub(crate) mod thread {
    #[cfg(not(loom))]
    pub(crate) use std::thread::{
        Builder, JoinHandle, Thread, current, park_timeout, sleep, yield_now,
    };

    #[cfg(loom)]
    pub(crate) use loom::thread::{Builder, JoinHandle, Thread, current, yield_now};

    /// Parks until unparked: under loom a timeout never fires (see the
    /// module docs).
    #[cfg(loom)]
    pub(crate) fn park_timeout(_: std::time::Duration) {
        loom::thread::park();
    }

    /// Yields: loom has no time.
    #[cfg(loom)]
    pub(crate) fn sleep(_: std::time::Duration) {
        loom::thread::yield_now();
    }
}

/// `std`'s `Condvar` with the waits the pipeline uses, on loom's, whose
/// timeout never fires.
#[cfg(loom)]
#[derive(Debug, Default)]
pub(crate) struct Condvar(loom::sync::Condvar);

#[cfg(loom)]
impl Condvar {
    pub(crate) fn new() -> Condvar {
        Condvar(loom::sync::Condvar::new())
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }

    pub(crate) fn wait<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
    ) -> std::sync::LockResult<MutexGuard<'a, T>> {
        self.0.wait(guard)
    }

    pub(crate) fn wait_while<'a, T>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: impl FnMut(&mut T) -> bool,
    ) -> std::sync::LockResult<MutexGuard<'a, T>> {
        while condition(&mut guard) {
            guard = self.0.wait(guard)?;
        }
        Ok(guard)
    }

    /// Waits while `condition` holds, for ever: the `bool` (timed out) is
    /// always false.
    pub(crate) fn wait_timeout_while<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        _: std::time::Duration,
        condition: impl FnMut(&mut T) -> bool,
    ) -> std::sync::LockResult<(MutexGuard<'a, T>, bool)> {
        match self.wait_while(guard, condition) {
            Ok(guard) => Ok((guard, false)),
            Err(e) => Err(PoisonError::new((e.into_inner(), false))),
        }
    }
}

/// Single-producer single-consumer rings: `rtrb`'s, or under loom a copy
/// of the part the queue uses on loom's atomics.
pub(crate) mod ring {
    #[cfg(not(loom))]
    pub(crate) use rtrb::{Consumer, Producer, PushError, RingBuffer};

    #[cfg(loom)]
    pub(crate) use loom_ring::{Consumer, Producer, PushError, RingBuffer};

    /// `rtrb`'s ring as the queue uses it: the producer writes slots, then
    /// publishes its position (`tail`) with release; the consumer reads
    /// `tail` with acquire, reads the slots, and gives them back by
    /// publishing its own position (`head`) with release, which the
    /// producer reads with acquire. Positions count from zero and are
    /// taken modulo the capacity (a model pushes a handful of events).
    #[cfg(loom)]
    mod loom_ring {
        use loom::sync::Arc;
        use loom::sync::atomic::{AtomicUsize, Ordering};
        use std::cell::UnsafeCell;
        use std::mem::MaybeUninit;

        pub(crate) struct RingBuffer<T> {
            slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
            head: AtomicUsize,
            tail: AtomicUsize,
        }

        // SAFETY: a slot is written only by the producer, before it
        // publishes it (release on `tail`), and read or dropped only by the
        // consumer after it has read that `tail` (acquire) and before it
        // gives it back (release on `head`, which the producer acquires
        // before writing the slot again): no slot is ever accessed by both
        // at once, as in `rtrb`, which is `Sync` for the same reason.
        unsafe impl<T: Send> Sync for RingBuffer<T> {}

        pub(crate) enum PushError<T> {
            Full(T),
        }

        /// Too few slots (to read or to write).
        #[derive(Debug)]
        pub(crate) struct TooFew;

        impl<T> RingBuffer<T> {
            #[allow(clippy::new_ret_no_self)]
            pub(crate) fn new(capacity: usize) -> (Producer<T>, Consumer<T>) {
                let buffer = Arc::new(RingBuffer {
                    slots: (0..capacity)
                        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                        .collect(),
                    head: AtomicUsize::new(0),
                    tail: AtomicUsize::new(0),
                });
                let producer = Producer {
                    buffer: Arc::clone(&buffer),
                    tail: 0,
                };
                (producer, Consumer { buffer, head: 0 })
            }

            pub(crate) fn capacity(&self) -> usize {
                self.slots.len()
            }

            /// The slot of position `at`, and how many slots follow it
            /// (itself included) before the ring wraps.
            fn slot(&self, at: usize) -> (*mut MaybeUninit<T>, usize) {
                let i = at % self.slots.len();
                (self.slots[i].get(), self.slots.len() - i)
            }
        }

        impl<T> Drop for RingBuffer<T> {
            fn drop(&mut self) {
                let head = self.head.with_mut(|h| *h);
                let tail = self.tail.with_mut(|t| *t);
                for at in head..tail {
                    // SAFETY: the slots between the positions were written
                    // and not read; nothing else holds the ring any more.
                    unsafe { (*self.slot(at).0).assume_init_drop() };
                }
            }
        }

        pub(crate) struct Producer<T> {
            buffer: Arc<RingBuffer<T>>,
            tail: usize,
        }

        impl<T> Producer<T> {
            pub(crate) fn buffer(&self) -> &RingBuffer<T> {
                &self.buffer
            }

            fn free(&self) -> usize {
                let head = self.buffer.head.load(Ordering::Acquire);
                self.buffer.capacity() - (self.tail - head)
            }

            pub(crate) fn push(&mut self, value: T) -> Result<(), PushError<T>> {
                if self.free() == 0 {
                    return Err(PushError::Full(value));
                }
                // SAFETY: the slot is free (its position is at or past
                // `head` + capacity) and only this producer writes slots.
                unsafe { (*self.buffer.slot(self.tail).0).write(value) };
                self.tail += 1;
                self.buffer.tail.store(self.tail, Ordering::Release);
                Ok(())
            }

            pub(crate) fn write_chunk_uninit(
                &mut self,
                n: usize,
            ) -> Result<WriteChunkUninit<'_, T>, TooFew> {
                if self.free() < n {
                    return Err(TooFew);
                }
                Ok(WriteChunkUninit { producer: self, n })
            }
        }

        pub(crate) struct WriteChunkUninit<'a, T> {
            producer: &'a mut Producer<T>,
            n: usize,
        }

        impl<T> WriteChunkUninit<'_, T> {
            pub(crate) fn as_mut_slices(
                &mut self,
            ) -> (&mut [MaybeUninit<T>], &mut [MaybeUninit<T>]) {
                let p = &*self.producer;
                let (first, to_end) = p.buffer.slot(p.tail);
                let (second, _) = p.buffer.slot(p.tail + to_end);
                let a = self.n.min(to_end);
                // SAFETY: the `n` slots from `tail` are free (checked by
                // `write_chunk_uninit`) and only this producer, borrowed
                // mutably, accesses them; `UnsafeCell<MaybeUninit<T>>` has
                // the layout of `MaybeUninit<T>`, so the slots of the
                // boxed slice are contiguous ones; the second slice starts
                // at the ring's first slot.
                unsafe {
                    (
                        std::slice::from_raw_parts_mut(first, a),
                        std::slice::from_raw_parts_mut(second, self.n - a),
                    )
                }
            }

            /// # Safety
            /// Every slot of the chunk has been written.
            pub(crate) unsafe fn commit_all(self) {
                self.producer.tail += self.n;
                let tail = self.producer.tail;
                self.producer.buffer.tail.store(tail, Ordering::Release);
            }
        }

        pub(crate) struct Consumer<T> {
            buffer: Arc<RingBuffer<T>>,
            head: usize,
        }

        impl<T> std::fmt::Debug for Consumer<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("Consumer")
                    .field("head", &self.head)
                    .finish_non_exhaustive()
            }
        }

        impl<T> Consumer<T> {
            pub(crate) fn slots(&self) -> usize {
                self.buffer.tail.load(Ordering::Acquire) - self.head
            }

            pub(crate) fn is_empty(&self) -> bool {
                self.slots() == 0
            }

            pub(crate) fn peek(&self) -> Result<&T, TooFew> {
                if self.is_empty() {
                    return Err(TooFew);
                }
                // SAFETY: the slot at `head` was published (the acquire
                // load above read a `tail` past it) and not given back.
                Ok(unsafe { (*self.buffer.slot(self.head).0).assume_init_ref() })
            }

            pub(crate) fn read_chunk(&mut self, n: usize) -> Result<ReadChunk<'_, T>, TooFew> {
                if self.slots() < n {
                    return Err(TooFew);
                }
                Ok(ReadChunk { consumer: self, n })
            }
        }

        pub(crate) struct ReadChunk<'a, T> {
            consumer: &'a mut Consumer<T>,
            n: usize,
        }

        impl<T> ReadChunk<'_, T> {
            pub(crate) fn as_slices(&self) -> (&[T], &[T]) {
                let c = &*self.consumer;
                let (first, to_end) = c.buffer.slot(c.head);
                let (second, _) = c.buffer.slot(c.head + to_end);
                let a = self.n.min(to_end);
                // SAFETY: the `n` slots from `head` were published (checked
                // by `read_chunk`) and stay until `commit`, which takes the
                // chunk; contiguous as in `as_mut_slices`.
                unsafe {
                    (
                        std::slice::from_raw_parts(first.cast::<T>(), a),
                        std::slice::from_raw_parts(second.cast::<T>(), self.n - a),
                    )
                }
            }

            /// Drops the first `n` events of the chunk and gives their
            /// slots back.
            pub(crate) fn commit(self, n: usize) {
                let c = self.consumer;
                for at in c.head..c.head + n.min(self.n) {
                    // SAFETY: a published slot of this chunk, dropped once:
                    // `head` moves past it below.
                    unsafe { (*c.buffer.slot(at).0).assume_init_drop() };
                }
                c.head += n.min(self.n);
                c.buffer.head.store(c.head, Ordering::Release);
            }
        }
    }
}

/// Checks `f` under every interleaving within a preemption bound
/// (`LOOM_MAX_PREEMPTIONS` overrides `bound`), and prints how many there
/// were (`--nocapture` shows them).
#[cfg(all(test, loom))]
pub(crate) fn model(name: &str, bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let explored = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&explored);
    let mut builder = loom::model::Builder::new();
    let bound = *builder.preemption_bound.get_or_insert(bound);
    builder.check(move || {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f();
    });
    println!(
        "loom {name}: {} interleavings, preemption bound {bound}",
        explored.load(std::sync::atomic::Ordering::Relaxed),
    );
}
