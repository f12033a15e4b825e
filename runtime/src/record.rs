//! The record a log call builds on its own stack and hands to the queue.

use crate::callsite::Callsite;
use crate::context::Context;
use crate::exc_info::ExcInfo;
use crate::level::Level;
use crate::value::tag;
use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes of encoded values a record holds without allocating. Sized so that
/// a record with a handful of numbers and short strings stays inline (a
/// number takes 9 bytes, a string 5 plus its length), while the whole record
/// is two cache lines: records are copied into and out of the queue, and at
/// 8 M events/s every line copied counts.
pub(crate) const INLINE: usize = 76;

/// A record's encoded values: inline up to [`INLINE`] bytes, else on the
/// heap.
///
/// Invariant: the bytes are a sequence of whole values as
/// [`RecordBuilder`] encodes them (a tag, then the value; a string as its
/// length and then whole UTF-8), which is what lets the decoder skip
/// validating strings. Only this module can write them: the mutators are
/// private to it, and the rest of the crate reads the bytes (`Deref`),
/// clones them, or takes a builder's whole output
/// ([`RecordBuilder::into_data`]). (With `SmallVec` in its place, appending one short string took
/// about 195 instructions, and a whole `info!` with three values about 550;
/// with this buffer the `info!` takes about 230, by callgrind.)
#[derive(Clone)]
pub(crate) struct Data {
    len: u32,
    inline: [u8; INLINE],
    /// Once set, holds all the bytes and `inline` is unused. Boxed because
    /// a `Vec` is 24 bytes and its box 8: the common, inline case keeps the
    /// record at two cache lines; a spilled record pays one more allocation.
    #[allow(clippy::box_collection)]
    heap: Option<Box<Vec<u8>>>,
}

impl Data {
    #[inline]
    pub(crate) const fn new() -> Data {
        Data {
            len: 0,
            inline: [0; INLINE],
            heap: None,
        }
    }

    #[inline(always)]
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        let len = self.len as usize;
        let end = len + bytes.len();
        if end <= INLINE && self.heap.is_none() {
            self.inline[len..end].copy_from_slice(bytes);
            self.len = end as u32;
        } else {
            self.extend_heap(bytes);
        }
    }

    #[cold]
    #[inline(never)]
    fn extend_heap(&mut self, bytes: &[u8]) {
        let heap = self.heap.get_or_insert_with(|| {
            let mut v = Vec::with_capacity(2 * INLINE + bytes.len());
            v.extend_from_slice(&self.inline[..self.len as usize]);
            Box::new(v)
        });
        heap.extend_from_slice(bytes);
    }

    #[inline(always)]
    fn push(&mut self, b: u8) {
        self.extend_from_slice(&[b]);
    }

    fn truncate(&mut self, len: usize) {
        match &mut self.heap {
            Some(heap) => heap.truncate(len),
            None => self.len = self.len.min(u32::try_from(len).unwrap_or(u32::MAX)),
        }
    }

    /// Heap bytes held besides the record itself.
    #[inline]
    fn heap_bytes(&self) -> usize {
        self.heap
            .as_ref()
            .map_or(0, |h| size_of::<Vec<u8>>() + h.capacity())
    }

    #[cfg(test)]
    fn into_vec(self) -> Vec<u8> {
        match self.heap {
            Some(heap) => *heap,
            None => self.inline[..self.len as usize].to_vec(),
        }
    }
}

impl Default for Data {
    fn default() -> Self {
        Data::new()
    }
}

impl std::ops::Deref for Data {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match &self.heap {
            Some(heap) => heap,
            None => &self.inline[..self.len as usize],
        }
    }
}

