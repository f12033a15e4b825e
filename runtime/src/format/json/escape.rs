//! The JSON string escaper.

#[cfg(test)]
use crate::format::common::append;
use crate::format::common::{is_hostile, load_word};
use crate::format::spare::Put;
use std::fmt;

/// Which bytes start something the escaper must look at: ASCII controls,
/// `"`, `\`, DEL, and the lead bytes of the escaped non-ASCII characters
/// (C1 controls `C2 80..9F`, `E2 80 A8..AE` and `E2 81 A6..A9` for the line
/// separators and bidi controls, `D8 9C` for the Arabic letter mark).
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[0x7F] = true;
    t[0xC2] = true;
    t[0xD8] = true;
    t[0xE2] = true;
    t
};

/// Writes `bytes` as a JSON string of lowercase hex digits (a W3C trace or
/// span id).
pub(crate) fn write_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let at = out.len();
    out.resize(at + 2 * bytes.len(), 0);
    crate::context::hex_encode(bytes, &mut out[at..]);
    out.push(b'"');
}

/// Writes `s` as a JSON string, quotes included. Besides JSON's required
/// escapes, U+2028/2029, DEL, C1 controls and bidi controls are written as
/// `\uXXXX`, so a line is safe for any JSON reader and for human eyes.
pub(crate) fn write_str(out: &mut impl Put, s: &str) {
    out.reserve(s.len() + 2);
    out.put_byte(b'"');
    escape_into(out, s);
    out.put_byte(b'"');
}

/// Whether any of 8 bytes is an ASCII control, `"`, `\`, DEL or non-ASCII,
/// i.e. may need [`SPECIAL`]'s closer look. Bit tricks on a `u64`: with
/// the high bits cleared (`y`, bytes of at most 0x7F, so that no sum below
/// carries into the next byte), a byte's high bit is set in `y + 0x60` if
/// it is at least 0x20, in `(y ^ c) + 0x7F` if it differs from `c`, and in
/// `y + 0x01` if it is DEL. (About half the instructions of a zero-byte
/// test per byte sought.)
#[inline]
fn needs_look(chunk: [u8; 8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const LOW: u64 = !HIGH;
    let x = u64::from_ne_bytes(chunk);
    let y = x & LOW;
    let plain = y.wrapping_add(ONES * 0x60)
        & (y ^ (ONES * u64::from(b'"'))).wrapping_add(ONES * 0x7F)
        & (y ^ (ONES * u64::from(b'\\'))).wrapping_add(ONES * 0x7F);
    (!plain | y.wrapping_add(ONES) | x) & HIGH != 0
}

/// Writes `s` escaped as in [`write_str`], without the quotes. A string of
/// at most 8 bytes that needs no escape (most short values) is looked at
/// and copied as one word, inline; the rest are skipped eight bytes at a
/// time. (`"stripe"` took 70 instructions through the general loop, by
/// callgrind.)
#[inline(always)]
pub(crate) fn escape_into(out: &mut impl Put, s: &str) {
    let bytes = s.as_bytes();
    if bytes.len() <= 8 {
        let word = load_word(bytes).to_le_bytes();
        if !needs_look(word) {
            out.put_word(&word, bytes.len());
            return;
        }
    }
    escape_long(out, s);
}

/// [`escape_into`] for a string that is long or needs escaping.
#[inline(never)]
fn escape_long(out: &mut impl Put, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            if !needs_look(chunk.try_into().expect("8 bytes")) {
                i += 8;
                continue;
            }
        } else {
            // The last few bytes, padded with a byte that needs no look:
            // most values are shorter than eight bytes, and going through
            // them one by one took about 25 instructions a byte.
            let mut tail = [b'a'; 8];
            tail[..bytes.len() - i].copy_from_slice(&bytes[i..]);
            if !needs_look(tail) {
                break;
            }
        }
        let b = bytes[i];
        if !SPECIAL[b as usize] {
            i += 1;
            continue;
        }
        let (c, len) = match s[i..].chars().next() {
            Some(c) => (c, c.len_utf8()),
            None => break,
        };
        let escape: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            '\u{08}' => Some(b"\\b"),
            '\u{0C}' => Some(b"\\f"),
            _ => None,
        };
        if escape.is_none() && !(c < ' ' || is_hostile(c)) {
            i += len;
            continue;
        }
        out.put(&bytes[start..i]);
        match escape {
            Some(e) => out.put(e),
            None => push_u_escape(out, c),
        }
        i += len;
        start = i;
    }
    out.put(&bytes[start..]);
}

