//! The writer thread: merges the lanes in timestamp order, formats records
//! into a batch, and writes the batch out.
//!
//! (Over 600 lines: the batch, its cutting at `PIPE_BUF`, the retries and
//! the drop reports all work on `Output`'s one state, which the loop below
//! drives; split, each part would reach into the others' fields.)
//!
//! **Writes.** A batch is written once it holds [`BATCH`] bytes, or when the
//! lanes run dry, or when a flush asks. When stdout is a pipe or a FIFO, a
//! batch goes out in writes of whole events of at most `PIPE_BUF` bytes
//! each (an event longer than that in a write of its own): the kernel never
//! splits such a write, so two processes that share the pipe never tear
//! each other's lines.
//!
//! **Errors.** A write that fails keeps its batch and is retried, from
//! where it stopped, with a backoff that grows to a quarter of a second;
//! while it fails the writer takes nothing from the lanes, so producers
//! wait as for a stuck output and give up after the block timeout, counting
//! what they drop. A producer about to give up asks for an attempt at once
//! (cutting the backoff short), and drops only if that attempt fails: an
//! output that works again (a full disk freed) is found at once, and what
//! is logged after that is written (see `queue`'s design). Each write and
//! flush call is such an attempt (`Queue::attempt`). A short write (a disk
//! filling up: part of the batch, then `ENOSPC`) counts as progress, but
//! the failure goes on until the batch is written. The first failure is
//! reported on stderr; as soon as a batch is written again, stderr says so
//! with the number of events dropped meanwhile, and the output gets a
//! WARNING line with the same count. A closed pipe (`EPIPE`: the reader has
//! gone) ends output quietly, as a program writing to `head` expects. A
//! custom writer that panics is reported on stderr and replaced by stderr.

use crate::callsite::{Callsite, internal_site};
use crate::context::Context;
use crate::diag::say;
use crate::encode::Encoder;
use crate::format::Formatter;
use crate::level::Level;
use crate::origin::Origin;
use crate::queue::{Control, Dropped, Lanes, Queue};
use crate::record::Record;
use crate::repeats::{Offer, Repeats};
use crate::sync::{thread, thread_local};
use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// A batch is written once it reaches this size (or the queue runs dry).
const BATCH: usize = 64 * 1024;

/// The longest wait between two attempts of a failing write.
const MAX_BACKOFF: Duration = Duration::from_millis(250);

/// Where lines go.
pub(crate) enum Sink {
    /// File descriptor 1; `pipe` when it is a pipe or FIFO.
    Stdout {
        pipe: bool,
    },
    /// What replaces a custom writer that panicked.
    Stderr,
    Writer(Box<dyn Write + Send>),
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sink::Stdout { pipe } => write!(f, "Stdout {{ pipe: {pipe} }}"),
            Sink::Stderr => f.write_str("Stderr"),
            Sink::Writer(_) => f.write_str("Writer"),
        }
    }
}

/// Why one write call did not go through.
enum Failure {
    Io(io::Error),
    /// The custom writer panicked.
    Panicked,
}

impl Sink {
    /// Stdout, as it is now.
    pub(crate) fn stdout() -> Sink {
        Sink::Stdout {
            pipe: stdout_is_pipe(),
        }
    }

    /// The size up to which one write reaches the reader in one piece, if
    /// writes larger than that may be interleaved with other writers'.
    fn atomic_size(&self) -> Option<usize> {
        match self {
            Sink::Stdout { pipe: true } => Some(PIPE_BUF),
            _ => None,
        }
    }

    /// One write call.
    fn write_once(&mut self, buf: &[u8]) -> Result<usize, Failure> {
        match self {
            Sink::Stdout { .. } => write_stdout(buf).map_err(Failure::Io),
            Sink::Stderr => io::stderr().write(buf).map_err(Failure::Io),
            Sink::Writer(w) => match catch_unwind(AssertUnwindSafe(|| w.write(buf))) {
                Ok(r) => r.map_err(Failure::Io),
                Err(_) => Err(Failure::Panicked),
            },
        }
    }

    fn flush(&mut self) -> Result<(), Failure> {
        match self {
            // Raw writes: nothing is buffered.
            Sink::Stdout { .. } | Sink::Stderr => Ok(()),
            Sink::Writer(w) => match catch_unwind(AssertUnwindSafe(|| w.flush())) {
                Ok(r) => r.map_err(Failure::Io),
                Err(_) => Err(Failure::Panicked),
            },
        }
    }
}