impl Data {
    fn bytes_mut(&mut self) -> &mut [u8] {
        match &mut self.heap {
            Some(heap) => heap,
            None => &mut self.inline[..self.len as usize],
        }
    }
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Placeholder written when a value's `Display`/`Debug` panics.
pub(crate) const PANICKED: &str = "<panicked while formatting>";

/// Placeholder written when a value's `Display`/`Debug` returns an error.
pub(crate) const FAILED: &str = "<error while formatting>";

/// The most bytes one event's encoded values may take; a string value that
/// would pass it is cut at a character boundary and ends with a marker
/// saying how much was cut (see [`cut_marker`]). Set from the byte budget
/// when a logger is installed: half of it, the share of the queue's memory
/// that values outside the records may take.
static MAX_VALUES: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_VALUES);

/// Half of the default byte budget (64 MiB).
const DEFAULT_MAX_VALUES: usize = 32 << 20;

/// Sets the most bytes one event's values may take.
pub(crate) fn set_max_values(bytes: usize) {
    MAX_VALUES.store(bytes.min(u32::MAX as usize), Ordering::Relaxed);
}

/// Bytes kept free for [`cut_marker`]'s output.
const MARKER_ROOM: usize = 32;

/// The marker that ends a cut string value.
pub(crate) fn cut_marker(cut: usize) -> String {
    format!("…<{cut} bytes cut>")
}

/// Placeholder written when formatting a value logs, which formats a value
/// that logs, and so on past [`MAX_NESTING`] levels.
pub(crate) const RECURSED: &str = "<recursion while formatting>";

/// How deeply user formatting code may nest log calls that format again.
const MAX_NESTING: u8 = 4;

thread_local! {
    /// How many guarded user-formatting calls are running on this thread.
    static NESTING: Cell<u8> = const { Cell::new(0) };
}

/// Runs user code that renders a value (`Display`, `Debug`, `source()`):
/// a panic is caught, and so is a value whose formatting logs itself over
/// and over. `Err` holds the placeholder to write instead.
pub(crate) fn guarded<R>(f: impl FnOnce() -> R) -> Result<R, &'static str> {
    let depth = NESTING.try_with(Cell::get).unwrap_or(0);
    if depth >= MAX_NESTING {
        return Err(RECURSED);
    }
    let _ = NESTING.try_with(|n| n.set(depth + 1));
    let r = catch_unwind(AssertUnwindSafe(f)).map_err(|_| PANICKED);
    let _ = NESTING.try_with(|n| n.set(depth));
    r
}

/// Whether this thread is inside [`guarded`] user code: a panic there is
/// caught by pulselog, so the panic hook does not report it.
pub(crate) fn in_guarded() -> bool {
    NESTING.try_with(Cell::get).unwrap_or(0) > 0
}

/// The thread a record came from: its OS thread id and its name, read once
/// per thread (when its lane is made), for the `thread` and `threadName`
/// keys.
#[derive(Debug, Clone, Default)]
pub(crate) struct Origin {
    pub(crate) thread_id: Option<u64>,
    pub(crate) thread_name: Option<std::sync::Arc<str>>,
}

impl Origin {
    /// The calling thread's.
    pub(crate) fn current() -> Origin {
        Origin {
            thread_name: std::thread::current().name().map(std::sync::Arc::from),
            ..Origin::id_only()
        }
    }

    /// The calling thread's id alone: what can be read while the thread's
    /// storage is torn down (its name cannot).
    pub(crate) fn id_only() -> Origin {
        #[cfg(target_os = "linux")]
        // SAFETY: `gettid` has no preconditions.
        let thread_id = u64::try_from(unsafe { libc::gettid() }).ok();
        #[cfg(not(target_os = "linux"))]
        let thread_id = None;
        Origin {
            thread_id,
            thread_name: None,
        }
    }
}

/// Whether records carry the id of the tokio task that logged them, as a
/// last value after their fields: set at install when the format asks for
/// `taskName`, so that no other configuration pays for it. Kept with the
/// call sites' state (one load per event decides both this and capture
/// routing).
pub(crate) use crate::callsite::{set_want_task, wants_task};

