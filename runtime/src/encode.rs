//! The encoded form of values, at the bottom of the house: how a call site
//! writes an event's values (and a context its bound fields) as tagged
//! bytes, and how the writer thread reads them back.
//!
//! Numbers, booleans and chars are copied as a tag and their bytes, strings
//! as a tag, a length and their UTF-8; any other type is rendered through
//! `Display`/`Debug` straight into the buffer, under [`guarded`] (a panic or
//! runaway recursion in user formatting code leaves a placeholder) and
//! [`Capped`] (the values of one event are cut at the limit the settings
//! hold). Nothing here knows about records, call sites or contexts.
//!
//! The file is longer than most because the form, its writer and its reader
//! belong together: the decoder reads strings without validating them
//! again, which is sound only because the writer beside it is the one
//! thing that writes them.

use crate::settings;
use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind};

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
/// [`Encoder`] encodes them (a tag, then the value; a string as its
/// length and then whole UTF-8), which is what lets the decoder skip
/// validating strings. Only this module can write them: the mutators are
/// private to it, and the rest of the crate reads the bytes (`Deref`),
/// clones them, or takes an encoder's whole output
/// ([`Encoder::into_data`]). (A `SmallVec` in its place took more than
/// twice the instructions per `info!`, by callgrind, when this buffer
/// replaced it.)
#[derive(Clone)]
pub(crate) struct Data {
    len: u32,
    /// The first `len` bytes are written, the rest never read: left
    /// uninitialised, so that a call site does not clear the whole buffer
    /// before it encodes its values (zeroed, the clearing and a copy of
    /// the values' tail took 20 instructions per `info!` by callgrind).
    inline: [MaybeUninit<u8>; INLINE],
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
            inline: [const { MaybeUninit::uninit() }; INLINE],
            heap: None,
        }
    }

    /// The inline bytes written so far (all of them until the values
    /// spill to the heap).
    #[inline(always)]
    fn inline_bytes(&self) -> &[u8] {
        // SAFETY: the first `len` bytes of `inline` are initialised and
        // within it: `len` grows only in `extend_from_slice`, to at most
        // `INLINE`, once the bytes up to it are written, and otherwise only
        // shrinks (`truncate`); `u8` has no invalid values.
        unsafe { std::slice::from_raw_parts(self.inline.as_ptr().cast::<u8>(), self.len as usize) }
    }

    /// [`Data::inline_bytes`], mutably: of `inline` and `len`, a `Data`'s
    /// fields (a function of them, so that `heap` may stay borrowed).
    #[inline(always)]
    fn inline_bytes_mut(inline: &mut [MaybeUninit<u8>; INLINE], len: u32) -> &mut [u8] {
        // SAFETY: as in `inline_bytes`, for the `len` of the same `Data`;
        // borrowed mutably through `inline`.
        unsafe { std::slice::from_raw_parts_mut(inline.as_mut_ptr().cast::<u8>(), len as usize) }
    }

    #[inline(always)]
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        let len = self.len as usize;
        let end = len + bytes.len();
        if end <= INLINE && self.heap.is_none() {
            self.inline[len..end].write_copy_of_slice(bytes);
            self.len = end as u32;
        } else {
            self.extend_heap(bytes);
        }
    }

    #[cold]
    #[inline(never)]
    fn extend_heap(&mut self, bytes: &[u8]) {
        let heap = match self.heap.take() {
            Some(heap) => heap,
            None => {
                let mut v = Vec::with_capacity(2 * INLINE + bytes.len());
                v.extend_from_slice(self.inline_bytes());
                Box::new(v)
            }
        };
        self.heap.insert(heap).extend_from_slice(bytes);
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

    /// Whether the bytes are on the heap (dropping the data frees them).
    #[inline(always)]
    pub(crate) fn on_heap(&self) -> bool {
        self.heap.is_some()
    }

    /// Heap bytes held besides the record itself.
    #[inline]
    pub(crate) fn heap_bytes(&self) -> usize {
        self.heap
            .as_ref()
            .map_or(0, |h| size_of::<Vec<u8>>() + h.capacity())
    }

    #[cfg(test)]
    fn into_vec(self) -> Vec<u8> {
        match self.heap {
            Some(heap) => *heap,
            None => self.inline_bytes().to_vec(),
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
            None => self.inline_bytes(),
        }
    }
}

