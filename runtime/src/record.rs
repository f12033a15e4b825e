//! The record a log call builds and hands to the pipeline: its call site,
//! level, time, context, encoded values and error.

use crate::callsite::Callsite;
use crate::context::Context;
use crate::encode::{Data, Encoder};
use crate::exc_info::ExcInfo;
use crate::level::Level;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::Deref;

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

/// A record in its ring slot. Dropping one is an inlined look at what the
/// record may own ([`Record::owns_anything`]) and a call only for a record
/// that owns something: the writer drops every record it has written, and
/// `Record`'s drop, out of line, took it 26 instructions a line (callgrind,
/// `bench callgrind`'s W1) for records that owned nothing.
#[repr(transparent)]
pub(crate) struct Slot(ManuallyDrop<Record>);

impl Slot {
    #[inline(always)]
    pub(crate) fn new(rec: Record) -> Slot {
        Slot(ManuallyDrop::new(rec))
    }

    /// The record, out of its slot.
    pub(crate) fn into_record(self) -> Record {
        let mut slot = ManuallyDrop::new(self);
        // SAFETY: `slot` is never dropped (`ManuallyDrop`) nor used after
        // the record is moved out of it.
        unsafe { ManuallyDrop::take(&mut slot.0) }
    }

    /// An uninitialized slot as the uninitialized record it holds, for a
    /// record to be made in place ([`IntoRecord::write`]).
    #[inline(always)]
    pub(crate) fn record_place(slot: &mut MaybeUninit<Slot>) -> &mut MaybeUninit<Record> {
        // SAFETY: `Slot` is `repr(transparent)` over `ManuallyDrop<Record>`,
        // itself `repr(transparent)` over `Record`: the same layout, and a
        // record written there is the slot's.
        unsafe { &mut *std::ptr::from_mut(slot).cast::<MaybeUninit<Record>>() }
    }
}

impl Deref for Slot {
    type Target = Record;

    #[inline(always)]
    fn deref(&self) -> &Record {
        &self.0
    }
}

impl Drop for Slot {
    #[inline(always)]
    fn drop(&mut self) {
        if self.0.owns_anything() {
            drop_record(&mut self.0);
        }
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Record::fmt(self, f)
    }
}

#[cold]
#[inline(never)]
fn drop_record(rec: &mut ManuallyDrop<Record>) {
    // SAFETY: called once, from the slot's drop; the record is not used
    // after it.
    unsafe { ManuallyDrop::drop(rec) }
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
    /// Whether dropping the record frees anything: a context, values on the
    /// heap, an error, a call site of its own. Every field is named, so
    /// that a new field must be looked at here: a [`Slot`] whose record
    /// says no is not dropped.
    #[inline(always)]
    pub(crate) fn owns_anything(&self) -> bool {
        let Record {
            callsite,
            level: _,
            task: _,
            stamp: _,
            context,
            data,
            exc,
        } = self;
        #[cfg(any(feature = "log", feature = "tracing"))]
        let own_site = crate::callsite::own::is_own(callsite);
        #[cfg(not(any(feature = "log", feature = "tracing")))]
        let own_site = {
            let _: &&'static Callsite = callsite;
            false
        };
        context.0.is_some() | data.on_heap() | exc.is_some() | own_site
    }

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

#[cfg(test)]
mod slot {
    use super::{Record, Slot};
    use crate::context::Context;
    use crate::encode::Encoder;
    use crate::level::Level;
    use std::sync::Arc;

    crate::callsite::internal_site! {
        static SITE: Info,
        target = "app",
        template = "slot",
        message = ["slot"],
        fields = [],
        message_values = 0,
    }

    fn record(context: Context, values: Encoder, exc: bool) -> Record {
        let err = std::io::Error::other("gone");
        Record {
            callsite: &SITE,
            level: Level::Info,
            task: false,
            stamp: 1,
            context,
            data: values.into_data(),
            exc: exc.then(|| crate::exc_info::capture_error("io::Error", &err, false)),
        }
    }

    /// What a record owns is found, and freed with its slot; a record that
    /// owns nothing says so (its slot's drop is then only the look).
    #[test]
    fn a_slot_frees_what_its_record_owns() {
        let plain = record(Context::default(), Encoder::new(), false);
        assert!(!plain.owns_anything());
        drop(Slot::new(plain));

        let ctx = Context::default().with_field("k", 1u64);
        let frame = Arc::clone(ctx.0.as_ref().expect("a bound field makes a frame"));
        let bound = record(ctx, Encoder::new(), false);
        assert!(bound.owns_anything());
        assert_eq!(Arc::strong_count(&frame), 2);
        drop(Slot::new(bound));
        assert_eq!(Arc::strong_count(&frame), 1);

        let mut big = Encoder::new();
        big.push_str(&"x".repeat(4096));
        let spilled = record(Context::default(), big, false);
        assert!(spilled.data.on_heap() && spilled.owns_anything());
        drop(Slot::new(spilled));

        let failed = record(Context::default(), Encoder::new(), true);
        assert!(failed.owns_anything());
        drop(Slot::new(failed));

        // Out of its slot, a record is whole.
        let ctx = Context::default().with_field("k", 2u64);
        let frame = Arc::clone(ctx.0.as_ref().expect("a frame"));
        let back = Slot::new(record(ctx, Encoder::new(), false)).into_record();
        assert_eq!(Arc::strong_count(&frame), 2);
        drop(back);
        assert_eq!(Arc::strong_count(&frame), 1);
    }
}