/// Appends the current tokio task's id to a record's values, or null
/// outside a task (or without the `tokio` feature).
#[cold]
#[inline(never)]
pub(crate) fn push_task_id(data: &mut Data) {
    let mut b = RecordBuilder {
        callsite: None,
        level: Level::Info,
        data: std::mem::take(data),
        exc: None,
    };
    #[cfg(feature = "tokio")]
    if let Some(id) = tokio::task::try_id() {
        b.display(&id);
        *data = b.data;
        return;
    }
    b.push_null();
    *data = b.data;
}

/// One event, as it travels from the call site to the writer thread.
#[derive(Debug)]
pub(crate) struct Record {
    /// Its call site; past the bound of kept run-time call sites, one the
    /// record owns (`callsite::interned`), freed when it is dropped.
    pub(crate) callsite: &'static Callsite,
    pub(crate) level: Level,
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
    fn drop(&mut self) {
        // SAFETY: a record made on a call site of its own is that site's
        // owner (`interned::Site::submit`); what outlives the record keeps
        // at most the site's address, never reading it (the formatters'
        // template caches and the repeat detection skip such sites).
        unsafe { crate::callsite::release(self.callsite) }
    }
}

impl Record {
    /// Heap bytes the record holds besides itself (its values when they
    /// did not fit inline, its error): what the queue counts against its
    /// budget on top of the ring slot.
    #[inline]
    pub(crate) fn spill_bytes(&self) -> usize {
        spill_bytes(&self.data, self.exc.as_deref())
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

/// The builder's methods for values of a fixed size: a tag, then the bytes.
macro_rules! push_fixed {
    ($($method:ident($t:ty) => $tag:ident, |$v:ident| $bytes:expr;)*) => {$(
        #[doc(hidden)]
        #[inline]
        pub fn $method(&mut self, $v: $t) {
            self.tagged(tag::$tag, &$bytes);
        }
    )*};
}

/// Encodes one event's values at the call site. Not public API: generated
/// code creates one per enabled event.
#[doc(hidden)]
#[derive(Debug)]
pub struct RecordBuilder {
    callsite: Option<&'static Callsite>,
    level: Level,
    data: Data,
    exc: Option<Box<ExcInfo>>,
}

impl RecordBuilder {
    #[doc(hidden)]
    #[inline]
    #[must_use]
    pub fn new(callsite: &'static Callsite, level: Level) -> RecordBuilder {
        RecordBuilder {
            callsite: Some(callsite),
            level,
            data: Data::new(),
            exc: None,
        }
    }

    /// A builder that only encodes values (for context fields).
    pub(crate) fn scratch() -> RecordBuilder {
        RecordBuilder {
            callsite: None,
            level: Level::Info,
            data: Data::new(),
            exc: None,
        }
    }

    pub(crate) fn set_exc(&mut self, exc: Box<ExcInfo>) {
        self.exc = Some(exc);
    }

    /// Appends values encoded before (whole values: the invariant holds).
    #[cfg(feature = "tracing")]
    pub(crate) fn push_data(&mut self, data: &Data) {
        self.data.extend_from_slice(data);
    }

    /// The encoded values, for a context frame or a static field.
    pub(crate) fn into_data(self) -> Data {
        self.data
    }

    /// The call site of the event being built (`None` for a scratch
    /// builder).
    #[inline]
    pub(crate) fn callsite(&self) -> Option<&'static Callsite> {
        self.callsite
    }

    /// Heap bytes the finished record will hold (see
    /// [`Record::spill_bytes`]).
    #[inline]
    pub(crate) fn spill_bytes(&self) -> usize {
        spill_bytes(&self.data, self.exc.as_deref())
    }

    /// The finished record, stamped now, in the current context. The
    /// pipeline's `submit` calls this where the record is to go (the
    /// thread's ring), so that the values are copied once, from the
    /// builder into the slot.
    #[inline(always)]
    pub(crate) fn into_record(self, callsite: &'static Callsite) -> Record {
        Record {
            callsite,
            level: self.level,
            stamp: crate::clock::stamp(),
            context: Context::current(),
            data: self.data,
            exc: self.exc,
        }
    }

    /// A tag and up to 16 bytes, appended with one copy.
    #[inline(always)]
    fn tagged(&mut self, t: u8, bytes: &[u8]) {
        let mut buf = [0u8; 17];
        buf[0] = t;
        buf[1..=bytes.len()].copy_from_slice(bytes);
        self.data.extend_from_slice(&buf[..=bytes.len()]);
    }

    push_fixed! {
        push_i64(i64) => I64, |v| v.to_ne_bytes();
        push_u64(u64) => U64, |v| v.to_ne_bytes();
        push_i128(i128) => I128, |v| v.to_ne_bytes();
        push_u128(u128) => U128, |v| v.to_ne_bytes();
        push_f32(f32) => F32, |v| v.to_ne_bytes();
        push_f64(f64) => F64, |v| v.to_ne_bytes();
        push_bool(bool) => BOOL, |v| [u8::from(v)];
        push_char(char) => CHAR, |v| u32::from(v).to_ne_bytes();
    }
    #[doc(hidden)]
    #[inline]
    pub fn push_null(&mut self) {
        self.data.push(tag::NULL);
    }
    #[doc(hidden)]
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        if self.data.len() + 5 + s.len() > INLINE {
            return self.push_long_str(s);
        }
        self.tagged(tag::STR, &(s.len() as u32).to_ne_bytes());
        self.data.extend_from_slice(s.as_bytes());
    }