impl Data {
    /// Adds `n` to the last value, a `u64`: a sampled call site's count of
    /// skipped calls, to which the storm guard adds its own. Nothing
    /// changes if the last value is not a `u64` (no record of a sampled
    /// site ends otherwise before its task id is added).
    pub(crate) fn add_to_last_u64(&mut self, n: u64) {
        const LEN: usize = 1 + size_of::<u64>();
        let bytes = self.bytes_mut();
        let Some(at) = bytes.len().checked_sub(LEN) else {
            return;
        };
        let (tag, value) = bytes[at..].split_at_mut(1);
        if tag[0] != tag::U64 {
            return;
        }
        let mut word = [0u8; 8];
        word.copy_from_slice(value);
        value.copy_from_slice(&u64::from_ne_bytes(word).saturating_add(n).to_ne_bytes());
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        match &mut self.heap {
            Some(heap) => heap,
            None => Data::inline_bytes_mut(&mut self.inline, self.len),
        }
    }
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A value decoded from a record. New kinds of value may be added.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A signed integer wider than 64 bits.
    I128(i128),
    /// An unsigned integer wider than 64 bits.
    U128(u128),
    /// A 32-bit float (kept apart so that it prints as `f32` does).
    F32(f32),
    /// A 64-bit float.
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// A character.
    Char(char),
    /// Text: a string, or any value rendered through `Display`/`Debug`.
    Str(&'a str),
    /// An absent value (`None`).
    Null,
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::I64(v) => fmt::Display::fmt(&v, f),
            Value::U64(v) => fmt::Display::fmt(&v, f),
            Value::I128(v) => fmt::Display::fmt(&v, f),
            Value::U128(v) => fmt::Display::fmt(&v, f),
            Value::F32(v) => fmt::Display::fmt(&v, f),
            Value::F64(v) => fmt::Display::fmt(&v, f),
            Value::Bool(v) => fmt::Display::fmt(&v, f),
            Value::Char(v) => fmt::Display::fmt(&v, f),
            Value::Str(v) => f.write_str(v),
            Value::Null => f.write_str("None"),
        }
    }
}

pub(crate) mod tag {
    pub(crate) const I64: u8 = 1;
    pub(crate) const U64: u8 = 2;
    pub(crate) const I128: u8 = 3;
    pub(crate) const U128: u8 = 4;
    pub(crate) const F32: u8 = 5;
    pub(crate) const F64: u8 = 6;
    pub(crate) const BOOL: u8 = 7;
    pub(crate) const CHAR: u8 = 8;
    pub(crate) const STR: u8 = 9;
    pub(crate) const NULL: u8 = 10;
}

/// Reads the values of a record back, in the order they were encoded.
///
/// Strings are not validated as UTF-8 again: a [`Data`] holds only what the
/// encoder wrote, which copies whole `&str`s into a record (the type's
/// invariant). Validating them on
/// the writer cost about 100 instructions per line, a sixth of decoding.
#[derive(Clone)]
pub(crate) struct Decoder<'a> {
    buf: &'a [u8],
}

impl<'a> Decoder<'a> {
    /// A decoder over a record's (or a context frame's) encoded values.
    #[inline]
    pub(crate) fn new(data: &'a Data) -> Self {
        Decoder { buf: data }
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        let (head, rest) = self.buf.split_at(N);
        self.buf = rest;
        head.try_into().expect("split_at returned N bytes")
    }
}

impl<'a> Iterator for Decoder<'a> {
    type Item = Value<'a>;

