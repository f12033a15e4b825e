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
use crate::filter::Filter;
use crate::format::{Event, Formatter};
use crate::level::Level;
use crate::origin::Origin;
use crate::queue::{Control, Dropped, Lanes, Queue};
use crate::record::Record;
use crate::relay::{Batch, Relay};
use crate::repeats::{Offer, Repeats};
pub(crate) use crate::sink::Sink;
use crate::sink::{End, Failure, MAX_BACKOFF, chunk_end};
use crate::sync::{thread, thread_local};
use std::io;
use std::time::{Duration, Instant};

/// A batch is written once it reaches this size (or the queue runs dry).
const BATCH: usize = 64 * 1024;

/// One destination: its formatter, its sink, its filter, its batch, its
/// retries and its accounting (a `crate::Output` at install).
#[derive(Debug)]
struct Channel {
    formatter: Formatter,
    sink: Sink,
    /// Its own filter; `None`: the process filter.
    filter: Option<Filter>,
    /// Whether it tells the queue of the events it writes: the only
    /// channel does; with several, [`Output`] does once all have written.
    counts: bool,
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
    /// The thread this channel's batches are handed to, when there are
    /// several channels (see [`crate::relay`]); else the writer thread
    /// writes them.
    relay: Option<Relay>,
    /// Whether it writes lines (an OTLP export's channel takes the records
    /// only).
    lines: bool,
    /// Set when the thread that logs writes (synchronous writes): how long
    /// a failing output is retried before the batch is dropped. The
    /// writer thread retries for as long as it takes (its producers give
    /// up instead); a caller cannot be kept for ever.
    give_up: Option<Duration>,
    /// Set once a batch was given up on, until a write succeeds: a failing
    /// output is then tried once per batch, without waiting.
    given_up: bool,
    /// The rest of a line a given-up batch had begun to write: written
    /// first when the output works again, so that no line is cut short
    /// (the lines after it were dropped). Whether it is a queued event.
    torn: Option<(Vec<u8>, bool)>,
}

impl Channel {
    fn new(formatter: Formatter, sink: Sink, filter: Option<Filter>) -> Channel {
        #[cfg(feature = "otlp")]
        let lines = !matches!(sink, Sink::None);
        #[cfg(not(feature = "otlp"))]
        let lines = true;
        Channel {
            formatter,
            sink,
            filter,
            counts: true,
            broken: false,
            buf: Vec::with_capacity(BATCH + 4096),
            ends: Vec::new(),
            events: 0,
            failing: None,
            recovered: None,
            #[cfg(feature = "otlp")]
            export: None,
            repeats: None,
            relay: None,
            lines,
            give_up: None,
            given_up: false,
            torn: None,
        }
    }

    /// Counts events that repeat the one before instead of writing them
    /// (see [`crate::repeats`]).
    fn collapse_repeats(&mut self, window: std::time::Duration) {
        self.repeats = Some(Repeats::new(window, self.formatter.writes_thread()));
    }

    /// The same channel for a child after `fork()` (see `crate::logger`):
    /// the same format, filter and repeat window, an empty batch, no
    /// export; `None` for a sink the child cannot use (see
    /// [`Output::for_child`]).
    fn for_child(&self) -> Option<Channel> {
        let sink = match self.sink {
            Sink::Stdout { .. } => Sink::stdout(),
            Sink::Stderr { .. } => Sink::stderr(),
            _ => return None,
        };
        let mut c = Channel::new(self.formatter.clone(), sink, self.filter.clone());
        c.repeats = self.repeats.as_ref().map(Repeats::fresh);
        Some(c)
    }

    /// Formats a queued event into the batch (or counts it as a repeat).
    #[inline]
    fn format(&mut self, rec: &Record, origin: &Origin, q: &Queue) {
        if let Some(repeats) = &mut self.repeats {
            let (write, count) = match repeats.offer(rec, origin) {
                Offer::Write(count) => (true, count),
                Offer::Repeat(count) => (false, count),
            };
            self.count_line(count, q);
            if !write {
                if self.counts {
                    q.handled(1);
                }
                return;
            }
        }
        self.line(rec, origin, q, true);
    }