    /// A string that does not fit inline: within [`MAX_VALUES`] it is
    /// copied whole, past it cut with a marker.
    #[cold]
    #[inline(never)]
    fn push_long_str(&mut self, s: &str) {
        let room = MAX_VALUES
            .load(Ordering::Relaxed)
            .saturating_sub(self.data.len() + 5);
        if s.len() <= room {
            self.tagged(tag::STR, &(s.len() as u32).to_ne_bytes());
            self.data.extend_from_slice(s.as_bytes());
            return;
        }
        let keep = floor_char_boundary(s, room.saturating_sub(MARKER_ROOM));
        let marker = cut_marker(s.len() - keep);
        let len = (keep + marker.len()) as u32;
        self.tagged(tag::STR, &len.to_ne_bytes());
        self.data.extend_from_slice(&s.as_bytes()[..keep]);
        self.data.extend_from_slice(marker.as_bytes());
    }

    /// Records `format_args!` output as a string (message arguments with a
    /// format spec). A panic inside the formatting leaves a placeholder.
    #[doc(hidden)]
    pub fn formatted(&mut self, args: fmt::Arguments<'_>) {
        if let Some(s) = args.as_str() {
            self.push_str(s);
            return;
        }
        self.write_str_value(|w| w.write_fmt(args));
    }

    /// Records a value through its `Display` impl.
    #[doc(hidden)]
    pub fn display<T: fmt::Display + ?Sized>(&mut self, v: &T) {
        self.write_str_value(|w| write!(w, "{v}"));
    }

    /// Records a value through its `Debug` impl.
    #[doc(hidden)]
    pub fn debug<T: fmt::Debug + ?Sized>(&mut self, v: &T) {
        self.write_str_value(|w| write!(w, "{v:?}"));
    }

