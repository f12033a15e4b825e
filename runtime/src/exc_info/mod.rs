//! Errors and panics attached to an event (`exc_info`): the error's type, its
//! message and `source()` chain, and on request a backtrace.
//!
//! On the caller's thread the chain is formatted into the record (an error is
//! neither `'static` nor `Send`, so it cannot travel to the writer), and a
//! backtrace is captured as raw instruction pointers: stack unwinding only, no
//! symbol lookup. The frames are symbolized when a formatter first asks for
//! them, on the writer thread.
//!
//! Bounds, so that an error storm cannot take the process down with it:
//! - the chain stops after [`MAX_CHAIN`] messages (a `source()` cycle cannot
//!   loop forever) and says so;
//! - a backtrace keeps at most [`MAX_FRAMES`] frames;
//! - symbols are looked up through a process-wide cache keyed by instruction
//!   pointer, so the thousandth backtrace from the same place costs a few hash
//!   lookups; at most [`MISS_BUDGET`] cache misses are resolved per second,
//!   and frames beyond that are written as raw addresses, so a storm of
//!   *different* stacks cannot keep a core busy symbolizing either.
//!
//! User code that runs during capture (`Display`, `source()`) may panic or log
//! again: a panic leaves a placeholder message, and runaway recursion is cut
//! (see [`crate::encode::guarded`]).

mod backtrace;
pub(crate) mod ladder;

pub(crate) use self::backtrace::{Backtrace, Location, symbolized};
pub use self::backtrace::{BacktraceFrame, MAX_FRAMES, MISS_BUDGET};

use self::backtrace::intern;
use crate::callsite::bare_function_name;
use crate::encode::{Capped, guarded};
use smallvec::SmallVec;
use std::any::Any;
use std::error::Error;
use std::fmt;

/// Longest `source()` chain recorded, the error's own message included.
pub const MAX_CHAIN: usize = 32;

/// `type` of the exc_info of a panic.
const PANIC_TYPE: &str = "panic";

/// An error (or panic) captured with an event: its type, the messages of its
/// `source()` chain and, when asked for, a backtrace.
///
/// Formatters read it from the event they render, and tests from
/// `testing::CapturedEvent::exc_info`.
#[derive(Clone)]
pub struct ExcInfo {
    type_name: &'static str,
    panic: bool,
    /// The chain's messages, back to back (UTF-8); message `i` ends at
    /// `ends[i]`. Inline, so that a typical chain costs no allocation besides
    /// the box.
    text: SmallVec<[u8; TEXT_INLINE]>,
    ends: SmallVec<[u32; 4]>,
    truncated: bool,
    backtrace: Option<Backtrace>,
    location: Option<Location>,
}

impl ExcInfo {
    /// Whether `self` and `other` are written alike: the same type, chain,
    /// panic location and captured frames.
    pub(crate) fn alike(&self, other: &ExcInfo) -> bool {
        self.type_name == other.type_name
            && self.panic == other.panic
            && self.text == other.text
            && self.ends == other.ends
            && self.truncated == other.truncated
            && self.location == other.location
            && self.backtrace == other.backtrace
    }
}

impl ExcInfo {
    /// Heap bytes this error takes while its event is queued (the box, the
    /// chain's text where it is not inline, the captured backtrace).
    pub(crate) fn heap_bytes(&self) -> usize {
        let text = if self.text.spilled() {
            self.text.capacity()
        } else {
            0
        };
        let ends = if self.ends.spilled() {
            self.ends.capacity() * size_of::<u32>()
        } else {
            0
        };
        size_of::<ExcInfo>()
            + text
            + ends
            + self.backtrace.as_ref().map_or(0, Backtrace::heap_bytes)
    }
}

impl fmt::Debug for ExcInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExcInfo")
            .field("type", &self.type_name)
            .field("chain", &self.chain().collect::<Vec<_>>())
            .field("chain_truncated", &self.truncated)
            .field("backtrace", &self.backtrace)
            .field("location", &self.location)
            .finish()
    }
}

impl ExcInfo {
    /// The error's type as `std::any::type_name` spells it, references
    /// stripped (`std::io::error::Error`, `anyhow::Error`,
    /// `alloc::boxed::Box<dyn core::error::Error + …>` when only the trait
    /// object is known); `"panic"` for a panic.
    #[must_use]
    pub fn type_name(&self) -> &str {
        self.type_name
    }

    /// The error's own message (its `Display`).
    #[must_use]
    pub fn message(&self) -> &str {
        self.chain().next().unwrap_or("")
    }

