//! Collapsing repeated events (`Config::collapse_repeats`), as syslog
//! does: an event that would be written exactly like the one before it,
//! its time aside, is counted instead of written, and the count goes out
//! as one line, `last message repeated N times`.
//!
//! **Alike** means: the same call site and level, the same values, the
//! same request context (id and bound fields), the same error (type,
//! chain, panic location, and the same captured frames), and, when the
//! format shows the thread (`thread`, `threadName`), the same thread. Two
//! events that differ in anything a line shows are never collapsed;
//! two that differ only in their time always are, whichever thread logged
//! them when the format does not say.
//!
//! **The count line** has the level, the request context and the thread of
//! the repeated event, the time of the last repeat, pulselog's own call
//! site, and the number in a `repeated` field. It is written before the
//! next different line (so "last message" is the line above it in this
//! process's output), before a drop report (which ends the run: the next
//! event is written again), when a flush or exit asks,
//! and once the run has lasted the window: a storm that goes on shows one
//! count per window, and then keeps counting.
//!
//! An event whose values and error hold more than [`REMEMBER_MAX`] bytes
//! on the heap is written and not remembered (so never collapsed): the copy
//! kept to compare with would sit outside the queue's byte budget.
//!
//! A repeated event still counts as handled for `flush`; it is not sent
//! to the OTLP export either, which gets the count line instead.

use crate::callsite::{Callsite, internal_site};
use crate::context::Context;
use crate::encode::{Data, Encoder};
use crate::exc_info::ExcInfo;
use crate::level::Level;
use crate::origin::Origin;
use crate::record::Record;
use std::time::Duration;

/// The most heap bytes (values and error) of an event kept to compare the
/// next ones with.
const REMEMBER_MAX: usize = 64 * 1024;

/// The event repeats stand against, and how many repeats are not written.
struct Last {
    callsite: &'static Callsite,
    level: Level,
    data: Data,
    context: Context,
    exc: Option<Box<ExcInfo>>,
    origin: Origin,
    /// Repeats since the last line about this event.
    repeated: u64,
    /// Stamp of the first of them.
    since: u64,
    /// Stamp of the latest.
    latest: u64,
}

/// What [`Repeats::offer`] decides for an event.
pub(crate) enum Offer {
    /// Write it, after the count line of the previous event's repeats if
    /// there is one.
    Write(Option<(Record, Origin)>),
    /// A repeat: counted, not written; with a count line to write now when
    /// the run has lasted the window.
    Repeat(Option<(Record, Origin)>),
}

/// The writer's record of the last event written, when collapsing is on.
pub(crate) struct Repeats {
    /// The window in clock ticks.
    window: u64,
    /// Whether lines show the thread: then it is part of being alike.
    threads: bool,
    last: Option<Last>,
}

impl std::fmt::Debug for Repeats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repeats")
            .field("window", &self.window)
            .field("threads", &self.threads)
            .field("repeated", &self.last.as_ref().map_or(0, |l| l.repeated))
            .finish()
    }
}

impl Repeats {
    pub(crate) fn new(window: Duration, threads: bool) -> Repeats {
        Repeats {
            window: crate::clock::ticks(window).max(1),
            threads,
            last: None,
        }
    }

    /// The same collapsing, with no event seen yet (a forked child's
    /// output starts from scratch).
    pub(crate) fn fresh(&self) -> Repeats {
        Repeats {
            window: self.window,
            threads: self.threads,
            last: None,
        }
    }

    /// Decides for `rec`, which the writer is about to write.
    pub(crate) fn offer(&mut self, rec: &Record, origin: &Origin) -> Offer {
        if let Some(last) = &mut self.last
            && last.matches(rec, origin, self.threads)
        {
            if last.repeated == 0 {
                last.since = rec.stamp;
            }
            last.repeated += 1;
            last.latest = rec.stamp;
            let due = rec.stamp.saturating_sub(last.since) >= self.window;
            return Offer::Repeat(if due { last.count_line() } else { None });
        }
        let count = self.take_count();
        // A site the record owns is freed with it: its address could name
        // another site by the next event.
        if rec.spill_bytes() > REMEMBER_MAX || crate::callsite::own::is_own(rec.callsite) {
            self.last = None;
            return Offer::Write(count);
        }
        self.last = Some(Last {
            callsite: rec.callsite,
            level: rec.level,
            data: rec.data.clone(),
            context: rec.context.clone(),
            exc: rec.exc.clone(),
            origin: origin.clone(),
            repeated: 0,
            since: rec.stamp,
            latest: rec.stamp,
        });
        Offer::Write(count)
    }

