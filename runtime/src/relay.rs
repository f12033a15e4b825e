//! A thread of its own for one output, when there are several: the writer
//! thread formats every output's batch and hands it over here, so that an
//! output that is slow, failing or stuck (a write that never returns, a
//! peer that stops reading) never holds the others back.
//!
//! **Hand-over.** An output has at most two batches at a time: the one its
//! thread writes and the next one, which the writer fills. Handing a batch
//! over waits while the previous one is still waiting, for as long as the
//! output makes progress (a write call returns having written something);
//! once it has made none for the give-up time (the block timeout), the
//! output is **given up**: the batch is not written, its events are
//! counted as lost to this output, and so is every batch until its thread
//! takes batches again (the write under way returned). The writer thread
//! never waits for a given-up output again, so a hung output costs the
//! other outputs at most one block timeout in the life of the program.
//!
//! **Errors.** The thread retries a failing write, from where it stopped,
//! with a backoff that grows to a quarter of a second, and says on stderr
//! when it starts failing and when it works again; a closed pipe (`EPIPE`)
//! ends the output quietly; a custom writer that panics is replaced by
//! stderr. Meanwhile the other outputs go on; this one keeps its batch,
//! and loses what it cannot take once it is given up.
//!
//! **Flush.** A flush waits until the output has written what it was
//! handed and flushed its sink, for as long as it makes progress; a given-up
//! output is not waited for.
//!
//! The thread lives as long as the process (it is parked when idle): after
//! shutdown, synchronous writes still go through it.

use crate::diag::say;
use crate::sink::{End, Failure, MAX_BACKOFF, Sink, chunk_end};
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// Lines handed over to an output's thread.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) buf: Vec<u8>,
    pub(crate) ends: Vec<End>,
}

#[derive(Debug, Default)]
struct State {
    /// The batch handed over and not taken yet.
    next: Option<Batch>,
    /// Whether the thread is writing (or flushing).
    busy: bool,
    /// Flushes asked for, and done.
    flushes_asked: u64,
    flushes_done: u64,
    /// Bumped by every write call that wrote something, and every flush.
    progress: u64,
    /// An emptied batch, for the writer to fill next.
    spare: Option<Batch>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One output's thread, seen from the writer thread.
#[derive(Debug)]
pub(crate) struct Relay {
    shared: Arc<Shared>,
    /// How long an output may make no progress before it is given up.
    give_up: Duration,
    /// Set while the output is given up (see the module docs).
    given_up: bool,
    /// Lines not written because the output was given up, not reported
    /// yet.
    lost: u64,
    /// The output's name in messages (`stdout`, `output 2`, …).
    name: String,
}

impl Relay {
    /// Starts the thread that writes to `sink`.
    pub(crate) fn start(sink: Sink, name: String, give_up: Duration) -> io::Result<Relay> {
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        let their_name = name.clone();
        thread::Builder::new()
            .name("pulselog-output".into())
            .spawn(move || run(&theirs, sink, &their_name))?;
        Ok(Relay {
            shared,
            give_up,
            given_up: false,
            lost: 0,
            name,
        })
    }

    /// Hands `batch` (with `lines` lines, queued events and pulselog's own)
    /// over to the thread; gives back an empty batch to fill next.
    pub(crate) fn hand_over(&mut self, batch: Batch, lines: u64) -> Batch {
        let state = self.shared.lock();
        if self.given_up {
            if state.next.is_some() || state.busy {
                // Still stuck: this batch is lost too.
                self.lost += lines;
                return empty(batch);
            }
            self.given_up = false;
            say(format_args!(
                "the log output {} takes lines again; {} lines were not written to it",
                self.name, self.lost
            ));
        }
        let Some(mut state) = wait_while(&self.shared, state, self.give_up, |s| s.next.is_some())
        else {
            self.give_up_now();
            self.lost += lines;
            return empty(batch);
        };
        state.next = Some(batch);
        let spare = state.spare.take().unwrap_or_default();
        drop(state);
        self.shared.changed.notify_all();
        spare
    }

    /// Waits until the thread has written what it was handed and flushed
    /// the sink, for as long as it makes progress; a given-up output is not
    /// waited for.
    pub(crate) fn flush(&mut self) {
        if self.given_up {
            return;
        }
        let mut state = self.shared.lock();
        state.flushes_asked += 1;
        let asked = state.flushes_asked;
        self.shared.changed.notify_all();
        if wait_while(&self.shared, state, self.give_up, |s| {
            s.flushes_done < asked
        })
        .is_none()
        {
            self.give_up_now();
        }
    }