    /// The messages of the chain: the error's own first, its root cause last.
    pub fn chain(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let s = self.text.get(start..end as usize).unwrap_or_default();
            start = end as usize;
            // Only whole `str`s are ever appended.
            std::str::from_utf8(s).unwrap_or("\u{FFFD}")
        })
    }

    /// Whether the chain went on past [`MAX_CHAIN`] messages.
    #[must_use]
    pub fn chain_truncated(&self) -> bool {
        self.truncated
    }

    /// The backtrace, symbolized on first use (`None` unless one was asked
    /// for). The first frame is the code that logged (or panicked): frames of
    /// pulselog and of the panic machinery are trimmed, and so are the frames
    /// of the runtime below `main`, the test harness or the thread start.
    #[must_use]
    pub fn backtrace(&self) -> Option<&[BacktraceFrame]> {
        let bt = self.backtrace.as_ref()?;
        Some(bt.frames(self.location.as_ref()))
    }

    /// The backtrace as the formats write it, one line per frame or per
    /// collapsed run (see the `backtrace` module): `anchor` is the file the
    /// event names, from which the workspace's paths are made relative.
    pub(crate) fn backtrace_lines(&self, anchor: &str) -> Option<Vec<String>> {
        let bt = self.backtrace.as_ref()?;
        Some(bt.lines(self.location.as_ref(), anchor))
    }

    /// Whether this records a panic rather than an error value.
    #[must_use]
    pub fn is_panic(&self) -> bool {
        self.panic
    }

    pub(crate) fn location(&self) -> Option<Location> {
        self.location
    }

    /// The bare name of the function that panicked, found in the backtrace.
    pub(crate) fn panic_function(&self) -> Option<&'static str> {
        let loc = self.location.as_ref()?;
        let frames = self.backtrace()?;
        let frame = frames
            .iter()
            .find(|f| f.is_at(loc))
            .or_else(|| frames.first())?;
        frame
            .resolved
            .then(|| intern(bare_function_name(&frame.function)))
    }

    /// An empty record of `type_name`, with a backtrace of the caller when
    /// asked for. Built in its box: the record takes the pointer, nothing is
    /// copied.
    fn boxed(type_name: &'static str, backtrace: bool) -> Box<ExcInfo> {
        let backtrace = backtrace.then(Backtrace::capture);
        Box::new(ExcInfo {
            type_name,
            panic: false,
            text: SmallVec::new(),
            ends: SmallVec::new(),
            truncated: false,
            backtrace,
            location: None,
        })
    }

    /// Appends one message, written by user code: a panic leaves a
    /// placeholder, a formatting error keeps what was written.
    fn push_message(&mut self, write: impl FnOnce(&mut dyn fmt::Write) -> fmt::Result) {
        let start = self.text.len();
        let text = &mut self.text;
        let mut w = Capped::new(text);
        if let Err(placeholder) = guarded(|| write(&mut w)) {
            self.text.truncate(start);
            self.text.extend_from_slice(placeholder.as_bytes());
        } else {
            w.finish();
        }
        let end = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.ends.push(end);
    }

    /// Walks `err` and its sources.
    fn walk(&mut self, err: &(dyn Error + '_)) {
        let mut cur = Some(err);
        while let Some(e) = cur {
            if self.ends.len() == MAX_CHAIN {
                self.truncated = true;
                break;
            }
            self.push_message(|s| write!(s, "{e}"));
            cur = guarded(|| e.source()).ok().flatten();
        }
    }
}

/// Bytes of chain text an [`ExcInfo`] holds without a second allocation.
const TEXT_INLINE: usize = 128;

/// Records an error with its chain (the common, non-generic core of every
/// `exc_info` form).
#[inline(never)]
pub(crate) fn capture_error(
    type_name: &'static str,
    err: &(dyn Error + '_),
    backtrace: bool,
) -> Box<ExcInfo> {
    let mut exc = ExcInfo::boxed(type_name, backtrace);
    exc.walk(err);
    exc
}

/// Records a value that is not an error: its message alone.
#[inline(never)]
fn capture_message(
    type_name: &'static str,
    msg: &dyn Fn(&mut dyn fmt::Write) -> fmt::Result,
    backtrace: bool,
) -> Box<ExcInfo> {
    let mut exc = ExcInfo::boxed(type_name, backtrace);
    exc.push_message(msg);
    exc
}

/// Records a panic payload (`catch_unwind`'s `Err`, or the panic hook's).
#[inline(never)]
pub(crate) fn capture_panic(
    payload: &(dyn Any + Send),
    location: Option<&std::panic::Location<'_>>,
    backtrace: bool,
) -> Box<ExcInfo> {
    let mut exc = ExcInfo::boxed(PANIC_TYPE, backtrace);
    exc.panic = true;
    let msg = payload_message(payload);
    exc.push_message(|s| s.write_str(msg));
    exc.location = location.map(|l| Location {
        file: intern(l.file()),
        line: l.line(),
        column: l.column(),
    });
    exc
}

/// The message of a panic payload: `panic!` makes a `&str` or a `String`.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

/// `std::any::type_name::<T>()` without leading references.
fn type_name_of<T: ?Sized>() -> &'static str {
    let mut name = std::any::type_name::<T>();
    loop {
        if let Some(rest) = name.strip_prefix("&mut ") {
            name = rest;
        } else if let Some(rest) = name.strip_prefix('&') {
            name = rest;
        } else {
            return name;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_lose_references() {
        assert_eq!(
            type_name_of::<&&mut std::io::Error>(),
            "std::io::error::Error"
        );
        assert_eq!(type_name_of::<&dyn Error>(), "dyn core::error::Error");
    }
}
