//! The bounded queue between log calls and the writer thread.
//!
//! A lock-free MPMC ring (`crossbeam_queue::ArrayQueue`: one CAS per push,
//! no allocation once built) carries records. The writer parks when it has
//! nothing to do; a producer wakes it only when it finds the writer asleep
//! or the ring full, so a busy logger costs no syscall per event.

use crate::config::Overflow;
use crate::record::Record;
use crossbeam_queue::ArrayQueue;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// What travels through the queue.
#[derive(Debug)]
pub(crate) enum Msg {
    Event(Record),
    /// Wakes the waiter once everything queued before it is written.
    Flush(Arc<Signal>),
    /// Ends the writer thread after everything queued before it.
    Shutdown,
}

/// A one-shot flag a thread can wait on.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    done: Mutex<bool>,
    cv: Condvar,
}

impl Signal {
    pub(crate) fn notify(&self) {
        let mut done = self
            .done
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *done = true;
        self.cv.notify_all();
    }

    /// Waits until notified or until `timeout`; true if notified.
    pub(crate) fn wait(&self, timeout: Duration) -> bool {
        let done = self
            .done
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (done, _) = self
            .cv
            .wait_timeout_while(done, timeout, |d| !*d)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *done
    }
}

#[derive(Debug)]
pub(crate) struct Queue {
    ring: ArrayQueue<Msg>,
    /// Set by the writer just before it parks.
    sleeping: AtomicBool,
    writer: OnceLock<Thread>,
    overflow: Overflow,
    block_timeout: Duration,
    /// Set when a blocked producer gave up: the output is not draining, so
    /// further producers drop at once instead of each waiting again.
    stalled: AtomicBool,
    dropped: AtomicU64,
}

impl Queue {
    pub(crate) fn new(capacity: usize, overflow: Overflow, block_timeout: Duration) -> Queue {
        Queue {
            ring: ArrayQueue::new(capacity.max(2)),
            sleeping: AtomicBool::new(false),
            writer: OnceLock::new(),
            overflow,
            block_timeout,
            stalled: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
        }
    }

    pub(crate) fn set_writer(&self, t: Thread) {
        let _ = self.writer.set(t);
    }

    /// Queues an event; never blocks longer than the configured timeout.
    #[inline]
    pub(crate) fn push(&self, rec: Record) {
        match self.ring.push(Msg::Event(rec)) {
            Ok(()) => {
                if self.sleeping.load(Ordering::Relaxed) {
                    self.wake();
                }
            }
            Err(msg) => self.push_full(msg),
        }
    }

    #[cold]
    #[inline(never)]
    fn push_full(&self, msg: Msg) {
        self.wake();
        if self.overflow == Overflow::Drop || self.stalled.load(Ordering::Relaxed) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if let Err(msg) = self.push_blocking(msg, self.block_timeout) {
            drop(msg);
            self.stalled.store(true, Ordering::Relaxed);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Pushes, waiting for room up to `timeout`; gives the message back on
    /// timeout (the caller decides whether it counts as dropped).
    #[allow(clippy::result_large_err)] // cold path; the message is moved once
    pub(crate) fn push_blocking(&self, mut msg: Msg, timeout: Duration) -> Result<(), Msg> {
        let deadline = Instant::now() + timeout;
        let mut spins = 0u32;
        loop {
            match self.ring.push(msg) {
                Ok(()) => {
                    self.wake();
                    return Ok(());
                }
                Err(m) => msg = m,
            }
            self.wake();
            spins += 1;
            if spins < 16 {
                std::hint::spin_loop();
            } else if spins < 64 {
                std::thread::yield_now();
            } else {
                if Instant::now() >= deadline {
                    return Err(msg);
                }
                std::thread::sleep(Duration::from_micros(50));
            }
        }
    }

    pub(crate) fn wake(&self) {
        if self.sleeping.swap(false, Ordering::AcqRel)
            && let Some(t) = self.writer.get()
        {
            t.unpark();
        }
    }

    pub(crate) fn pop(&self) -> Option<Msg> {
        self.ring.pop()
    }

    /// Called by the writer when it has nothing to do: parks until woken or
    /// until `timeout` (which bounds the delay of a missed wake-up).
    pub(crate) fn idle(&self, timeout: Duration) {
        self.sleeping.store(true, Ordering::SeqCst);
        if self.ring.is_empty() {
            std::thread::park_timeout(timeout);
        }
        self.sleeping.store(false, Ordering::Relaxed);
    }

    /// The writer made progress: blocked producers may wait again.
    pub(crate) fn drained(&self) {
        if self.stalled.load(Ordering::Relaxed) {
            self.stalled.store(false, Ordering::Relaxed);
        }
    }

    pub(crate) fn take_dropped(&self) -> u64 {
        if self.dropped.load(Ordering::Relaxed) == 0 {
            0
        } else {
            self.dropped.swap(0, Ordering::Relaxed)
        }
    }
}