    /// The count line of the repeats not written yet, if any (on a flush,
    /// or exit). Later repeats are counted from zero again.
    pub(crate) fn take_count(&mut self) -> Option<(Record, Origin)> {
        self.last.as_mut().and_then(Last::count_line)
    }

    /// The count line, if any, before a line of pulselog's own: the run
    /// ends there, so that the next event is written again below that line
    /// rather than counted as a repeat of one above it.
    pub(crate) fn end_run(&mut self) -> Option<(Record, Origin)> {
        let count = self.take_count();
        self.last = None;
        count
    }

    /// The count line, when repeats have waited for the window: the writer
    /// asks when it finds nothing to write.
    pub(crate) fn take_due(&mut self, now: u64) -> Option<(Record, Origin)> {
        let last = self.last.as_mut()?;
        if last.repeated > 0 && now.saturating_sub(last.since) >= self.window {
            last.count_line()
        } else {
            None
        }
    }
}

impl Last {
    fn matches(&self, rec: &Record, origin: &Origin, threads: bool) -> bool {
        std::ptr::eq(self.callsite, rec.callsite)
            && self.level == rec.level
            && *self.data == *rec.data
            && match (&self.exc, &rec.exc) {
                (None, None) => true,
                (Some(a), Some(b)) => a.alike(b),
                _ => false,
            }
            && self.context.alike(&rec.context)
            && (!threads
                || (self.origin.thread_id == origin.thread_id
                    && self.origin.thread_name == origin.thread_name))
    }