    fn write_str_value(&mut self, f: impl FnOnce(&mut Capped<'_, Data>) -> fmt::Result) {
        let start = self.data.len();
        self.data.push(tag::STR);
        self.data.extend_from_slice(&[0; 4]);
        let body = self.data.len();
        let mut w = Capped::new(&mut self.data);
        let placeholder = match guarded(|| f(&mut w).is_ok()) {
            Ok(true) => None,
            Ok(false) => Some(FAILED),
            Err(placeholder) => Some(placeholder),
        };
        if let Some(placeholder) = placeholder {
            self.data.truncate(start);
            self.push_str(placeholder);
            return;
        }
        w.finish();
        // Within `MAX_VALUES`, which is below 4 GiB.
        let len = (self.data.len() - body) as u32;
        self.data.bytes_mut()[start + 1..body].copy_from_slice(&len.to_ne_bytes());
    }
}

/// The longest prefix of `s` of at most `len` bytes that ends at a
/// character boundary (the decoder trusts a string value to be whole
/// UTF-8).
fn floor_char_boundary(s: &str, len: usize) -> usize {
    let mut len = len.min(s.len());
    while !s.is_char_boundary(len) {
        len -= 1;
    }
    len
}

/// A buffer that [`Capped`] appends to.
pub(crate) trait Bytes {
    fn len(&self) -> usize;
    fn extend(&mut self, bytes: &[u8]);
}

impl Bytes for Data {
    #[inline]
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
    fn extend(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl<const N: usize> Bytes for smallvec::SmallVec<[u8; N]> {
    fn len(&self) -> usize {
        smallvec::SmallVec::len(self)
    }
    fn extend(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Where user code's `Display`/`Debug` output goes (a value, an error's
/// message): the buffer, up to the limit on an event's values (whole
/// characters only); what passes it is counted, not kept, and
/// [`Capped::finish`] appends the marker that says so.
pub(crate) struct Capped<'a, B: Bytes> {
    out: &'a mut B,
    limit: usize,
    cut: usize,
}

impl<'a, B: Bytes> Capped<'a, B> {
    pub(crate) fn new(out: &'a mut B) -> Capped<'a, B> {
        Capped {
            out,
            limit: MAX_VALUES.load(Ordering::Relaxed),
            cut: 0,
        }
    }

    /// Appends the marker if anything was cut.
    pub(crate) fn finish(self) {
        if self.cut > 0 {
            self.out.extend(cut_marker(self.cut).as_bytes());
        }
    }
}

impl<B: Bytes> fmt::Write for Capped<'_, B> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Room is kept for the marker.
        let room = self.limit.saturating_sub(self.out.len() + MARKER_ROOM);
        if self.cut == 0 && s.len() <= room {
            self.out.extend(s.as_bytes());
            return Ok(());
        }
        let keep = if self.cut == 0 {
            floor_char_boundary(s, room)
        } else {
            0
        };
        self.out.extend(&s.as_bytes()[..keep]);
        self.cut += s.len() - keep;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Data, INLINE, RecordBuilder};
    use crate::value::{Cursor, Decoder, Value};

    #[test]
    fn data_spills_to_the_heap_and_keeps_every_byte() {
        let mut d = Data::new();
        let bytes: Vec<u8> = (0..=255u8).cycle().take(3 * INLINE).collect();
        for chunk in bytes.chunks(7) {
            d.extend_from_slice(chunk);
        }
        assert_eq!(&d[..], &bytes[..]);
        d.truncate(INLINE + 1);
        assert_eq!(&d[..], &bytes[..=INLINE]);
        d.bytes_mut()[0] = 9;
        assert_eq!(d.clone().into_vec()[0], 9);

        let mut small = Data::new();
        small.push(1);
        small.extend_from_slice(&[2, 3]);
        small.truncate(2);
        assert_eq!(small.into_vec(), [1, 2]);
    }

    #[test]
    fn values_round_trip_inline_and_spilled() {
        let long = "é".repeat(INLINE);
        let mut b = RecordBuilder::scratch();
        b.push_u64(7);
        b.push_str("short");
        b.push_str(&long);
        b.push_i64(-1);
        let data = b.into_data();
        let values: Vec<Value<'_>> = Decoder::new(&data).collect();
        assert_eq!(
            values,
            [
                Value::U64(7),
                Value::Str("short"),
                Value::Str(&long),
                Value::I64(-1)
            ]
        );
    }

    #[test]
    fn a_cursor_reads_slots_in_any_order() {
        let mut b = RecordBuilder::scratch();
        for i in 0..4 {
            b.push_u64(i);
        }
        let data = b.into_data();
        let mut values = Cursor::new(Decoder::new(&data));
        for i in [0, 1, 1, 3, 2, 0, 3, 5, 4, 2] {
            let want = (i < 4).then_some(Value::U64(i as u64));
            assert_eq!(values.get(i), want, "slot {i}");
        }
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