#[cfg(unix)]
const PIPE_BUF: usize = libc::PIPE_BUF;
#[cfg(not(unix))]
const PIPE_BUF: usize = 512;

#[cfg(unix)]
fn stdout_is_pipe() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::FileTypeExt;
    io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
        .is_ok_and(|m| m.file_type().is_fifo())
}

#[cfg(not(unix))]
fn stdout_is_pipe() -> bool {
    false
}

/// One `write(2)` to file descriptor 1, holding the lock of Rust's stdout
/// so that it does not interleave with a `println!` in the middle of its
/// own writes. (Through `Stdout`'s line buffer, one call could become
/// several, and a line bigger than the buffer could be split.)
#[cfg(unix)]
fn write_stdout(buf: &[u8]) -> io::Result<usize> {
    let _held = io::stdout().lock();
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes; writing to a
    // descriptor touches no memory of ours, and a closed descriptor 1 is an
    // `EBADF` error, not undefined behaviour.
    let n = unsafe { libc::write(libc::STDOUT_FILENO, buf.as_ptr().cast(), buf.len()) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

#[cfg(not(unix))]
fn write_stdout(buf: &[u8]) -> io::Result<usize> {
    io::stdout().lock().write(buf)
}

/// Formatter plus sink: what the writer thread owns, and what a caller uses
/// to write synchronously once the writer thread has stopped.
#[derive(Debug)]
pub(crate) struct Output {
    formatter: Formatter,
    sink: Sink,
    /// Set on `EPIPE`: from then on lines are discarded quietly.
    broken: bool,
    buf: Vec<u8>,
    /// Where each line in `buf` ends, and whether it is a queued event
    /// (not a report): writes are cut at these, and the queue learns of
    /// each event once its last byte is written.
    ends: Vec<End>,
    /// Queued events in `buf` (or discarded since the last write, when
    /// broken).
    events: u64,
    /// The error a write keeps failing with, until one succeeds.
    failing: Option<String>,
    /// The error the output recovered from, for the next drop report.
    recovered: Option<String>,
    /// The OTLP export, fed the same records.
    #[cfg(feature = "otlp")]
    export: Option<crate::export::Exporter>,
    /// Set when repeated events are collapsed.
    repeats: Option<Repeats>,
}

impl Output {
    pub(crate) fn new(formatter: Formatter, sink: Sink) -> Output {
        Output {
            formatter,
            sink,
            broken: false,
            buf: Vec::with_capacity(BATCH + 4096),
            ends: Vec::new(),
            events: 0,
            failing: None,
            recovered: None,
            #[cfg(feature = "otlp")]
            export: None,
            repeats: None,
        }
    }

    /// Counts events that repeat the one before instead of writing them
    /// (see [`crate::repeats`]).
    pub(crate) fn collapse_repeats(mut self, window: std::time::Duration) -> Output {
        self.repeats = Some(Repeats::new(window, self.formatter.writes_thread()));
        self
    }

    /// Sends every record to an OpenTelemetry Collector too.
    #[cfg(feature = "otlp")]
    pub(crate) fn export(mut self, exporter: crate::export::Exporter) -> Output {
        self.export = Some(exporter);
        self
    }

    /// Formats a queued event into the batch (or counts it as a repeat).
    #[inline]
    pub(crate) fn format(&mut self, rec: &Record, origin: &Origin, q: &Queue) {
        if let Some(repeats) = &mut self.repeats {
            let (write, count) = match repeats.offer(rec, origin) {
                Offer::Write(count) => (true, count),
                Offer::Repeat(count) => (false, count),
            };
            self.count_line(count, q);
            if !write {
                q.handled(1);
                return;
            }
        }
        self.line(rec, origin, q, true);
    }

    /// Writes the count of repeats not written yet, if any.
    pub(crate) fn write_count(&mut self, q: &Queue) {
        let count = self.repeats.as_mut().and_then(Repeats::take_count);
        self.count_line(count, q);
    }

    /// Writes the count of repeats that have waited for the window.
    fn write_due_count(&mut self, q: &Queue) {
        let count = self
            .repeats
            .as_mut()
            .and_then(|r| r.take_due(crate::clock::stamp()));
        self.count_line(count, q);
    }

    fn count_line(&mut self, count: Option<(Record, Origin)>, q: &Queue) {
        if let Some((count, origin)) = count {
            self.line(&count, &origin, q, false);
        }
    }

    /// One line into the batch: a queued `event`, or a line of pulselog's
    /// own made on this thread (a repeat count), which the export gets too.
    fn line(&mut self, rec: &Record, origin: &Origin, q: &Queue, event: bool) {
        if event {
            self.events += 1;
        }
        #[cfg(feature = "otlp")]
        if let Some(export) = &mut self.export {
            export.push(&crate::format::Event::new(rec), q);
        }
        #[cfg(not(feature = "otlp"))]
        let _ = q;
        if self.broken {
            return;
        }
        self.formatter.format(rec, origin, &mut self.buf);
        self.ends.push(End {
            at: self.buf.len(),
            event,
        });
    }

    fn batch_full(&self) -> bool {
        self.buf.len() >= BATCH
    }

    /// Writes the batch, retrying until it is written (or the output is
    /// closed for good); the queue learns how many events were handled.
    pub(crate) fn write_batch(&mut self, q: &Queue) {
        #[cfg(feature = "otlp")]
        if let Some(export) = &mut self.export {
            export.hand_over(q);
        }
        if self.events == 0 && self.buf.is_empty() {
            return;
        }
        if !self.broken {
            self.write_out(q);
        }
        // What is left was discarded on a closed pipe.
        q.handled(self.events);
        self.events = 0;
        self.buf.clear();
        self.ends.clear();
        if self.buf.capacity() > 4 * BATCH {
            // A huge event passed through: give the memory back.
            self.buf = Vec::with_capacity(BATCH + 4096);
        }
        if self.recovered.is_some() {
            // The output works again: say so now, with what was lost, not
            // after the backlog the failure left in the lanes (this batch
            // may have been cut in the middle of a merge).
            self.report_dropped(q);
        }
    }

    fn write_out(&mut self, q: &Queue) {
        let _in_output = q.in_output();
        let mut at = 0;
        // The first line not written out whole yet.
        let mut line = 0;
        let mut backoff = Duration::from_millis(1);
        while at < self.buf.len() {
            let end = match self.sink.atomic_size() {
                Some(max) => chunk_end(&self.ends, line, at, max),
                None => self.buf.len(),
            };
            let attempt = q.attempt();
            match self.sink.write_once(&self.buf[at..end]) {
                Ok(0) => {
                    attempt.failed();
                    self.failed(q, &io::Error::from(io::ErrorKind::WriteZero), &mut backoff);
                }
                Ok(n) => {
                    drop(attempt);
                    at += n;
                    // Progress even mid-line: a slow output that takes a
                    // long line bit by bit is not a stuck one.
                    q.made_progress();
                    let mut written = 0;
                    while let Some(e) = self.ends.get(line).filter(|e| e.at <= at) {
                        written += u64::from(e.event);
                        line += 1;
                    }
                    q.handled(written);
                    self.events -= written;
                    backoff = Duration::from_millis(1);
                    if let Some(err) = self.failing.take() {
                        self.recovered = Some(err);
                    }
                }
                Err(Failure::Io(e)) => match e.kind() {
                    io::ErrorKind::Interrupted => {}
                    io::ErrorKind::BrokenPipe => {
                        self.broken = true;
                        return;
                    }
                    // A non-blocking output whose reader is slow: wait as
                    // for a stuck one, without calling it an error.
                    io::ErrorKind::WouldBlock => {
                        attempt.failed();
                        q.pause_before_retry(backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                    _ => {
                        attempt.failed();
                        self.failed(q, &e, &mut backoff);
                    }
                },
                Err(Failure::Panicked) => {
                    say(format_args!(
                        "the configured log writer panicked; log lines go to stderr from now on"
                    ));
                    self.sink = Sink::Stderr;
                }
            }
        }
    }

    /// A write failed: say so once, then wait before the next attempt (less
    /// if a producer or a flush asks for one).
    fn failed(&mut self, q: &Queue, e: &io::Error, backoff: &mut Duration) {
        if self.failing.is_none() {
            // After a short write in this batch, the failure it recovered
            // from goes on: said once, and "works again" once, at the end.
            self.failing = self.recovered.take();
        }
        if self.failing.is_none() {
            say(format_args!(
                "writing the log output failed ({e}); retrying until it works"
            ));
            self.failing = Some(e.to_string());
        }
        q.pause_before_retry(*backoff);
        *backoff = (*backoff * 2).min(MAX_BACKOFF);
    }

    pub(crate) fn flush_sink(&mut self, q: &Queue) {
        self.write_count(q);
        #[cfg(feature = "otlp")]
        if let Some(export) = &mut self.export {
            export.flush(q);
        }
        self.write_batch(q);
        let flushed = if self.broken {
            Ok(())
        } else {
            let _in_output = q.in_output();
            // An attempt, so that a flush call that never returns is a
            // stuck output; its error, if any, the next write meets too.
            let _attempt = q.attempt();
            self.sink.flush()
        };
        if let Err(Failure::Panicked) = flushed {
            say(format_args!(
                "the configured log writer panicked; log lines go to stderr from now on"
            ));
            self.sink = Sink::Stderr;
        }
    }

    /// Formats a WARNING line per cause of the events dropped since the last
    /// report; after an output failure, stderr says it works again.
    pub(crate) fn report_dropped(&mut self, q: &Queue) {
        internal_site! {
            static DROPPED_SITE: Warning,
            target = "pulselog",
            template = "pulselog dropped {dropped} events: {reason}",
            message = ["pulselog dropped " {0} " events: " {1}],
            fields = ["dropped", "reason"],
            message_values = 0,
        }
        #[cfg(feature = "otlp")]
        internal_site! {
            static EXPORT_LOST_SITE: Warning,
            target = "pulselog",
            template = "pulselog could not export {undelivered} events: {reason}",
            message = ["pulselog could not export " {0} " events: " {1}],
            fields = ["undelivered", "reason"],
            message_values = 0,
        }
        let dropped = q.take_dropped();
        let recovered = self.recovered.take();
        if let Some(err) = &recovered {
            say(format_args!(
                "the log output works again after failing ({err}); {} events were dropped meanwhile",
                dropped.total()
            ));
        }
        #[cfg(feature = "otlp")]
        if let Some(export) = &self.export {
            for (n, reason) in export.take_lost() {
                self.report(q, &EXPORT_LOST_SITE, n, &reason);
            }
        }
        if dropped == Dropped::default() {
            return;
        }
        if dropped.full > 0 {
            self.report(q, &DROPPED_SITE, dropped.full, "the log queue was full");
        }
        if dropped.stalled > 0 {
            let timeout = q.limits().block_timeout;
            let reason = match recovered {
                Some(err) => format!("writing the output failed ({err}) for {timeout:?} or longer"),
                None => format!("the output accepted nothing for {timeout:?}"),
            };
            self.report(q, &DROPPED_SITE, dropped.stalled, &reason);
        }
    }

    /// At shutdown: waits for the export to deliver what it holds (see
    /// [`crate::export`]), then writes the reports.
    pub(crate) fn settle(&mut self, q: &Queue) {
        #[cfg(feature = "otlp")]
        if let Some(export) = &mut self.export {
            export.settle(q);
            self.report_dropped(q);
            self.write_batch(q);
        }
        #[cfg(not(feature = "otlp"))]
        let _ = q;
    }

    fn report(&mut self, q: &Queue, site: &'static Callsite, n: u64, reason: &str) {
        // The count of repeats belongs above, and the run ends here:
        // "last message" is the line before a count.
        let count = self.repeats.as_mut().and_then(Repeats::end_run);
        self.count_line(count, q);
        let mut b = Encoder::new();
        b.push_u64(n);
        b.push_str(reason);
        let rec = Record {
            callsite: site,
            level: Level::Warning,
            task: false,
            stamp: crate::clock::stamp(),
            context: Context::default(),
            data: b.into_data(),
            exc: None,
        };
        self.formatter
            .format(&rec, &Origin::default(), &mut self.buf);
        self.ends.push(End {
            at: self.buf.len(),
            event: false,
        });
    }
}

/// The end of one line in the batch.
#[derive(Debug, Clone, Copy)]
struct End {
    at: usize,
    /// A queued event, not a report of pulselog's own.
    event: bool,
}

/// The end of the next write from `at`: as many whole lines as fit in
/// `max` bytes, or the one line that starts there if it alone is longer.
/// `line` is the index of the first line that ends after `at`.
fn chunk_end(ends: &[End], line: usize, at: usize, max: usize) -> usize {
    let mut ends = ends[line..].iter().map(|e| e.at);
    let Some(mut end) = ends.next() else {
        return at + max;
    };
    for next in ends {
        if next - at > max {
            break;
        }
        end = next;
    }
    end
}

thread_local! {
    static IS_WRITER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the current thread is the writer thread (which must never wait
/// for itself, e.g. by flushing from the panic hook).
pub(crate) fn on_writer_thread() -> bool {
    IS_WRITER.try_with(std::cell::Cell::get).unwrap_or(false)
}

/// How long the writer polls the lanes after the last event before it
/// sleeps until woken, and how often: a record queued meanwhile waits at
/// most one `DOZE` (plus the timer's slack) for the writer. Each poll is a
/// timer wake-up of this thread (15–20 µs of CPU on the benchmark machine), so
/// the polling is kept short: with 20 ms of polls every 50 µs, a program
/// logging one event every 5 ms spent 14 % of a core (1.7 % without
/// polling); with these values, which cover pauses of up to 2 ms, 4.2 %
/// (one event a millisecond: 7.4 % against 7.2 %; one every 50 ms: 0.5 %
/// against 0.2 %).
/// (Under loom the writer yields one round and then sleeps at once: each
/// round would multiply the interleavings, and a doze is timing.)
const DOZE_FOR: Duration = if cfg!(loom) {
    Duration::ZERO
} else {
    Duration::from_millis(2)
};
const DOZE: Duration = Duration::from_micros(250);
/// Rounds the writer stays awake, yielding, before it dozes.
const AWAKE_ROUNDS: u32 = if cfg!(loom) { 1 } else { 32 };

/// The writer thread's loop. Returns the output so that later events can be
/// written synchronously; the lanes go back to the queue. Never inlined (it
/// is called once per writer thread): `bench callgrind` finds the writer
/// thread by this function's name.
#[inline(never)]
pub(crate) fn run(queue: &Queue, mut out: Output) -> Output {
    IS_WRITER.with(|w| w.set(true));
    let mut lanes = Lanes::default();
    let mut idle_rounds = 0u32;
    let mut idle_since = Instant::now();
    loop {
        // Requests first: every event logged before a request is in a lane
        // (or a lane waiting for adoption) by the time it is taken.
        let requests = queue.take_requests();
        queue.adopt(&mut lanes);
        let cutoff = if requests.is_empty() {
            queue.cutoff()
        } else {
            u64::MAX
        };
        let merged = lanes.merge(queue, cutoff, |rec, origin| {
            out.format(rec, origin, queue);
            if out.batch_full() {
                out.write_batch(queue);
            }
        });
        out.report_dropped(queue);
        // While events keep coming, a batch is written when full; it goes
        // out as soon as the lanes run dry (or a flush asks).
        if merged.popped == 0 || !requests.is_empty() {
            out.write_due_count(queue);
            out.write_batch(queue);
        }
        if !requests.is_empty() {
            out.flush_sink(queue);
            let mut stopped = Vec::new();
            for c in requests {
                match c {
                    Control::Flush(signal) => signal.notify(),
                    Control::Shutdown(signal) => stopped.push(signal),
                }
            }
            if !stopped.is_empty() {
                out.settle(queue);
                // Later requests wait for whoever drains after this thread.
                queue.close_requests();
                lanes.retire_finished(queue);
                queue.return_lanes(lanes);
                for signal in stopped {
                    signal.notify();
                }
                return out;
            }
        }
        if merged.popped > 0 {
            idle_rounds = 0;
            continue;
        }
        lanes.retire_finished(queue);
        if merged.pending > 0 {
            // Records younger than the grace window: take them once it has
            // passed.
            thread::sleep(queue.limits().grace.max(Duration::from_micros(10)));
            continue;
        }
        // Stay awake briefly so that a steady stream costs no wake-ups;
        // then doze, polling the lanes, for a moment after the last event,
        // so that a burst after a pause is picked up without its caller
        // waking this thread (an unpark is a system call, several µs on the
        // caller's clock: it was the p99 of every burst of 100 events);
        // only then sleep until a producer wakes it.
        idle_rounds += 1;
        if idle_rounds < AWAKE_ROUNDS {
            thread::yield_now();
        } else if idle_rounds == AWAKE_ROUNDS {
            idle_since = Instant::now();
        } else if idle_since.elapsed() < DOZE_FOR {
            thread::sleep(DOZE);
        } else {
            queue.idle(&lanes, Duration::from_millis(100));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{End, chunk_end};

    #[test]
    fn writes_are_cut_at_line_ends_within_the_atomic_size() {
        // Lines of 10, 30, 50 (longer than the size), 60 and 35 bytes.
        let ends = [10, 40, 90, 150, 185].map(|at| End { at, event: true });
        let first_after = |at: usize| ends.iter().position(|e| e.at > at).unwrap();
        let mut cuts = Vec::new();
        let mut at = 0;
        while at < 185 {
            at = chunk_end(&ends, first_after(at), at, 45);
            cuts.push(at);
        }
        assert_eq!(cuts, [40, 90, 150, 185]);
        // Resuming after a partial write, mid-line.
        assert_eq!(chunk_end(&ends, 1, 25, 45), 40);
        assert_eq!(chunk_end(&ends, 3, 120, 45), 150);
    }
}
