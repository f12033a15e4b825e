//! The text format's escaping: data is written with every character that
//! could end the line or drive a terminal escaped (`\n`, `\u{1b}`, …), and
//! a ` key=value` pair's key or value is quoted when it is empty or holds a
//! space, `"`, `=`, `\` or such a character.
//!
//! Both scan for the bytes that matter eight at a time and copy the runs
//! between them whole: going character by character (`chars().any(..)`,
//! then a push per character) was over a fifth of the text line's cost.

use crate::encode::Value;
use crate::format::common::{is_hostile, load_word};
use crate::format::spare::Put;
use std::fmt;

/// The byte may start a character that is escaped: an ASCII control, DEL,
/// or the lead byte of an escaped non-ASCII character (C1 controls
/// `C2 80..9F`, `D8 9C` for the Arabic letter mark, `E2 80 8E..` and
/// `E2 81 A6..A9` for the line separators and bidi controls).
const ESC: u8 = 1;
/// The byte makes a logfmt key or value quoted: a space, `"`, `=` or `\`.
const QUOTE: u8 = 2;
/// The byte is escaped inside quotes: `"` or `\`.
const IN_QUOTES: u8 = 4;

static CLASS: [u8; 256] = {
    let mut t = [0; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = ESC;
        i += 1;
    }
    t[0x7F] = ESC;
    t[0xC2] = ESC;
    t[0xD8] = ESC;
    t[0xE2] = ESC;
    t[b' ' as usize] = QUOTE;
    t[b'=' as usize] = QUOTE;
    t[b'"' as usize] = QUOTE | IN_QUOTES;
    t[b'\\' as usize] = QUOTE | IN_QUOTES;
    t
};

/// Whether the text format escapes `c`.
#[inline]
fn is_escaped(c: char) -> bool {
    c.is_control() || is_hostile(c)
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// Whether any of 8 bytes may be of a class [`CLASS`] marks: an ASCII
/// control, DEL or non-ASCII, and with `LOGFMT` also a space, `"`, `=` or
/// `\` (bit tricks on a `u64`, as the JSON escaper's: the answer is exact
/// for "some byte is below `n`" and "some byte is zero").
#[inline]
fn needs_look<const LOGFMT: bool>(chunk: [u8; 8]) -> bool {
    let x = u64::from_ne_bytes(chunk);
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below = |n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let common = has_zero(x ^ (ONES * 0x7F)) | (x & HIGH);
    let hit = if LOGFMT {
        common
            | below(b' ' + 1)
            | has_zero(x ^ (ONES * u64::from(b'"')))
            | has_zero(x ^ (ONES * u64::from(b'=')))
            | has_zero(x ^ (ONES * u64::from(b'\\')))
    } else {
        common | below(b' ')
    };
    hit != 0
}

/// The index of the first byte at or after `i` whose class meets `mask`,
/// or the length. `LOGFMT` must be set when `mask` has [`QUOTE`] or
/// [`IN_QUOTES`], so that the eight-byte skip sees those bytes.
#[inline]
fn next_special<const LOGFMT: bool>(bytes: &[u8], mut i: usize, mask: u8) -> usize {
    loop {
        let end = match bytes.get(i..i + 8) {
            Some(chunk) => {
                if !needs_look::<LOGFMT>(chunk.try_into().expect("8 bytes")) {
                    i += 8;
                    continue;
                }
                i + 8
            }
            None => {
                // The last few bytes (most values are shorter than eight),
                // in one word without a copy: the first and last four,
                // which may overlap, or a few picked bytes.
                let rest = &bytes[i..];
                let n = rest.len();
                let word = match n {
                    0 => return bytes.len(),
                    4.. => {
                        let (lo, hi) = (&rest[..4], &rest[n - 4..]);
                        [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3]]
                    }
                    _ => [
                        rest[0],
                        rest[n / 2],
                        rest[n - 1],
                        b'a',
                        b'a',
                        b'a',
                        b'a',
                        b'a',
                    ],
                };
                if !needs_look::<LOGFMT>(word) {
                    return bytes.len();
                }
                bytes.len()
            }
        };
        while i < end {
            if CLASS[usize::from(bytes[i])] & mask != 0 {
                return i;
            }
            i += 1;
        }
        if end == bytes.len() {
            return end;
        }
    }
}

/// Appends `v`, escaping characters that could break the line or drive a
/// terminal.
pub(crate) fn escape_into(out: &mut impl Put, v: &str) {
    escape_with(out, v, ESC);
}