    /// Integers and strings, most values, are decoded inline; the rest out
    /// of line (the whole decoder out of line was 25 instructions a value
    /// on the writer, by callgrind).
    #[inline]
    fn next(&mut self) -> Option<Value<'a>> {
        let (&t, rest) = self.buf.split_first()?;
        match t {
            tag::U64 | tag::I64 => {
                if let Some((n, rest)) = rest.split_first_chunk::<8>() {
                    self.buf = rest;
                    return Some(if t == tag::U64 {
                        Value::U64(u64::from_ne_bytes(*n))
                    } else {
                        Value::I64(i64::from_ne_bytes(*n))
                    });
                }
            }
            tag::STR => {
                if let Some((len, rest)) = rest.split_first_chunk::<4>()
                    && let Some((s, rest)) =
                        rest.split_at_checked(u32::from_ne_bytes(*len) as usize)
                {
                    self.buf = rest;
                    debug_assert!(std::str::from_utf8(s).is_ok());
                    // SAFETY: whole `&str`s copied by the `Encoder`, as
                    // `next_other` argues.
                    return Some(Value::Str(unsafe { std::str::from_utf8_unchecked(s) }));
                }
            }
            _ => {}
        }
        self.next_other()
    }
}

impl<'a> Decoder<'a> {
    #[inline(never)]
    fn next_other(&mut self) -> Option<Value<'a>> {
        let (&t, rest) = self.buf.split_first()?;
        self.buf = rest;
        Some(match t {
            tag::I64 => Value::I64(i64::from_ne_bytes(self.take())),
            tag::U64 => Value::U64(u64::from_ne_bytes(self.take())),
            tag::I128 => Value::I128(i128::from_ne_bytes(self.take())),
            tag::U128 => Value::U128(u128::from_ne_bytes(self.take())),
            tag::F32 => Value::F32(f32::from_ne_bytes(self.take())),
            tag::F64 => Value::F64(f64::from_ne_bytes(self.take())),
            tag::BOOL => Value::Bool(self.take::<1>()[0] != 0),
            tag::CHAR => {
                Value::Char(char::from_u32(u32::from_ne_bytes(self.take())).unwrap_or('\u{FFFD}'))
            }
            tag::STR => {
                let len = u32::from_ne_bytes(self.take()) as usize;
                let (s, rest) = self.buf.split_at(len);
                self.buf = rest;
                debug_assert!(std::str::from_utf8(s).is_ok());
                // SAFETY: the bytes come from a `Data` (`new` takes nothing
                // else), which only [`Encoder`] writes: its string
                // values (`push_str`, `write_str_value`) are a length and
                // then whole `&str`s copied byte for byte, cut only at a
                // char boundary.
                Value::Str(unsafe { std::str::from_utf8_unchecked(s) })
            }
            tag::NULL => Value::Null,
            _ => {
                self.buf = &[];
                return None;
            }
        })
    }
}

/// Access by slot to a record's values, decoding as it goes: cheap when
/// the slots are read in order (as a message template and then the fields
/// read them), and correct in any order (a template may use a value twice,
/// or out of order).
#[derive(Clone)]
pub(crate) struct Cursor<'a> {
    all: Decoder<'a>,
    rest: Decoder<'a>,
    /// Slot of the value `rest` decodes next.
    at: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    pub(crate) fn new(values: Decoder<'a>) -> Self {
        Cursor {
            rest: values.clone(),
            all: values,
            at: 0,
        }
    }

    /// The value in slot `i`. The next slot, as a line reads them, is decoded inline (out of
    /// line, the call cost 40 instructions a value on the writer, by
    /// callgrind: its frame and the value returned through memory).
    #[inline(always)]
    pub(crate) fn get(&mut self, i: usize) -> Option<Value<'a>> {
        if i == self.at {
            self.at = i + 1;
            return self.rest.next();
        }
        self.seek(i)
    }

    /// The value in slot `i` when it is one of the common kinds, read
    /// inline without building a [`Value`] (the writer's in-place lines
    /// then branch once on the tag, not again on the `Value`); `Other`
    /// for the rest, which [`Cursor::get`] then reads.
    #[inline(always)]
    pub(crate) fn get_common(&mut self, i: usize) -> Common<'a> {
        if i == self.at
            && let Some((&t, rest)) = self.rest.buf.split_first()
        {
            match t {
                tag::U64 | tag::I64 => {
                    if let Some((n, rest)) = rest.split_first_chunk::<8>() {
                        self.rest.buf = rest;
                        self.at = i + 1;
                        return if t == tag::U64 {
                            Common::U64(u64::from_ne_bytes(*n))
                        } else {
                            Common::I64(i64::from_ne_bytes(*n))
                        };
                    }
                }
                tag::STR => {
                    if let Some((len, rest)) = rest.split_first_chunk::<4>()
                        && let Some((s, rest)) =
                            rest.split_at_checked(u32::from_ne_bytes(*len) as usize)
                    {
                        self.rest.buf = rest;
                        self.at = i + 1;
                        debug_assert!(std::str::from_utf8(s).is_ok());
                        // SAFETY: whole `&str`s copied by the `Encoder`, as
                        // `Decoder::next_other` argues.
                        return Common::Str(unsafe { std::str::from_utf8_unchecked(s) });
                    }
                }
                _ => {}
            }
        }
        Common::Other
    }

    #[inline(never)]
    fn seek(&mut self, i: usize) -> Option<Value<'a>> {
        if i < self.at {
            self.rest = self.all.clone();
            self.at = 0;
        }
        let v = self.rest.nth(i - self.at);
        self.at = i + 1;
        v
    }
}