/// A `fmt::Write` that appends JSON-escaped text.
pub(super) struct Escaped<'a, P: Put>(pub(super) &'a mut P);

impl<P: Put> fmt::Write for Escaped<'_, P> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s);
        Ok(())
    }
}

fn push_u_escape(out: &mut impl Put, c: char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let n = c as u32;
    let mut e = *b"\\u0000";
    for (i, shift) in [12, 8, 4, 0].into_iter().enumerate() {
        e[2 + i] = HEX[((n >> shift) & 0xF) as usize];
    }
    out.put(&e);
}
#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_what_json_requires_and_what_is_hostile() {
        assert_eq!(esc("plain"), r#""plain""#);
        assert_eq!(esc("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(esc("l1\nl2\r\t\u{8}\u{c}"), r#""l1\nl2\r\t\b\f""#);
        assert_eq!(esc("\u{0}\u{1b}[31m"), r#""\u0000\u001b[31m""#);
        assert_eq!(esc("x\u{7f}\u{85}\u{9f}"), r#""x\u007f\u0085\u009f""#);
        assert_eq!(esc("\u{2028}\u{2029}"), r#""\u2028\u2029""#);
        assert_eq!(
            esc("\u{202e}evil\u{2066}\u{2069}\u{200f}\u{61c}"),
            r#""\u202eevil\u2066\u2069\u200f\u061c""#
        );
        // Non-hostile characters sharing lead bytes stay raw.
        assert_eq!(esc("é ✓ € — ء"), "\"é ✓ € — ء\"");
    }

    #[test]
    fn the_eight_byte_scan_misses_nothing() {
        // Every special byte at every offset of a run longer than a chunk,
        // so that both the fast skip and the tail are exercised.
        let hits = [
            "\"", "\\", "\n", "\u{1}", "\u{7f}", "\u{85}", "\u{2028}", "\u{202e}", "é",
        ];
        for hit in hits {
            for at in 0..20 {
                let s = format!("{}{hit}{}", "a".repeat(at), "b".repeat(19 - at));
                let slow: String = s
                    .chars()
                    .map(|c| esc(&c.to_string()))
                    .map(|q| q[1..q.len() - 1].to_owned())
                    .collect();
                assert_eq!(esc(&s), format!("\"{slow}\""), "{hit:?} at {at}");
            }
        }
        // Short strings (read whole, with overlapping moves): every length
        // up to past the limit, the special byte at every offset.
        for hit in hits {
            for len in 0..=17 {
                let plain = "x".repeat(len);
                assert_eq!(esc(&plain), format!("\"{plain}\""));
                for at in 0..len {
                    let s = format!("{}{hit}{}", "a".repeat(at), "b".repeat(len - at - 1));
                    let slow: String = s
                        .chars()
                        .map(|c| esc(&c.to_string()))
                        .map(|q| q[1..q.len() - 1].to_owned())
                        .collect();
                    assert_eq!(esc(&s), format!("\"{slow}\""), "{hit:?} at {at} of {len}");
                }
            }
        }
        let mut out = b"<".to_vec();
        for len in 0..=40 {
            let digits: String = (0..len)
                .map(|i| char::from(b'0' + (i % 10) as u8))
                .collect();
            append(&mut out, digits.as_bytes());
            out.push(b'|');
        }
        let expected: String = (0..=40)
            .map(|len| {
                (0..len)
                    .map(|i| char::from(b'0' + (i % 10) as u8))
                    .collect::<String>()
                    + "|"
            })
            .collect();
        assert_eq!(String::from_utf8(out).unwrap(), format!("<{expected}"));
        // Bytes next to the thresholds stay raw.
        assert_eq!(
            esc(" !#[]~ 0123456789abcdef"),
            "\" !#[]~ 0123456789abcdef\""
        );
    }
}