    /// A queued event's line, from its view made once for every channel
    /// (a channel that collapses repeats or writes no lines goes through
    /// [`Channel::format`]).
    fn event_line(&mut self, rec: &Record, event: &Event<'_>, q: &Queue) {
        self.events += 1;
        #[cfg(feature = "otlp")]
        if let Some(export) = &mut self.export {
            export.push(&crate::format::Event::new(rec), q);
        }
        #[cfg(not(feature = "otlp"))]
        let _ = (rec, q);
        if self.broken {
            return;
        }
        self.formatter.format_event(event, &mut self.buf);
        self.ends.push(End {
            at: self.buf.len(),
            event: true,
        });
    }

    /// Writes the count of repeats not written yet, if any.
    fn write_count(&mut self, q: &Queue) {
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
    /// Inlined into the merge's loop (called there, it cost the W1 writer
    /// 45 instructions a line more, by callgrind).
    #[inline(always)]
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
        if self.broken || !self.lines {
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
    fn write_batch(&mut self, q: &Queue) {
        #[cfg(feature = "otlp")]
        if let Some(export) = &mut self.export {
            export.hand_over(q);
        }
        if self.events == 0 && self.buf.is_empty() && self.torn.is_none() {
            return;
        }
        if let Some(relay) = &mut self.relay {
            let lines = self.ends.len() as u64;
            let batch = Batch {
                buf: std::mem::take(&mut self.buf),
                ends: std::mem::take(&mut self.ends),
            };
            let spare = relay.hand_over(batch, lines);
            (self.buf, self.ends) = (spare.buf, spare.ends);
            if self.buf.capacity() == 0 {
                self.buf.reserve(BATCH + 4096);
            }
            self.events = 0;
            return;
        }
        if !self.broken {
            self.write_out(q);
        }
        // What is left was discarded on a closed pipe.
        if self.counts {
            q.handled(self.events);
        }
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
            // may have been cut in the middle of a merge). Only a channel
            // the writer thread writes gets here: the only one.
            self.report_dropped(q, q.take_dropped());
        }
    }

    fn write_out(&mut self, q: &Queue) {
        let _in_output = q.in_output();
        let mut at = 0;
        // The first line not written out whole yet.
        let mut line = 0;
        let mut backoff = Duration::from_millis(1);
        let mut since = std::time::Instant::now();
        // The rest of a line begun before: first, and begun already.
        let carried = self.torn.take().map(|(rest, event)| {
            self.buf.splice(0..0, rest.iter().copied());
            for e in &mut self.ends {
                e.at += rest.len();
            }
            self.ends.insert(
                0,
                End {
                    at: rest.len(),
                    event,
                },
            );
            self.events += u64::from(event);
        });
        while at < self.buf.len() {
            let end = match self.sink.atomic_size() {
                Some(max) => chunk_end(&self.ends, line, at, max),
                None => self.buf.len(),
            };
            let attempt = q.attempt();
            match self.sink.write_once(&self.buf[at..end]) {
                Ok(0) => {
                    attempt.failed();
                    if self.stop_trying(since) {
                        self.give_up_batch(q, at, line, carried.is_some());
                        return;
                    }
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
                    if self.counts {
                        q.handled(written);
                    }
                    self.events -= written;
                    backoff = Duration::from_millis(1);
                    since = std::time::Instant::now();
                    self.given_up = false;
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
                        if self.stop_trying(since) {
                            self.give_up_batch(q, at, line, carried.is_some());
                            return;
                        }
                        self.failed(q, &e, &mut backoff);
                    }
                },
                Err(Failure::Panicked) => {
                    say(format_args!(
                        "the configured log writer panicked; log lines go to stderr from now on"
                    ));
                    self.sink = Sink::stderr();
                }
            }
        }
    }

    /// Whether to stop retrying a failing output: with synchronous writes,
    /// once it failed for the whole block timeout (and from then on at
    /// its first failure, until a write succeeds).
    fn stop_trying(&self, since: std::time::Instant) -> bool {
        self.failing.is_some()
            && self
                .give_up
                .is_some_and(|limit| self.given_up || since.elapsed() >= limit)
    }

