//! Writing a line straight into the spare capacity of the batch.
//!
//! A line is a few dozen short pieces. Appended to a `Vec` one by one,
//! each piece checks the capacity, may call the allocator's growth path,
//! and stores the new length: some 200 of the JSON writer's 950
//! instructions a line, by callgrind. A [`Spare`] keeps the number of bytes
//! written past the `Vec`'s length in a register and stores it once, when
//! the line is done ([`write_in_place`]); each piece is a bounds check and
//! a fixed-size move. A piece that does not fit leaves the `Vec` as it
//! was, and the caller writes the line the general way.
//!
//! The `Vec`'s new length covers exactly the bytes the methods below
//! wrote, which is what every method keeps true (see `Spare::written`);
//! each move is checked against the spare capacity once (one comparison,
//! then an unchecked copy). A move of at most [`MOVE`] bytes, most of a
//! line's, compares `written` with a bound computed once per line
//! (`Spare::fits`) rather than the room left with the move's size. `tests/{json,text,otel}_in_place.rs` check the
//! lines written this way against the general path's.

use crate::encode::{Common, Cursor, Value};
use std::mem::MaybeUninit;

/// A line written into spare capacity: the bytes after a `Vec`'s length.
pub(crate) struct Spare<'a> {
    dst: &'a mut [MaybeUninit<u8>],
    /// Invariant: `dst[..written]` has been written by this `Spare`. Every
    /// method writes `dst[written..written + k]` before it moves `written`
    /// on by `k`.
    written: usize,
    /// `dst.len() + 1 - MOVE` (0 if `dst` is shorter than [`MOVE`]): while
    /// `written` is below it, a move of up to `MOVE` bytes fits.
    fits: usize,
    /// A piece did not fit: the line is not committed.
    short: bool,
}

/// The most bytes a fixed-size move checked against [`Spare::fits`] takes:
/// the runs a line program keeps in its steps ([`SHORT_RUN`]), a number's
/// 20 digits, the ISO time's 32. (Checked as `written < fits` instead of
/// `dst.len() - written >= n`, the W1 JSON writer took 12 instructions a
/// line fewer, ECS 13, OTLP/JSON 4, by callgrind.)
const MOVE: usize = 32;

/// Writes a line at the end of `out` with `f`, in place, after reserving
/// `room` bytes: the line becomes part of `out` if `f` returns `Some` and
/// every piece fitted in the room; otherwise `out` is left as it was (and
/// the caller writes the line another way).
#[inline(always)]
pub(crate) fn write_in_place(
    out: &mut Vec<u8>,
    room: usize,
    f: impl FnOnce(&mut Spare<'_>) -> Option<()>,
) -> bool {
    out.reserve(room);
    let dst = out.spare_capacity_mut();
    let mut line = Spare {
        fits: (dst.len() + 1).saturating_sub(MOVE),
        dst,
        written: 0,
        short: false,
    };
    let done = f(&mut line);
    let (written, short) = (line.written, line.short);
    if done.is_none() || short {
        return false;
    }
    let len = out.len() + written;
    // SAFETY: by `written`'s invariant the first `written` bytes of the
    // spare capacity are initialized, and `written` is at most its length
    // (every write is bounds-checked against `dst`).
    unsafe { out.set_len(len) };
    true
}

/// Where a formatter's pieces go: a `Vec` (the general path) or a line
/// written in place.
pub(crate) trait Put {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
    /// Appends one byte.
    fn put_byte(&mut self, b: u8);
    /// Appends the first `n` bytes of `word` (`n <= 8`) with one 8-byte
    /// move.
    fn put_word(&mut self, word: &[u8; 8], n: usize);
    /// Makes room for `n` more bytes, where that saves growing piece by
    /// piece.
    fn reserve(&mut self, n: usize);
}

impl Put for Vec<u8> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        super::common::append(self, bytes);
    }

    #[inline(always)]
    fn put_byte(&mut self, b: u8) {
        self.push(b);
    }

    #[inline(always)]
    fn put_word(&mut self, word: &[u8; 8], n: usize) {
        let end = self.len() + n.min(8);
        self.extend_from_slice(word);
        self.truncate(end);
    }

    #[inline(always)]
    fn reserve(&mut self, n: usize) {
        Vec::reserve(self, n);
    }
}