/// Appends `v` escaped, `"` and `\` too when `mask` has [`IN_QUOTES`].
#[inline]
fn escape_with(out: &mut impl Put, v: &str, mask: u8) {
    let bytes = v.as_bytes();
    let mut start = 0;
    let mut i = 0;
    loop {
        i = if mask & IN_QUOTES != 0 {
            next_special::<true>(bytes, i, mask)
        } else {
            next_special::<false>(bytes, i, mask)
        };
        // A marked byte is ASCII or a lead byte: `i` is a character
        // boundary.
        let Some(c) = v.get(i..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        let escape: &[u8] = match c {
            '"' => b"\\\"",
            '\\' => b"\\\\",
            '\n' => b"\\n",
            '\r' => b"\\r",
            '\t' => b"\\t",
            c if is_escaped(c) => &[],
            _ => {
                i += c.len_utf8();
                continue;
            }
        };
        out.put(&bytes[start..i]);
        if escape.is_empty() {
            push_u_escape(out, c);
        } else {
            out.put(escape);
        }
        i += c.len_utf8();
        start = i;
    }
    out.put(&bytes[start..]);
}

/// `\u{…}`: the code point in lowercase hex, without leading zeros.
fn push_u_escape(out: &mut impl Put, c: char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let n = c as u32;
    out.put(b"\\u{");
    let digits = (32 - (n | 1).leading_zeros()).div_ceil(4);
    for k in (0..digits).rev() {
        out.put_byte(HEX[((n >> (4 * k)) & 0xF) as usize]);
    }
    out.put_byte(b'}');
}

/// Appends a logfmt key or string value: as it is, or quoted and escaped
/// when it is empty or holds a space, `"`, `=`, `\`, or a character that
/// is escaped.
///
/// A string of 1 to 8 bytes that needs neither (most short values) is
/// looked at and copied as one word, inline: `"stripe"` took 140
/// instructions through the general scan, by callgrind.
#[inline(always)]
pub(super) fn write_logfmt_str(out: &mut impl Put, v: &str) {
    let bytes = v.as_bytes();
    if (1..=8).contains(&bytes.len()) {
        let word = load_word(bytes).to_le_bytes();
        if !needs_look::<true>(word) {
            out.put_word(&word, bytes.len());
            return;
        }
    }
    write_logfmt_str_scanned(out, v);
}

/// [`write_logfmt_str`] for any string: scanned for what needs quotes,
/// then escaped if it does.
fn write_logfmt_str_scanned(out: &mut impl Put, v: &str) {
    if !needs_quotes(v) {
        out.put(v.as_bytes());
        return;
    }
    out.put_byte(b'"');
    escape_with(out, v, ESC | IN_QUOTES);
    out.put_byte(b'"');
}

fn needs_quotes(v: &str) -> bool {
    let bytes = v.as_bytes();
    if bytes.is_empty() {
        return true;
    }
    let mut i = 0;
    loop {
        i = next_special::<true>(bytes, i, ESC | QUOTE);
        let Some(&b) = bytes.get(i) else {
            return false;
        };
        if CLASS[usize::from(b)] & QUOTE != 0 {
            return true;
        }
        match v.get(i..).and_then(|rest| rest.chars().next()) {
            Some(c) if is_escaped(c) => return true,
            Some(c) => i += c.len_utf8(),
            None => return false,
        }
    }
}

/// Appends ` key=value`.
pub(super) fn push_pair(out: &mut impl Put, key: &str, value: Value<'_>) {
    out.put_byte(b' ');
    write_logfmt_str(out, key);
    out.put_byte(b'=');
    write_logfmt_value(out, value);
}

/// Appends a field's value: a string as [`write_logfmt_str`] writes it,
/// `null` for none, anything else as `Display` writes it.
pub(super) fn write_logfmt_value(out: &mut impl Put, value: Value<'_>) {
    match value {
        Value::Str(v) => write_logfmt_str(out, v),
        Value::I64(n) => out.put(itoa::Buffer::new().format(n).as_bytes()),
        Value::U64(n) => out.put(itoa::Buffer::new().format(n).as_bytes()),
        Value::I128(n) => out.put(itoa::Buffer::new().format(n).as_bytes()),
        Value::U128(n) => out.put(itoa::Buffer::new().format(n).as_bytes()),
        Value::Bool(b) => out.put(if b { b"true" } else { b"false" }),
        Value::Char(c) => write_logfmt_str(out, c.encode_utf8(&mut [0; 4])),
        Value::Null => out.put(b"null"),
        // Floats as `Display` writes them (`1e300` in full, `1` for 1.0):
        // the faster float writers spell some differently.
        other @ (Value::F32(_) | Value::F64(_)) => {
            let _ = fmt::Write::write_fmt(&mut Raw(out), format_args!("{other}"));
        }
    }
}

/// A `fmt::Write` that appends text as it is.
pub(super) struct Raw<'a, P: Put>(pub(super) &'a mut P);

impl<P: Put> fmt::Write for Raw<'_, P> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.put(s.as_bytes());
        Ok(())
    }
}