    /// Gives the output up (see the module docs), and says so.
    fn give_up_now(&mut self) {
        self.given_up = true;
        say(format_args!(
            "the log output {} accepted nothing for {:?}; lines for it are dropped until it does",
            self.name, self.give_up
        ));
    }

    /// Lines lost to this output since the last call.
    pub(crate) fn take_lost(&mut self) -> u64 {
        std::mem::take(&mut self.lost)
    }

    /// The output's name in messages.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// Waits while `busy` holds, for as long as the output's thread makes
/// progress; `None` once it has made none for `give_up`.
fn wait_while<'s>(
    shared: &'s Shared,
    mut state: MutexGuard<'s, State>,
    give_up: Duration,
    busy: impl Fn(&State) -> bool,
) -> Option<MutexGuard<'s, State>> {
    let mut seen = state.progress;
    let mut since = Instant::now();
    while busy(&state) {
        (state, _) = shared
            .changed
            .wait_timeout(state, Duration::from_millis(10))
            .unwrap_or_else(PoisonError::into_inner);
        if state.progress != seen {
            seen = state.progress;
            since = Instant::now();
        } else if since.elapsed() >= give_up {
            return None;
        }
    }
    Some(state)
}

/// `batch`, emptied, to be filled again.
fn empty(mut batch: Batch) -> Batch {
    batch.buf.clear();
    batch.ends.clear();
    batch
}

/// The output's thread: writes each batch it is handed, and flushes when
/// asked.
fn run(shared: &Shared, mut sink: Sink, name: &str) {
    let mut broken = false;
    let mut failing: Option<String> = None;
    let mut state = shared.lock();
    loop {
        if let Some(mut batch) = state.next.take() {
            state.busy = true;
            drop(state);
            // The writer may fill and hand over the next batch meanwhile.
            shared.changed.notify_all();
            if !broken {
                broken = write_all(shared, &mut sink, &batch, name, &mut failing);
            }
            batch.buf.clear();
            batch.ends.clear();
            if batch.buf.capacity() > 4 * (64 << 10) {
                // A huge event passed through: give the memory back.
                batch = Batch::default();
            }
            state = shared.lock();
            state.busy = false;
            state.spare = Some(batch);
            shared.changed.notify_all();
            continue;
        }
        if state.flushes_done < state.flushes_asked {
            let asked = state.flushes_asked;
            state.busy = true;
            drop(state);
            if !broken && let Err(Failure::Panicked) = sink.flush() {
                panicked(&mut sink, name);
            }
            state = shared.lock();
            state.busy = false;
            state.progress += 1;
            state.flushes_done = asked;
            shared.changed.notify_all();
            continue;
        }
        state = shared
            .changed
            .wait(state)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// Writes `batch` whole (cut at the sink's atomic size), retrying a failing
/// write with a backoff; true if the output is closed for good (`EPIPE`).
fn write_all(
    shared: &Shared,
    sink: &mut Sink,
    batch: &Batch,
    name: &str,
    failing: &mut Option<String>,
) -> bool {
    let mut at = 0;
    let mut line = 0;
    let mut backoff = Duration::from_millis(1);
    while at < batch.buf.len() {
        let end = match sink.atomic_size() {
            Some(max) => chunk_end(&batch.ends, line, at, max),
            None => batch.buf.len(),
        };
        match sink.write_once(&batch.buf[at..end]) {
            Ok(n) if n > 0 => {
                at += n;
                while batch.ends.get(line).is_some_and(|e| e.at <= at) {
                    line += 1;
                }
                shared.lock().progress += 1;
                shared.changed.notify_all();
                backoff = Duration::from_millis(1);
                if let Some(err) = failing.take() {
                    say(format_args!(
                        "the log output {name} works again after failing ({err})"
                    ));
                }
            }
            Ok(_) => retry(
                &io::Error::from(io::ErrorKind::WriteZero),
                name,
                failing,
                &mut backoff,
            ),
            Err(Failure::Io(e)) => match e.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::BrokenPipe => return true,
                io::ErrorKind::WouldBlock => {
                    thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                _ => retry(&e, name, failing, &mut backoff),
            },
            Err(Failure::Panicked) => panicked(sink, name),
        }
    }
    false
}

/// A write failed: say so once, then wait before the next attempt.
fn retry(e: &io::Error, name: &str, failing: &mut Option<String>, backoff: &mut Duration) {
    if failing.is_none() {
        say(format_args!(
            "writing the log output {name} failed ({e}); retrying until it works"
        ));
        *failing = Some(e.to_string());
    }
    thread::sleep(*backoff);
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
}

fn panicked(sink: &mut Sink, name: &str) {
    say(format_args!(
        "the log writer of output {name} panicked; its lines go to stderr from now on"
    ));
    *sink = Sink::stderr();
}
