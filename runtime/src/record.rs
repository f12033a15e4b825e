//! The record a log call builds and hands to the pipeline: its call site,
//! level, time, context, encoded values and error.

use crate::callsite::Callsite;
use crate::context::Context;
use crate::encode::{Data, Encoder};
use crate::exc_info::ExcInfo;
use crate::level::Level;
use std::mem::MaybeUninit;

/// One event, as it travels from the call site to the writer thread.
#[derive(Debug)]
pub(crate) struct Record {
    /// Its call site; past the bound of kept run-time call sites, one the
    /// record owns (`callsite::interned`), freed when it is dropped.
    pub(crate) callsite: &'static Callsite,
    pub(crate) level: Level,
    /// Whether the last value, after the fields (and the count of skipped
    /// calls of a sampled call site), is the id of the tokio task that
    /// logged (null outside a task): records carry one when a format asks
    /// for `taskName`.
    pub(crate) task: bool,
    /// Raw time of the call (`clock::stamp`); converted to wall time
    /// where the record is formatted.
    pub(crate) stamp: u64,
    pub(crate) context: Context,
    pub(crate) data: Data,
    /// The error or panic attached with `exc_info`, if any (boxed: most
    /// events have none, and the record stays small).
    pub(crate) exc: Option<Box<ExcInfo>>,
}

#[cfg(any(feature = "log", feature = "tracing"))]
impl Drop for Record {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: a record made on a call site of its own is that site's
        // owner (the `log` bridge makes such a record and hands it to the
        // pipeline at once); what outlives the record keeps
        // at most the site's address, never reading it (the formatters'
        // template caches and the repeat detection skip such sites).
        unsafe { crate::callsite::own::release(self.callsite) }
    }
}

/// An event on its way to where it is kept: a record, or a call site's
/// builder of one, which makes its record in the place it goes to (a ring
/// slot, see `Queue::push`).
pub(crate) trait IntoRecord {
    /// Heap bytes the record holds (see [`Record::spill_bytes`]).
    fn spill_bytes(&self) -> usize;
    /// Writes the record into `slot`.
    fn write(self, slot: &mut MaybeUninit<Record>);
    /// The record, where it is not written straight into its place.
    fn into_record(self) -> Record;
    /// Drops the event, refused (by a full queue).
    fn discard(self);
}

impl IntoRecord for Record {
    #[inline]
    fn spill_bytes(&self) -> usize {
        Record::spill_bytes(self)
    }

    #[inline]
    fn write(self, slot: &mut MaybeUninit<Record>) {
        slot.write(self);
    }

    #[inline]
    fn into_record(self) -> Record {
        self
    }

    #[inline]
    fn discard(self) {}
}

impl Record {
    /// Heap bytes the record holds besides itself (its values when they
    /// did not fit inline, its error): what the queue counts against its
    /// budget on top of the ring slot.
    #[inline]
    pub(crate) fn spill_bytes(&self) -> usize {
        spill_bytes(&self.data, self.exc.as_deref())
    }

    /// Gives the record, written under the storm guard, the count of events
    /// its key dropped since its line before, if any (see
    /// `callsite::guard`): added to a sampled site's count, or after the
    /// fields with the record moved to its site's sampled twin. Called
    /// where every record enters the pipeline while the guard is on, before
    /// a task id is added after the count.
    #[cold]
    #[inline(never)]
    pub(crate) fn take_guard_count(&mut self) {
        let site = self.callsite;
        // An own site's record took its count when it was made.
        if crate::callsite::own::is_own(site) {
            return;
        }
        let Some(guarded) = site.guarded_if_made() else {
            return;
        };
        let n = guarded.keys.take(self.level);
        if n == 0 {
            return;
        }
        match &guarded.twin {
            None => self.data.add_to_last_u64(n),
            Some(twin) => {
                twin.follow(site);
                let mut values = Encoder::from_data(std::mem::take(&mut self.data));
                values.push_u64(n);
                self.data = values.into_data();
                self.callsite = twin;
            }
        }
    }