    /// Synchronous writes, after the output failed for the whole block
    /// timeout: the caller goes on. The events left are counted as lost
    /// to a stalled output, except a line begun: its rest waits for the
    /// output to work again.
    #[cold]
    fn give_up_batch(&mut self, q: &Queue, at: usize, line: usize, carried: bool) {
        self.given_up = true;
        let mut lost = self.events;
        let start = match line {
            0 => 0,
            _ => self.ends[line - 1].at,
        };
        if (at > start || line == 0 && carried)
            && let Some(end) = self.ends.get(line)
        {
            self.torn = Some((self.buf[at..end.at].to_vec(), end.event));
            lost -= u64::from(end.event);
        }
        for _ in 0..lost {
            q.count_dropped(true);
        }
        self.events = 0;
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

    fn flush_sink(&mut self, q: &Queue) {
        self.write_count(q);
        #[cfg(feature = "otlp")]
        if let Some(export) = &mut self.export {
            export.flush(q);
        }
        self.write_batch(q);
        if let Some(relay) = &mut self.relay {
            relay.flush();
            return;
        }
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
            self.sink = Sink::stderr();
        }
    }

    /// Formats a WARNING line per cause of the events dropped since the last
    /// report; after an output failure, stderr says it works again.
    fn report_dropped(&mut self, q: &Queue, dropped: Dropped) {
        internal_site! {
            static DROPPED_SITE: Warning,
            target = "pulselog",
            template = "pulselog dropped {dropped} events: {reason}",
            message = ["pulselog dropped " {0} " events: " {1}],
            fields = ["dropped", "reason"],
            message_values = 0,
        }
        let recovered = self.recovered.take();
        if let Some(err) = &recovered {
            say(format_args!(
                "the log output works again after failing ({err}); {} events were dropped meanwhile",
                dropped.total()
            ));
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
    /// [`crate::export`]); true if there is one (its losses are then
    /// reported).
    fn settle_export(&mut self, q: &Queue) -> bool {
        #[cfg(feature = "otlp")]
        if let Some(export) = &mut self.export {
            export.settle(q);
            return true;
        }
        let _ = q;
        false
    }

    /// This event's line, copied from a channel of the same format.
    fn copy_line(&mut self, line: &[u8]) {
        self.events += 1;
        if self.broken {
            return;
        }
        self.buf.extend_from_slice(line);
        self.ends.push(End {
            at: self.buf.len(),
            event: true,
        });
    }

    /// Where the last line in the batch starts and ends.
    fn last_line(&self) -> Option<(usize, usize)> {
        let end = self.ends.last()?;
        let start = self
            .ends
            .len()
            .checked_sub(2)
            .map_or(0, |i| self.ends[i].at);
        Some((start, end.at))
    }

    /// Whether this channel writes an event at `level` from `target`
    /// (`replayed`: kept for replay on error, which writes what the
    /// process filter left out).
    fn wants(&self, target: &str, level: Level, replayed: bool) -> bool {
        match &self.filter {
            Some(f) => f.enabled(target, level),
            None => {
                replayed
                    || crate::settings::filter()
                        .as_ref()
                        .is_none_or(|f| f.enabled(target, level))
            }
        }
    }

    fn report(&mut self, q: &Queue, site: &'static Callsite, n: u64, reason: &str) {
        if !self.lines {
            return;
        }
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

/// The outputs the writer thread owns, and a caller uses to write
/// synchronously once the writer thread has stopped: one channel per
/// `crate::Output` (stdout alone by default). A queued event goes to every
/// channel whose filter wants it, formatted once per distinct format: a
/// channel whose format is configured like an earlier one's copies that
/// one's line. With several channels, the queue learns that events are
/// written once every channel has written its batch.
#[derive(Debug)]
pub(crate) struct Output {
    channels: Vec<Channel>,
    /// For each channel, an earlier one with the same format.
    share: Vec<Option<usize>>,
    /// Where the current event's line is in each channel's batch.
    took: Vec<Option<(usize, usize)>>,
    /// Each channel's format, as a key equal for formats that write the
    /// same lines.
    keys: Vec<String>,
    /// Whether channels ask a filter per event: one has its own.
    filtered: bool,
    /// Queued events since the queue last learnt of written ones (several
    /// channels).
    events: u64,
}

impl Output {
    /// One channel: `formatter` into `sink`, under the process filter.
    #[cfg(all(test, loom))]
    pub(crate) fn new(formatter: Formatter, sink: Sink) -> Output {
        let mut out = Output::empty();
        out.add(formatter, sink, None, String::new());
        out
    }

    /// For writes on the thread that logs: a failing output is retried
    /// for `limit` at most, then the batch is dropped and counted.
    pub(crate) fn give_up_after(&mut self, limit: Duration) {
        for c in &mut self.channels {
            c.give_up = Some(limit);
        }
    }

    /// No channel yet (see [`Output::add`]).
    pub(crate) fn empty() -> Output {
        Output {
            channels: Vec::new(),
            share: Vec::new(),
            took: Vec::new(),
            keys: Vec::new(),
            filtered: false,
            events: 0,
        }
    }

    /// Adds a channel: `formatter` into `sink`, under `filter` (`None`: the
    /// process filter). `key` names its format: channels with equal keys
    /// share their lines.
    pub(crate) fn add(
        &mut self,
        formatter: Formatter,
        sink: Sink,
        filter: Option<Filter>,
        key: String,
    ) {
        self.push(Channel::new(formatter, sink, filter), key);
    }

    fn push(&mut self, channel: Channel, key: String) {
        // Repeats are collapsed per channel, from the events it gets: a
        // channel that collapses writes lines of its own.
        let share = if channel.repeats.is_some() {
            None
        } else {
            self.keys.iter().position(|k| *k == key)
        };
        self.share.push(share);
        self.keys.push(key);
        self.channels.push(channel);
        self.took.push(None);
        // Per event, a filter is asked only when some channel has one of
        // its own: the others then follow the process filter.
        self.filtered = self.channels.iter().any(|c| c.filter.is_some());
        let several = self.channels.len() > 1;
        for c in &mut self.channels {
            c.counts = !several;
        }
    }

    /// The filters of the channels that have their own, and whether any
    /// channel follows the process filter: a call site is enabled when any
    /// channel wants its events.
    pub(crate) fn filters(&self) -> (Vec<Filter>, bool) {
        let own = self
            .channels
            .iter()
            .filter_map(|c| c.filter.clone())
            .collect();
        let follow = self.channels.iter().any(|c| c.filter.is_none());
        (own, follow)
    }

    /// Whether lines need the id of the task that logged.
    pub(crate) fn wants_task(&self) -> bool {
        self.channels.iter().any(|c| c.formatter.wants_task())
    }

    /// The outputs of a child after `fork()`, made from these: the stdout
    /// and stderr channels, with the same formats, filters and repeat
    /// windows, empty batches and no export. A file, a custom writer or a
    /// syslog connection belongs to the parent's writer thread, which the
    /// child does not have: such channels are left out, and when no other
    /// remains, the child writes to stderr in the first one's format.
    pub(crate) fn for_child(&self) -> Output {
        let mut out = Output::empty();
        for (c, key) in self.channels.iter().zip(&self.keys) {
            if let Some(child) = c.for_child() {
                out.push(child, key.clone());
            }
        }
        if out.channels.is_empty()
            && let Some(first) = self.channels.first()
        {
            let mut c = Channel::new(
                first.formatter.clone(),
                Sink::stderr(),
                first.filter.clone(),
            );
            c.repeats = first.repeats.as_ref().map(Repeats::fresh);
            out.push(c, String::new());
        }
        out
    }

    /// Whether some channel writes where a child after `fork()` cannot.
    pub(crate) fn is_custom(&self) -> bool {
        self.channels
            .iter()
            .any(|c| matches!(c.sink, Sink::Writer(_) | Sink::Syslog(_)))
    }

    /// Counts events that repeat the one before instead of writing them
    /// (see [`crate::repeats`]), in every channel; channels then format
    /// their own lines.
    pub(crate) fn collapse_repeats(mut self, window: std::time::Duration) -> Output {
        for c in &mut self.channels {
            c.collapse_repeats(window);
        }
        self.share.fill(None);
        self
    }

    /// Adds a channel that sends the records it wants to an OpenTelemetry
    /// Collector (`formatter` is never run: only `wants_task` and the like
    /// read it), under `filter` (`None`: the process filter).
    #[cfg(feature = "otlp")]
    pub(crate) fn add_export(
        &mut self,
        exporter: crate::export::Exporter,
        formatter: Formatter,
        filter: Option<Filter>,
        key: String,
    ) {
        let mut channel = Channel::new(formatter, Sink::None, filter);
        channel.export = Some(exporter);
        self.push(channel, key);
    }

    /// Formats a queued event into the batch of each channel that wants it;
    /// true if a batch is full after it. (Asked here, where the one channel
    /// of the common case is at hand: asked after, of every channel, it
    /// took the writer 11 instructions a line by callgrind.)
    #[inline]
    pub(crate) fn format(&mut self, rec: &Record, origin: &Origin, q: &Queue) -> bool {
        match self.channels.as_mut_slice() {
            [one] if !self.filtered => {
                one.format(rec, origin, q);
                one.batch_full()
            }
            _ => {
                self.format_each(rec, origin, q);
                self.batch_full()
            }
        }
    }

    fn format_each(&mut self, rec: &Record, origin: &Origin, q: &Queue) {
        if self.channels.len() > 1 {
            self.events += 1;
        }
        let target = rec.callsite.metadata().target;
        let mut shared: Option<Event<'_>> = None;
        for i in 0..self.channels.len() {
            self.took[i] = None;
            if self.filtered && !self.channels[i].wants(target, rec.level, rec.context.replayed()) {
                continue;
            }
            let (before, rest) = self.channels.split_at_mut(i);
            let channel = &mut rest[0];
            let lines = channel.ends.len();
            match self.share[i].and_then(|j| Some((j, self.took[j]?))) {
                Some((j, (start, end))) => channel.copy_line(&before[j].buf[start..end]),
                None if channel.repeats.is_none() && channel.lines => {
                    // The event's view (its wall time) once for every
                    // channel.
                    let event = shared.get_or_insert_with(|| Event::from_thread(rec, origin));
                    channel.event_line(rec, event, q);
                }
                None => channel.format(rec, origin, q),
            }
            if channel.ends.len() > lines {
                self.took[i] = channel.last_line();
            }
        }
    }

    fn batch_full(&self) -> bool {
        self.channels.iter().any(Channel::batch_full)
    }

    /// Writes every channel's batch; the queue learns how many events were
    /// handled.
    pub(crate) fn write_batch(&mut self, q: &Queue) {
        for c in &mut self.channels {
            c.write_batch(q);
        }
        q.handled(std::mem::take(&mut self.events));
    }

    /// Writes the counts of repeats not written yet, if any.
    pub(crate) fn write_count(&mut self, q: &Queue) {
        for c in &mut self.channels {
            c.write_count(q);
        }
    }

    /// Writes the counts of repeats that have waited for the window.
    pub(crate) fn write_due_count(&mut self, q: &Queue) {
        for c in &mut self.channels {
            c.write_due_count(q);
        }
    }

    /// Writes every batch and flushes every sink.
    pub(crate) fn flush_sink(&mut self, q: &Queue) {
        for c in &mut self.channels {
            c.flush_sink(q);
        }
        q.handled(std::mem::take(&mut self.events));
    }

    /// With several channels, gives each a thread of its own (see
    /// [`crate::relay`]), given up after `give_up` without progress. If a
    /// thread cannot start, its channel stays on the writer thread.
    pub(crate) fn start_relays(&mut self, give_up: Duration) {
        if self.channels.iter().filter(|c| c.lines).count() < 2 {
            return;
        }
        for (i, c) in self.channels.iter_mut().enumerate() {
            if c.relay.is_some() || !c.lines {
                continue;
            }
            let name = match c.sink {
                Sink::Stdout { .. } => "stdout".to_owned(),
                Sink::Stderr { .. } => "stderr".to_owned(),
                Sink::Writer(_) => format!("{} (a writer)", i + 1),
                Sink::Syslog(_) => format!("{} (syslog)", i + 1),
                #[cfg(feature = "otlp")]
                Sink::None => continue,
            };
            let sink = std::mem::replace(&mut c.sink, Sink::stderr());
            match Relay::start(sink, name, give_up) {
                Ok(relay) => c.relay = Some(relay),
                Err(e) => say(format_args!(
                    "the thread of log output {} could not start ({e}); the writer thread writes it",
                    i + 1
                )),
            }
        }
    }

    /// Formats a WARNING line per cause of the events dropped since the
    /// last report, in every channel; and one per channel that lost lines
    /// because it was given up, in every channel.
    pub(crate) fn report_dropped(&mut self, q: &Queue) {
        internal_site! {
            static LOST_SITE: Warning,
            target = "pulselog",
            template = "pulselog could not write {lost} lines to output {output}: it accepted nothing for too long",
            message = ["pulselog could not write " {0} " lines to output " {1} ": it accepted nothing for too long"],
            fields = ["lost", "output"],
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
        // An output given up on (synchronous writes) would lose the report
        // too: it is made when the output works again, with the cause.
        let dropped = if self.channels.iter().any(|c| c.given_up) {
            Dropped::default()
        } else {
            q.take_dropped()
        };
        for c in &mut self.channels {
            c.report_dropped(q, dropped);
        }
        // What an export could not deliver, on the outputs that write
        // lines.
        #[cfg(feature = "otlp")]
        {
            let lost: Vec<(u64, String)> = self
                .channels
                .iter()
                .filter_map(|c| c.export.as_ref())
                .flat_map(crate::export::Exporter::take_lost)
                .collect();
            for (n, reason) in lost {
                for c in &mut self.channels {
                    c.report(q, &EXPORT_LOST_SITE, n, &reason);
                }
            }
        }
        let lost: Vec<(u64, String)> = self
            .channels
            .iter_mut()
            .filter_map(|c| c.relay.as_mut())
            .filter_map(|r| {
                let n = r.take_lost();
                (n > 0).then(|| (n, r.name().to_owned()))
            })
            .collect();
        for (n, name) in lost {
            for c in &mut self.channels {
                c.report(q, &LOST_SITE, n, &name);
            }
        }
    }

    /// At shutdown: waits for the export to deliver what it holds, then
    /// writes the reports.
    pub(crate) fn settle(&mut self, q: &Queue) {
        let mut exported = false;
        for c in &mut self.channels {
            exported |= c.settle_export(q);
        }
        if exported {
            self.report_dropped(q);
            self.write_batch(q);
        }
    }
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
/// A merge that leaves records younger than the grace window queued and
/// takes fewer than this (a pass's run of one lane) has caught up with the
/// window: the writer waits for the rest to come of age instead of
/// merging again at once (see `run`).
const CAUGHT_UP: usize = 256;
/// Rounds the writer stays awake, yielding, before it dozes.
const AWAKE_ROUNDS: u32 = if cfg!(loom) { 1 } else { 32 };

/// The writer thread's loop. Returns the output so that later events can be
/// written synchronously; the lanes go back to the queue. Never inlined (it
/// is called once per writer thread): `bench callgrind` finds the writer
/// thread by this function's name.
#[inline(never)]
pub(crate) fn run(queue: &Queue, mut out: Output) -> Output {
    IS_WRITER.with(|w| w.set(true));
    out.start_relays(queue.limits().block_timeout);
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
        let merged = lanes.merge(queue, cutoff, |recs, origin| {
            for rec in recs {
                if out.format(rec, origin, queue) {
                    out.write_batch(queue);
                }
            }
        });
        out.report_dropped(queue);
        // The merge took all that was of age, and few records: the writer
        // has caught up with the grace window, and the rest comes of age
        // only as fast as its threads log. Merging again at once took the
        // few records that came of age during the pass, the writer busy
        // all the time: 180,000 to 400,000 passes per million events for
        // a thread logging 5 M events/s, 25,000 to 175,000 in W1 runs whose
        // producer ran slower than the writer. So it waits for them to
        // come of age (below): 300 to 3,000 passes.
        let caught_up = merged.pending > 0 && merged.popped < CAUGHT_UP;
        // While events keep coming, a batch is written when full; it goes
        // out as soon as the lanes run dry or the writer waits (or a flush
        // asks).
        if merged.popped == 0 || caught_up || !requests.is_empty() {
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
        if merged.popped > 0 && !caught_up {
            idle_rounds = 0;
            continue;
        }
        lanes.retire_finished(queue);
        if merged.pending > 0 {
            // Records younger than the grace window: take them once the
            // oldest has come of age, which is often well before a whole
            // grace from now (and never later). A whole grace's sleep kept
            // a producer whose ring was full of records too young to take
            // waiting longer: with rings of 1 Ki events filled at an event
            // every 10 ns, W1 ran at 3.8–4.1 M lines/s, and at 4.4–4.8
            // with this wait, in interleaved runs. A producer whose ring
            // fills meanwhile wakes the writer (`Queue::doze`).
            let grace = queue.limits().grace;
            queue.doze(
                queue
                    .until_due(merged.oldest)
                    .min(grace)
                    .max(Duration::from_micros(10)),
            );
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
            queue.doze(DOZE);
        } else {
            queue.idle(&lanes, Duration::from_millis(100));
        }
    }
}