impl Put for Spare<'_> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        self.put_slice(bytes);
    }

    #[inline(always)]
    fn put_byte(&mut self, b: u8) {
        self.push(b);
    }

    #[inline(always)]
    fn put_word(&mut self, word: &[u8; 8], n: usize) {
        self.put_array(word, n);
    }

    /// The room was reserved for the whole line.
    #[inline(always)]
    fn reserve(&mut self, _: usize) {}
}

impl Spare<'_> {
    /// Appends the first `n` of `bytes` (`n <= N`), moving all `N`: one
    /// fixed-size move for a piece of any length up to `N`.
    #[inline(always)]
    pub(crate) fn put_array<const N: usize>(&mut self, bytes: &[u8; N], n: usize) {
        if let Some(dst) = self.next(N) {
            // SAFETY: `next` checked that `N` bytes from `dst` are within
            // the spare capacity, which `bytes` (not part of it: `dst` is
            // borrowed exclusively) cannot overlap.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, N) };
            self.written += n.min(N);
        }
    }

    /// Appends the first `n` of `bytes` with `words` put in over them, each
    /// `(at, word)` at `at` (`at + 4 <= N`, else left out): a template and
    /// the few bytes that change in it, within one fixed-size move.
    #[inline(always)]
    pub(crate) fn put_array_with<const N: usize, const W: usize>(
        &mut self,
        bytes: &[u8; N],
        n: usize,
        words: [(usize, [u8; 4]); W],
    ) {
        if let Some(dst) = self.next(N) {
            // SAFETY: as in `put_array`.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, N) };
            for (at, word) in words {
                if at + 4 <= N {
                    // SAFETY: within the `N` bytes `next` checked, and
                    // `word` is not part of the spare capacity.
                    unsafe { std::ptr::copy_nonoverlapping(word.as_ptr(), dst.add(at), 4) };
                }
            }
            self.written += n.min(N);
        }
    }

    /// Where the next `n` bytes of the line go, if there is room for them
    /// (else the line is short). One comparison: `written` never exceeds
    /// the spare capacity, and for `n` up to [`MOVE`] (a constant, where
    /// this is inlined) `written < fits` means `written + MOVE <= dst.len()`.
    #[inline(always)]
    fn next(&mut self, n: usize) -> Option<*mut u8> {
        let room = if n <= MOVE {
            self.written < self.fits
        } else {
            self.dst.len() - self.written >= n
        };
        if room {
            Some(self.dst.as_mut_ptr().wrapping_add(self.written).cast())
        } else {
            self.short = true;
            None
        }
    }

    /// Runs `f` on a copy of this line's state and takes it back: what
    /// `f` does out of line (rare values, escapes) then does not keep the
    /// state of the inlined pieces in memory.
    #[inline(always)]
    pub(crate) fn detour(&mut self, f: impl FnOnce(&mut Spare<'_>)) {
        let mut line = Spare {
            dst: std::mem::take(&mut self.dst),
            written: self.written,
            fits: self.fits,
            short: self.short,
        };
        f(&mut line);
        self.dst = line.dst;
        self.written = line.written;
        self.short = line.short;
    }

    /// Appends `bytes`; up to 16 with fixed-size moves.
    #[inline(always)]
    pub(crate) fn put_slice(&mut self, bytes: &[u8]) {
        if bytes.len() <= 16 {
            self.put_array(&super::common::load_short(bytes), bytes.len());
        } else {
            self.put_long(bytes);
        }
    }

    #[inline(always)]
    fn put_long(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        if let Some(dst) = self.next(n) {
            // SAFETY: as in `put_array`, for `n` bytes.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, n) };
            self.written += n;
        }
    }

    /// Appends one byte.
    #[inline(always)]
    pub(crate) fn push(&mut self, b: u8) {
        if let Some(dst) = self.next(1) {
            // SAFETY: `next` checked that one byte at `dst` is within the
            // spare capacity.
            unsafe { dst.write(b) };
            self.written += 1;
        }
    }

    /// Appends value `i` of `values` as text of a message: a number's
    /// digits in place, a string through `escape`, any other value (or
    /// none) through `other`.
    #[inline(always)]
    pub(crate) fn put_text(
        &mut self,
        values: &mut Cursor<'_>,
        i: usize,
        escape: impl FnOnce(&mut Spare<'_>, &str),
        other: impl FnOnce(&mut Spare<'_>, Option<Value<'_>>),
    ) {
        match values.get_common(i) {
            Common::U64(n) => self.put_u64(n),
            Common::I64(n) => self.put_i64(n),
            Common::Str(s) => self.detour(|line| escape(line, s)),
            Common::Other => {
                let v = values.get(i);
                self.detour(|line| other(line, v));
            }
        }
    }

    /// Appends a number's decimal digits: below 100 (counts, codes, most
    /// small fields) two bytes from a table; otherwise written from the
    /// last into a buffer and moved as 20 bytes (the most a `u64` has).
    #[inline(always)]
    pub(crate) fn put_u64(&mut self, n: u64) {
        if n < 100 {
            #[allow(clippy::cast_possible_truncation)]
            let two = DIGITS2[n as usize];
            let (word, len) = if n < 10 { ([two[1], 0], 1) } else { (two, 2) };
            self.put_array(&word, len);
            return;
        }
        let mut buf = [b'0'; DIGITS_END + 20];
        let start = write_digits(&mut buf, n);
        if let Some(digits) = buf.get(start..).and_then(<[u8]>::first_chunk::<20>) {
            self.put_array(digits, DIGITS_END - start);
        }
    }

    /// Appends a number's decimal digits, with its sign.
    #[inline(always)]
    pub(crate) fn put_i64(&mut self, n: i64) {
        if n < 0 {
            self.push(b'-');
        }
        self.put_u64(n.unsigned_abs());
    }
}

/// `00` to `99`.
pub(crate) static DIGITS2: [[u8; 2]; 100] = {
    let mut t = [[0; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// Where [`write_digits`] ends a number (the most digits a `u64` has).
const DIGITS_END: usize = 20;

/// Writes the decimal digits of `n` to end at [`DIGITS_END`] in `buf`;
/// returns where they start. Four digits a division while there are more
/// (a time stamp in nanoseconds has 19), then two, then one.
#[inline(always)]
fn write_digits(buf: &mut [u8; DIGITS_END + 20], mut n: u64) -> usize {
    let digits2 = &DIGITS2;
    let mut start = DIGITS_END;
    while n >= 10_000 {
        let four = (n % 10_000) as usize;
        n /= 10_000;
        start -= 4;
        if let Some(d) = buf.get_mut(start..start + 4) {
            d[..2].copy_from_slice(&digits2[four / 100]);
            d[2..].copy_from_slice(&digits2[four % 100]);
        }
    }
    if n >= 100 {
        start -= 2;
        if let Some(d) = buf.get_mut(start..start + 2) {
            d.copy_from_slice(&digits2[(n % 100) as usize]);
        }
        n /= 100;
    }
    if n >= 10 {
        start -= 2;
        if let Some(d) = buf.get_mut(start..start + 2) {
            d.copy_from_slice(&digits2[n as usize]);
        }
    } else {
        start -= 1;
        if let Some(d) = buf.get_mut(start) {
            *d = b'0' + n as u8;
        }
    }
    start
}

/// Bytes of a run of a whole-line program kept in its [`Step`].
pub(crate) const SHORT_RUN: usize = 32;

/// One step of a call site's whole-line program: a run of its template's
/// bytes, then what follows it (`H`: the format's holes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step<H> {
    /// The run's start and end in the template.
    pub(crate) lit: (u32, u32),
    /// The run itself if it is at most [`SHORT_RUN`] bytes (most are),
    /// padded: copied with one fixed-size move, without a look at the
    /// template (its bounds, its address). Its cost in memory: 32 bytes a
    /// step, a few steps a call site, at most 256 call sites a formatter
    /// (`SITE_SLOTS`).
    pub(crate) short: [u8; SHORT_RUN],
    pub(crate) then: H,
}

impl<H> Step<H> {
    /// Appends the step's run of `template` to a line written in place.
    #[inline(always)]
    pub(crate) fn put_run(&self, template: &[u8], line: &mut Spare<'_>) {
        let (start, end) = self.lit;
        let len = end.wrapping_sub(start) as usize;
        if len <= SHORT_RUN {
            line.put_array(&self.short, len);
        } else {
            match template.get(start as usize..end as usize) {
                Some(run) => line.put_slice(run),
                // Not this step's template: the line is short (written
                // the general way), not missing a run.
                None => line.short = true,
            }
        }
    }
}

/// A record's value slot as a line program's hole holds it.
pub(crate) fn slot(i: usize) -> u16 {
    u16::try_from(i).expect("a call site has fewer than 65,536 values")
}

/// Makes a whole-line program: the line's bytes go into the template, and
/// each run up to a hole makes a [`Step`].
pub(crate) struct LineBuilder<'b, H> {
    pub(crate) b: &'b mut Vec<u8>,
    steps: Vec<Step<H>>,
    /// Where the current run of bytes began.
    run: usize,
    /// The hole that ends the line.
    end: H,
}

impl<'b, H> LineBuilder<'b, H> {
    /// A line whose bytes are appended to the template `b`, its last step
    /// ending with `end`.
    pub(crate) fn new(b: &'b mut Vec<u8>, end: H) -> LineBuilder<'b, H> {
        let run = b.len();
        LineBuilder {
            b,
            steps: Vec::new(),
            run,
            end,
        }
    }

    /// Ends the current run of bytes with `then`.
    pub(crate) fn hole(&mut self, then: H) {
        let at = |n: usize| u32::try_from(n).expect("a template is far below 4 GiB");
        let run = &self.b[self.run..];
        let mut short = [0; SHORT_RUN];
        if let Some(dst) = short.get_mut(..run.len()) {
            dst.copy_from_slice(run);
        }
        self.steps.push(Step {
            lit: (at(self.run), at(self.b.len())),
            short,
            then,
        });
        self.run = self.b.len();
    }

    /// The steps, the last ending the line.
    pub(crate) fn finish(mut self) -> Vec<Step<H>>
    where
        H: Copy,
    {
        self.hole(self.end);
        self.steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_piece_lands_once_in_order() {
        let template: Vec<u8> = (0..200u8).chain([0; 32]).collect();
        let mut out = b"head|".to_vec();
        let mut expected = out.clone();
        let done = write_in_place(&mut out, 2048, |line| {
            for (start, end) in [(0, 0), (3, 5), (10, 42), (0, 200), (199, 200)] {
                line.put_slice(&template[start..end]);
                expected.extend_from_slice(&template[start..end]);
            }
            for len in 0..=40 {
                let s: Vec<u8> = (0..len).map(|i| b'a' + i % 26).collect();
                line.put_slice(&s);
                expected.extend_from_slice(&s);
            }
            line.put_array(b"0123456789", 4);
            expected.extend_from_slice(b"0123");
            // Words put in over a template; one past its end left out.
            line.put_array_with(
                b"abcdefgh",
                7,
                [(2, *b"WXYZ"), (1, *b"12__"), (5, *b"!!!!")],
            );
            expected.extend_from_slice(b"a12__Zg");
            line.push(b'|');
            expected.push(b'|');
            // Every count of digits, at both of its ends.
            let edges = (0..20).flat_map(|d| {
                let low = 10u64.pow(d);
                [low, low.saturating_mul(10) - 1, low + 1]
            });
            for n in [0, 99, 100, 101, 1_000_200_003, u64::MAX]
                .into_iter()
                .chain(edges)
            {
                line.put_u64(n);
                expected.extend_from_slice(n.to_string().as_bytes());
                line.push(b',');
                expected.push(b',');
            }
            for n in [0, -1, -9, -10, 42, i64::MAX] {
                line.put_i64(n);
                expected.extend_from_slice(n.to_string().as_bytes());
            }
            line.put_i64(i64::MIN);
            expected.extend_from_slice(i64::MIN.to_string().as_bytes());
            Some(())
        });
        assert!(done);
        assert_eq!(out, expected);
    }

    #[test]
    fn a_line_that_does_not_fit_or_is_abandoned_leaves_the_vec_as_it_was() {
        // Capacity exactly 12 past the length: the 16-byte moves do not
        // fit (a short line), whatever was written before them.
        let mut out = Vec::with_capacity(16);
        out.extend_from_slice(b"kept");
        let fits = write_in_place(&mut out, 0, |line| {
            line.push(b'x');
            line.put_slice(b"0123456789");
            Some(())
        });
        assert!(!fits);
        assert_eq!(out, b"kept");
        let given_up = write_in_place(&mut out, 64, |line| {
            line.put_slice(b"dropped");
            None
        });
        assert!(!given_up);
        assert_eq!(out, b"kept");
    }

    /// A fixed-size move fits exactly when its whole [`MOVE`] bytes are
    /// within the spare capacity, whatever the bytes it keeps.
    #[test]
    fn a_short_move_fits_up_to_the_last_byte_and_not_one_past() {
        for spare in [0, 1, 31, 32, 33, 64, 100] {
            for before in 0..=spare {
                let mut out: Vec<u8> = Vec::with_capacity(spare);
                let fits = write_in_place(&mut out, 0, |line| {
                    assert_eq!(line.dst.len(), spare, "exactly the capacity asked");
                    for _ in 0..before {
                        line.dst[line.written].write(b'.');
                        line.written += 1;
                    }
                    line.put_array(&[b'x'; MOVE], 1);
                    Some(())
                });
                assert_eq!(
                    fits,
                    before + MOVE <= spare,
                    "spare {spare}, {before} written"
                );
                if fits {
                    assert_eq!(out.len(), before + 1);
                }
            }
        }
    }

    /// A program's runs, of every length about [`SHORT_RUN`], written in
    /// place: each exactly once, in order, with what the holes write.
    #[test]
    fn a_line_program_writes_its_runs_and_holes_in_order() {
        let mut template = b"head".to_vec();
        let mut line = LineBuilder::new(&mut template, usize::MAX);
        let mut expected = Vec::new();
        for (i, len) in [0, 1, 7, 31, 32, 33, 64, 100, 300].into_iter().enumerate() {
            let run: Vec<u8> = (0..len).map(|k| b'a' + (k % 26) as u8).collect();
            line.b.extend_from_slice(&run);
            line.hole(i);
            expected.extend_from_slice(&run);
            expected.extend_from_slice(format!("<{i}>").as_bytes());
        }
        line.b.extend_from_slice(b"tail\n");
        expected.extend_from_slice(b"tail\n");
        let steps = line.finish();
        let mut out = b"kept|".to_vec();
        assert!(write_in_place(&mut out, template.len() + 512, |line| {
            for step in &steps {
                step.put_run(&template, line);
                if step.then != usize::MAX {
                    line.put_slice(format!("<{}>", step.then).as_bytes());
                }
            }
            Some(())
        }));
        assert_eq!(out, [b"kept|".as_slice(), &expected].concat());
        // Against a template too short for its long run: not written.
        let mut out = b"kept|".to_vec();
        assert!(!write_in_place(&mut out, 1024, |line| {
            steps.iter().for_each(|step| step.put_run(b"head", line));
            Some(())
        }));
        assert_eq!(out, b"kept|");
    }
}