/// A value of one of the kinds most events carry, as
/// [`Cursor::get_common`] reads it.
pub(crate) enum Common<'a> {
    U64(u64),
    I64(i64),
    Str(&'a str),
    /// Another kind (or no value): read it with [`Cursor::get`].
    Other,
}

/// Placeholder written when a value's `Display`/`Debug` panics.
pub(crate) const PANICKED: &str = "<panicked while formatting>";

/// Placeholder written when a value's `Display`/`Debug` returns an error.
pub(crate) const FAILED: &str = "<error while formatting>";

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

/// The encoder's methods for values of a fixed size: a tag, then the bytes.
macro_rules! push_fixed {
    ($($method:ident($t:ty) => $tag:ident, |$v:ident| $bytes:expr;)*) => {$(
        #[doc(hidden)]
        #[inline]
        pub fn $method(&mut self, $v: $t) {
            self.tagged(tag::$tag, &$bytes);
        }
    )*};
}

/// Writes values in the encoded form: the buffer that a log call's
/// arguments, a context's bound fields and a `#[logged]` function's
/// arguments are encoded into. Not public API: generated code reaches it
/// through a record builder.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Encoder {
    data: Data,
}

impl Encoder {
    /// An empty encoder.
    #[inline]
    #[must_use]
    pub(crate) const fn new() -> Encoder {
        Encoder { data: Data::new() }
    }

    /// An encoder that appends to values encoded before.
    #[inline]
    pub(crate) fn from_data(data: Data) -> Encoder {
        Encoder { data }
    }

    /// The encoded values.
    #[inline]
    pub(crate) fn into_data(self) -> Data {
        self.data
    }

    /// The encoded values, taken out: the encoder is left empty.
    #[inline]
    pub(crate) fn take_data(&mut self) -> Data {
        std::mem::take(&mut self.data)
    }

    /// Moves the encoded values into `to`, an empty `Data`, leaving the
    /// encoder empty: the inline bytes are copied straight from the
    /// encoder to `to`.
    #[inline(always)]
    pub(crate) fn move_into(&mut self, to: &mut Data) {
        let from = &mut self.data;
        to.len = from.len;
        to.inline = from.inline;
        std::mem::swap(&mut to.heap, &mut from.heap);
        from.len = 0;
    }

    /// The encoded values so far.
    #[inline]
    pub(crate) fn data(&self) -> &Data {
        &self.data
    }

    /// Appends values encoded before (whole values: the invariant holds).
    #[cfg(feature = "tracing")]
    pub(crate) fn push_data(&mut self, data: &Data) {
        self.data.extend_from_slice(data);
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

    /// A string that does not fit inline: within the values' limit
    /// ([`settings::max_values`]) it is
    /// copied whole, past it cut with a marker.
    #[cold]
    #[inline(never)]
    fn push_long_str(&mut self, s: &str) {
        let room = settings::max_values().saturating_sub(self.data.len() + 5);
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
        // Within the values' limit, which is below 4 GiB.
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
            limit: settings::max_values(),
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
    use super::{Cursor, Data, Decoder, Encoder, INLINE, Value};

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
        let mut b = Encoder::new();
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
        let mut b = Encoder::new();
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
