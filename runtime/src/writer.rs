//! The writer thread: pops records, formats them into a batch, and writes
//! each batch with one `write` call.

use crate::callsite::internal_site;
use crate::context::Context;
use crate::format::Formatter;
use crate::level::Level;
use crate::queue::{Control, Queue, Rings};
use crate::record::{Record, RecordBuilder};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

/// A batch is written once it reaches this size (or the queue runs dry).
const BATCH: usize = 64 * 1024;

/// Where lines go.
pub(crate) enum Sink {
    Stdout,
    Writer(Box<dyn Write + Send>),
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Sink::Stdout => "Stdout",
            Sink::Writer(_) => "Writer",
        })
    }
}

/// Formatter plus sink: what the writer thread owns, and what a caller uses
/// to write synchronously once the writer thread has stopped.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) formatter: Formatter,
    pub(crate) sink: Sink,
    /// Set on the first write error (closed stdout, EPIPE): from then on
    /// lines are discarded quietly.
    pub(crate) broken: bool,
    pub(crate) buf: Vec<u8>,
}

impl Output {
    pub(crate) fn new(formatter: Formatter, sink: Sink) -> Output {
        Output {
            formatter,
            sink,
            broken: false,
            buf: Vec::with_capacity(BATCH + 4096),
        }
    }

    pub(crate) fn format(&mut self, rec: &Record) {
        if !self.broken {
            self.formatter.format(rec, &mut self.buf);
        }
    }

    /// Writes the batch. Errors never escape: a closed stdout ends output
    /// quietly, as a logger must not take the program down with it.
    pub(crate) fn write_batch(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        if !self.broken {
            let res = match &mut self.sink {
                Sink::Stdout => write_retrying(&mut io::stdout().lock(), &self.buf),
                Sink::Writer(w) => write_retrying(w, &self.buf),
            };
            if res.is_err() {
                self.broken = true;
            }
        }
        self.buf.clear();
    }

    pub(crate) fn flush_sink(&mut self) {
        self.write_batch();
        if !self.broken {
            let res = match &mut self.sink {
                Sink::Stdout => io::stdout().lock().flush(),
                Sink::Writer(w) => w.flush(),
            };
            if res.is_err() {
                self.broken = true;
            }
        }
    }

    /// Formats a report of dropped events into the batch.
    pub(crate) fn report_dropped(&mut self, n: u64) {
        let mut b = RecordBuilder::scratch();
        b.push_u64(n);
        let rec = Record {
            callsite: &DROPPED_SITE,
            level: Level::Warning,
            stamp: crate::clock::stamp(),
            context: Context::default(),
            data: b.into_data(),
            exc: None,
        };
        self.format(&rec);
    }
}

/// `write_all` that waits out a non-blocking stdout instead of failing.
fn write_retrying(w: &mut dyn Write, mut buf: &[u8]) -> io::Result<()> {
    let mut waits = 0u32;
    while !buf.is_empty() {
        match w.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                buf = &buf[n..];
                waits = 0;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && waits < 10_000 => {
                waits += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

internal_site! {
    static DROPPED_SITE: Warning,
    target = "pulselog",
    template = "pulselog dropped {dropped} events: the log queue was full",
    message = ["pulselog dropped " {0} " events: the log queue was full"],
    fields = ["dropped"],
    message_values = 0,
}

thread_local! {
    static IS_WRITER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the current thread is the writer thread (which must never wait
/// for itself, e.g. by flushing from the panic hook).
pub(crate) fn on_writer_thread() -> bool {
    IS_WRITER.try_with(std::cell::Cell::get).unwrap_or(false)
}

/// The writer thread's loop. Returns the output so that later events can be
/// written synchronously; the rings go back to the queue.
pub(crate) fn run(queue: &Arc<Queue>, mut out: Output) -> Output {
    IS_WRITER.with(|w| w.set(true));
    let mut rings = Rings::default();
    let mut idle_rounds = 0u32;
    loop {
        // Requests first: every event logged before a request is in a ring
        // (or a ring waiting for adoption) by the time it is taken.
        let requests = queue.take_requests();
        queue.adopt(&mut rings);
        let popped = rings.pop_available(|rec| {
            out.format(rec);
            if out.buf.len() >= BATCH {
                out.write_batch();
                queue.drained();
            }
        });
        let dropped = queue.take_dropped();
        if dropped > 0 {
            out.report_dropped(dropped);
        }
        // While events keep coming, a batch is written when full; it goes
        // out as soon as the rings run dry (or a flush asks).
        if popped == 0 || !requests.is_empty() {
            out.write_batch();
        }
        queue.drained();
        let mut stopped = Vec::new();
        if !requests.is_empty() {
            out.flush_sink();
            for c in requests {
                match c {
                    Control::Flush(signal) => signal.notify(),
                    Control::Shutdown(signal) => stopped.push(signal),
                }
            }
        }
        if !stopped.is_empty() {
            rings.retain_live();
            queue.return_rings(rings);
            for signal in stopped {
                signal.notify();
            }
            return out;
        }
        if popped > 0 {
            idle_rounds = 0;
            continue;
        }
        rings.retain_live();
        // Stay awake briefly so that a steady stream costs no wake-ups.
        idle_rounds += 1;
        if idle_rounds < 32 {
            std::thread::yield_now();
        } else {
            queue.idle(&rings, Duration::from_millis(100));
        }
    }
}