/// A `fmt::Write` that appends text escaped as [`escape_into`] does.
pub(super) struct Escaped<'a, P: Put>(pub(super) &'a mut P);

impl<P: Put> fmt::Write for Escaped<'_, P> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The escaping as first written, character by character: what the
    /// scans above must reproduce byte for byte.
    mod slow {
        use super::super::is_escaped;
        use std::fmt::Write as _;

        pub(super) fn needs_quotes(v: &str) -> bool {
            v.is_empty()
                || v.chars()
                    .any(|c| c == ' ' || c == '"' || c == '=' || c == '\\' || is_escaped(c))
        }

        pub(super) fn escape(v: &str) -> String {
            let mut s = String::new();
            for c in v.chars() {
                push_char_escaped(&mut s, c);
            }
            s
        }

        pub(super) fn logfmt(v: &str) -> String {
            if !needs_quotes(v) {
                return v.to_owned();
            }
            let mut s = String::from("\"");
            for c in v.chars() {
                match c {
                    '"' => s.push_str("\\\""),
                    '\\' => s.push_str("\\\\"),
                    c => push_char_escaped(&mut s, c),
                }
            }
            s.push('"');
            s
        }

        fn push_char_escaped(s: &mut String, c: char) {
            match c {
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                '\t' => s.push_str("\\t"),
                c if is_escaped(c) => {
                    let _ = write!(s, "\\u{{{:x}}}", c as u32);
                }
                c => s.push(c),
            }
        }
    }

    fn escaped(v: &str) -> String {
        let mut out = Vec::new();
        escape_into(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn logfmt(v: &str) -> String {
        let mut out = Vec::new();
        write_logfmt_str(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escaping_keeps_one_line() {
        assert_eq!(
            escaped("a\nb\r\u{1b}[2J\u{202e}\tc\u{85}"),
            "a\\nb\\r\\u{1b}[2J\\u{202e}\\tc\\u{85}"
        );
        assert_eq!(escaped("\u{0}\u{7f}\u{61c}"), "\\u{0}\\u{7f}\\u{61c}");
        let mut out = Vec::new();
        push_pair(&mut out, "k", Value::Str("two words \"q\"\nx"));
        push_pair(&mut out, "n", Value::F64(1.5));
        push_pair(&mut out, "e", Value::Str(""));
        push_pair(&mut out, "a b", Value::Char('='));
        push_pair(&mut out, "z", Value::Null);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#" k="two words \"q\"\nx" n=1.5 e="" "a b"="=" z=null"#
        );
    }

    #[test]
    fn scans_agree_with_the_character_by_character_escaping() {
        // Each interesting character at every offset of runs shorter and
        // longer than the eight-byte chunk, so that the chunk skip, the
        // padded tail and the byte loop all meet it; and characters that
        // share a lead byte with escaped ones but are not escaped.
        let hits = [
            " ", "=", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1f}", "\u{7f}", "\u{80}",
            "\u{85}", "\u{9f}", "\u{a0}", "é", "\u{61b}", "\u{61c}", "\u{200d}", "\u{200e}",
            "\u{200f}", "\u{2027}", "\u{2028}", "\u{202e}", "\u{202f}", "\u{2065}", "\u{2066}",
            "\u{2069}", "\u{206a}", "✓", "€", "—", "😀", "!", "~",
        ];
        for hit in hits {
            for len in [0, 1, 7, 8, 9, 16, 19] {
                for at in 0..=len {
                    let v = format!("{}{hit}{}", "a".repeat(at), "b".repeat(len - at));
                    assert_eq!(escaped(&v), slow::escape(&v), "{v:?}");
                    assert_eq!(logfmt(&v), slow::logfmt(&v), "{v:?}");
                }
            }
            let two = format!("{hit}x{hit}");
            assert_eq!(logfmt(&two), slow::logfmt(&two), "{two:?}");
        }
        for v in [
            "",
            "a",
            "plain",
            "exactly8",
            "ümlaut_ünd_mehr",
            "日本語のテキスト",
        ] {
            assert_eq!(escaped(v), slow::escape(v), "{v:?}");
            assert_eq!(logfmt(v), slow::logfmt(v), "{v:?}");
        }
    }

    #[test]
    fn every_code_point_escapes_as_before() {
        let mut all = String::new();
        for c in (0..0x3000).filter_map(char::from_u32) {
            all.push(c);
            let one = c.to_string();
            assert_eq!(escaped(&one), slow::escape(&one), "{c:?}");
            assert_eq!(logfmt(&one), slow::logfmt(&one), "{c:?}");
        }
        assert_eq!(escaped(&all), slow::escape(&all));
        assert_eq!(logfmt(&all), slow::logfmt(&all));
    }
}