    fn count_line(&mut self) -> Option<(Record, Origin)> {
        internal_site! {
            static REPEATED_SITE: Info,
            target = "pulselog",
            template = "last message repeated {repeated} times",
            message = ["last message repeated " {0} " times"],
            fields = ["repeated"],
            message_values = 0,
        }
        if self.repeated == 0 {
            return None;
        }
        let mut b = Encoder::new();
        b.push_u64(self.repeated);
        self.repeated = 0;
        let rec = Record {
            callsite: &REPEATED_SITE,
            level: self.level,
            task: false,
            stamp: self.latest,
            context: self.context.clone(),
            data: b.into_data(),
            exc: None,
        };
        Some((rec, self.origin.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::{Offer, Repeats};
    use crate::callsite::internal_site;
    use crate::context::Context;
    use crate::encode::Encoder;
    use crate::level::Level;
    use crate::origin::Origin;
    use crate::record::Record;
    use std::time::Duration;

    internal_site! {
        static SITE: Error,
        target = "app",
        template = "payment failed for {user}",
        message = ["payment failed for " {0}],
        fields = ["user"],
        message_values = 0,
    }

    internal_site! {
        static OTHER: Error,
        target = "app",
        template = "payment failed for {user}",
        message = ["payment failed for " {0}],
        fields = ["user"],
        message_values = 0,
    }

    fn event(user: u64, stamp: u64, context: Context) -> Record {
        let mut b = Encoder::new();
        b.push_u64(user);
        Record {
            callsite: &SITE,
            level: Level::Error,
            task: false,
            stamp,
            context,
            data: b.into_data(),
            exc: None,
        }
    }

    fn thread(id: u64) -> Origin {
        Origin {
            thread_id: Some(id),
            thread_name: None,
        }
    }

    /// `Some(n)` for a count line of `n`, `None` for none; and whether the
    /// event is written.
    fn decide(r: &mut Repeats, rec: &Record, origin: &Origin) -> (bool, Option<u64>) {
        let (write, count) = match r.offer(rec, origin) {
            Offer::Write(c) => (true, c),
            Offer::Repeat(c) => (false, c),
        };
        (write, count.map(|(rec, _)| repeated(&rec)))
    }

    fn repeated(rec: &Record) -> u64 {
        let event = crate::format::Event::new(rec);
        match event.values().next() {
            Some(crate::encode::Value::U64(n)) => n,
            other => panic!("a count, not {other:?}"),
        }
    }

    #[test]
    fn only_events_alike_but_for_their_time_are_counted() {
        let mut r = Repeats::new(Duration::from_secs(3600), false);
        let ctx = Context::default().with_request_id("req-1");
        let a = thread(1);
        assert_eq!(decide(&mut r, &event(7, 1, ctx.clone()), &a), (true, None));
        // Same everything, another time, another thread (not shown).
        assert_eq!(
            decide(&mut r, &event(7, 2, ctx.clone()), &thread(2)),
            (false, None)
        );
        assert_eq!(decide(&mut r, &event(7, 3, ctx.clone()), &a), (false, None));
        // A context built alike, not the same one, is alike.
        let again = Context::default().with_request_id("req-1");
        assert_eq!(decide(&mut r, &event(7, 4, again), &a), (false, None));
        // Another value: the count goes out first.
        assert_eq!(
            decide(&mut r, &event(8, 5, ctx.clone()), &a),
            (true, Some(3))
        );
        // Another request.
        let other = Context::default().with_request_id("req-2");
        assert_eq!(decide(&mut r, &event(8, 6, other), &a), (true, None));
        // Another call site with the same text.
        let mut rec = event(8, 7, ctx.clone());
        rec.callsite = &OTHER;
        assert_eq!(decide(&mut r, &rec, &a), (true, None));
        // Another level.
        let mut rec = event(8, 8, ctx.clone());
        rec.callsite = &OTHER;
        rec.level = Level::Critical;
        assert_eq!(decide(&mut r, &rec, &a), (true, None));
        assert!(r.take_count().is_none());
        // A line of pulselog's own ends the run: the same event again is
        // written below it.
        assert_eq!(decide(&mut r, &rec, &a), (false, None));
        let (count, _) = r.end_run().expect("one repeat");
        assert_eq!(repeated(&count), 1);
        assert_eq!(decide(&mut r, &rec, &a), (true, None));
    }

    /// An event whose one value is `big`.
    fn big_event(big: &str, stamp: u64) -> Record {
        let mut b = Encoder::new();
        b.push_str(big);
        Record {
            callsite: &SITE,
            level: Level::Error,
            task: false,
            stamp,
            context: Context::default(),
            data: b.into_data(),
            exc: None,
        }
    }

    #[test]
    fn an_event_too_big_to_keep_is_always_written() {
        let mut r = Repeats::new(Duration::from_secs(3600), false);
        let big = "x".repeat(1 << 20);
        let o = thread(1);
        assert_eq!(
            decide(&mut r, &event(7, 1, Context::default()), &o),
            (true, None)
        );
        assert_eq!(
            decide(&mut r, &event(7, 2, Context::default()), &o),
            (false, None)
        );
        // The small event's count goes out before the first big one.
        assert_eq!(decide(&mut r, &big_event(&big, 3), &o), (true, Some(1)));
        assert_eq!(decide(&mut r, &big_event(&big, 4), &o), (true, None));
        assert!(r.last.is_none(), "no copy of 1 MiB kept");
        // Small events are collapsed again after it.
        assert_eq!(
            decide(&mut r, &event(7, 5, Context::default()), &o),
            (true, None)
        );
        assert_eq!(
            decide(&mut r, &event(7, 6, Context::default()), &o),
            (false, None)
        );
    }

    #[test]
    fn a_shown_thread_is_part_of_the_line() {
        let mut r = Repeats::new(Duration::from_secs(3600), true);
        let ctx = Context::default();
        assert_eq!(
            decide(&mut r, &event(7, 1, ctx.clone()), &thread(1)),
            (true, None)
        );
        assert_eq!(
            decide(&mut r, &event(7, 2, ctx.clone()), &thread(2)),
            (true, None)
        );
        assert_eq!(
            decide(&mut r, &event(7, 3, ctx.clone()), &thread(2)),
            (false, None)
        );
        let (count, origin) = r.take_count().expect("one repeat");
        assert_eq!((repeated(&count), origin.thread_id), (1, Some(2)));
        assert_eq!(count.stamp, 3, "the time of the last repeat");
    }

    #[test]
    fn a_long_run_is_counted_once_per_window() {
        let mut r = Repeats::new(Duration::from_secs(1), false);
        let window = crate::clock::ticks(Duration::from_secs(1));
        let ctx = Context::default();
        let o = thread(1);
        assert_eq!(decide(&mut r, &event(7, 0, ctx.clone()), &o), (true, None));
        assert_eq!(
            decide(&mut r, &event(7, 10, ctx.clone()), &o),
            (false, None)
        );
        assert_eq!(
            decide(&mut r, &event(7, 20, ctx.clone()), &o),
            (false, None)
        );
        // Nothing due yet, then the window has passed since the first repeat.
        assert!(r.take_due(10 + window - 1).is_none());
        let (count, _) = r.take_due(10 + window).expect("due");
        assert_eq!(repeated(&count), 2);
        // The run goes on: counted from zero, the window from the next repeat.
        let at = 30 + window;
        assert_eq!(
            decide(&mut r, &event(7, at, ctx.clone()), &o),
            (false, None)
        );
        assert_eq!(
            decide(&mut r, &event(7, at + window, ctx.clone()), &o),
            (false, Some(2))
        );
        assert!(r.take_count().is_none());
    }
}