    /// Appends the current tokio task's id to the values, or null outside
    /// a task (or without the `tokio` feature).
    #[cold]
    #[inline(never)]
    pub(crate) fn push_task_id(&mut self) {
        let mut values = Encoder::from_data(std::mem::take(&mut self.data));
        #[cfg(feature = "tokio")]
        match tokio::task::try_id() {
            Some(id) => values.display(&id),
            None => values.push_null(),
        }
        #[cfg(not(feature = "tokio"))]
        values.push_null();
        self.data = values.into_data();
        self.task = true;
    }
}

/// See [`Record::spill_bytes`].
#[inline]
fn spill_bytes(data: &Data, exc: Option<&ExcInfo>) -> usize {
    let data = data.heap_bytes();
    match exc {
        None => data,
        Some(exc) => data + exc.heap_bytes(),
    }
}

/// One event being built at its call site. Not public API: generated code
/// makes one per enabled event, encodes the values into
/// [`values`](RecordBuilder::values), attaches an error, and hands it to
/// `__private::submit`.
#[doc(hidden)]
#[derive(Debug)]
pub struct RecordBuilder {
    callsite: &'static Callsite,
    level: Level,
    values: Encoder,
    exc: Option<Box<ExcInfo>>,
}

impl RecordBuilder {
    #[doc(hidden)]
    #[inline]
    #[must_use]
    pub fn new(callsite: &'static Callsite, level: Level) -> RecordBuilder {
        RecordBuilder {
            callsite,
            level,
            values: Encoder::new(),
            exc: None,
        }
    }

    /// Where the event's values are encoded, in slot order.
    #[doc(hidden)]
    #[inline(always)]
    pub fn values(&mut self) -> &mut Encoder {
        &mut self.values
    }

    /// Records the calls that sampling skipped at this call site since its
    /// last line, after the fields: every record of a sampled site
    /// (`Callsite::new_sampled`) has this value, 0 included, and the
    /// formats write it (as `suppressed`) only when it is not 0.
    #[doc(hidden)]
    #[inline]
    pub fn suppressed(&mut self, skipped: u64) {
        self.values.push_u64(skipped);
    }

    /// Attaches the error or panic that `exc_info` captured.
    #[doc(hidden)]
    #[inline]
    pub fn attach(&mut self, exc: Box<ExcInfo>) {
        self.exc = Some(exc);
    }

    /// Its call site.
    #[inline]
    pub(crate) fn callsite(&self) -> &'static Callsite {
        self.callsite
    }

    /// Its level.
    #[inline]
    pub(crate) fn level(&self) -> Level {
        self.level
    }

    /// Heap bytes the finished record will hold (see
    /// [`Record::spill_bytes`]).
    #[inline]
    pub(crate) fn spill_bytes(&self) -> usize {
        spill_bytes(self.values.data(), self.exc.as_deref())
    }
}

/// A call site's builder, where the call site made it (`submit` keeps it
/// there): its values and error move into the record, and the builder is
/// left empty.
impl IntoRecord for &mut RecordBuilder {
    #[inline(always)]
    fn spill_bytes(&self) -> usize {
        RecordBuilder::spill_bytes(self)
    }

    /// Made in the slot, so that the values are copied once, from where the
    /// call site encoded them into the slot. (Moved with the builder, they
    /// were copied two or three times more; made as a `Record` first, they
    /// went through the stack.) Stamped and in its context first, so that
    /// less is held across those reads.
    #[inline(always)]
    fn write(self, slot: &mut MaybeUninit<Record>) {
        let rec = slot.write(Record {
            stamp: crate::clock::stamp(),
            context: Context::current(),
            callsite: self.callsite,
            level: self.level,
            task: false,
            data: Data::new(),
            exc: self.exc.take(),
        });
        self.values.move_into(&mut rec.data);
    }

    #[inline]
    fn into_record(self) -> Record {
        Record {
            callsite: self.callsite,
            level: self.level,
            task: false,
            stamp: crate::clock::stamp(),
            context: Context::current(),
            data: self.values.take_data(),
            exc: self.exc.take(),
        }
    }

    #[inline]
    fn discard(self) {
        drop(self.values.take_data());
        self.exc = None;
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod size {
    #[test]
    fn a_record_is_two_cache_lines() {
        // Records are copied into and out of the rings; growing one past 128
        // bytes costs a third cache line per event. Shrink `INLINE` to make
        // room for a new field.
        assert!(std::mem::size_of::<super::Record>() <= 128);
    }
}
