//! Rendering timestamps (ISO 8601 or a `datefmt`), with the date and time
//! of day formatted once per second. Reading the clock is [`crate::clock`]'s,
//! the calendar [`crate::civil`]'s.
//!
//! The `datefmt` directives are this module's own (the set
//! [`crate::TextFormat::datefmt`] documents), parsed once when the format
//! is built, rather than a date crate's (see [`crate::civil`] for what one
//! cost the build).

use crate::civil::DateTime;
use crate::format::spare::{DIGITS2, Put, Spare};

/// Renders timestamps, formatting the date and time of day once per second.
#[derive(Debug, Clone)]
pub(crate) struct TimeFormat {
    /// `None`: ISO 8601 in UTC with microseconds and `Z`.
    datefmt: Option<Vec<Item>>,
    /// Whether `datefmt` output depends only on the whole second.
    cacheable: bool,
    cached_sec: Option<u64>,
    /// `cached_sec` in nanoseconds.
    cached_start: u64,
    cached: Vec<u8>,
    /// `cached` when it is 19 bytes (ISO 8601 up to the seconds), then
    /// `.000000Z` ([`ISO_LEN`] bytes in all), padded to 32: a time is this
    /// with its microseconds put in, copied with one fixed-size move.
    iso: [u8; 32],
}

/// Bytes of an ISO 8601 time with microseconds and `Z`.
pub(crate) const ISO_LEN: usize = 27;

/// [`TimeFormat::iso`] before the first second is cached.
const ISO_UNSET: [u8; 32] = *b"0000-00-00T00:00:00.000000Z\0\0\0\0\0";

impl TimeFormat {
    /// Checks a strftime format (as Python's `datefmt`).
    pub(crate) fn new(datefmt: Option<String>) -> Result<TimeFormat, String> {
        let datefmt = match datefmt {
            Some(f) => Some(parse(&f).map_err(|e| format!("invalid datefmt `{f}`: {e}"))?),
            None => None,
        };
        let cacheable = datefmt
            .as_deref()
            .is_none_or(|items| !items.iter().any(|i| matches!(i, Item::Fraction { .. })));
        Ok(TimeFormat {
            datefmt,
            cacheable,
            cached_sec: None,
            cached_start: 0,
            cached: Vec::new(),
            iso: ISO_UNSET,
        })
    }

    /// Appends the rendered timestamp (no quotes, no escaping needed: the
    /// output of a valid strftime format is checked to be plain text).
    #[inline]
    pub(crate) fn write(&mut self, time_ns: u64, out: &mut impl Put) {
        if !self.in_cached_iso(time_ns) {
            self.write_other(time_ns, out);
            return;
        }
        // Within the cached second, no division is needed.
        out.put(&iso_line(&self.iso, time_ns.wrapping_sub(self.cached_start))[..ISO_LEN]);
    }

    /// Whether `time_ns` is an ISO time within the cached second.
    #[inline(always)]
    fn in_cached_iso(&self, time_ns: u64) -> bool {
        let nanos = time_ns.wrapping_sub(self.cached_start);
        self.datefmt.is_none() && nanos < 1_000_000_000 && self.cached.len() == 19
    }

    /// Appends the time to a line written in place: an ISO time as the
    /// cached second's [`TimeFormat::iso`] moved whole with its
    /// microseconds put in over it ([`Spare::put_array_with`]; built on the
    /// stack and then moved, the JSON writer's time took 25 instructions a
    /// line more, by callgrind); any other time (a `datefmt`, a year past
    /// 9999) as [`TimeFormat::write`] writes it.
    #[inline(always)]
    pub(crate) fn put_in_place(&mut self, time_ns: u64, line: &mut Spare<'_>) {
        if self.in_cached_iso(time_ns) || self.iso_new_second(time_ns) {
            let (high, low) = micros_digits(time_ns.wrapping_sub(self.cached_start));
            line.put_array_with(&self.iso, ISO_LEN, [(HIGH_AT, high), (LOW_AT, low)]);
        } else {
            line.detour(|line| self.write(time_ns, line));
        }
    }

    /// Renews the cached second for `time_ns`; false if it is not an ISO
    /// time of 19 bytes to the second then.
    #[cold]
    #[inline(never)]
    fn iso_new_second(&mut self, time_ns: u64) -> bool {
        if self.datefmt.is_some() {
            return false;
        }
        self.renew_iso(time_ns / 1_000_000_000);
        self.in_cached_iso(time_ns)
    }

    /// Renders second `sec` of the ISO time into the cache, unless it is
    /// there. Out of line, so that the ISO time within the cached second,
    /// the common case of the JSON and text formats, keeps a small frame.
    #[inline(never)]
    fn renew_iso(&mut self, sec: u64) {
        if self.cached_sec == Some(sec) {
            return;
        }
        self.cached.clear();
        let t = DateTime::from_unix(unix(sec));
        number(&mut self.cached, t.year, Pad::Zero, 4);
        for (sep, n) in [
            (b'-', t.month),
            (b'-', t.day),
            (b'T', t.hour),
            (b':', t.minute),
            (b':', t.second),
        ] {
            self.cached.push(sep);
            self.cached.extend_from_slice(&DIGITS2[usize::from(n)]);
        }
        self.cached_sec = Some(sec);
        self.cached_start = sec * 1_000_000_000;
        // Years 1970 to 9999: always 19 bytes.
        if let (Some(iso), 19) = (self.iso.get_mut(..19), self.cached.len()) {
            iso.copy_from_slice(&self.cached);
        }
    }

    fn write_other(&mut self, time_ns: u64, out: &mut impl Put) {
        let sec = time_ns / 1_000_000_000;
        match &self.datefmt {
            None => {
                self.renew_iso(sec);
                let nanos = time_ns - self.cached_start;
                if self.cached.len() == 19 {
                    out.put(&iso_line(&self.iso, nanos)[..ISO_LEN]);
                } else {
                    out.put(&self.cached);
                    out.put(&iso_line(&self.iso, nanos)[19..ISO_LEN]);
                }
            }
            Some(items) => {
                let nanos = (time_ns % 1_000_000_000) as u32;
                if !self.cacheable || self.cached_sec != Some(sec) {
                    self.cached.clear();
                    render(items, sec, nanos, &mut self.cached);
                    self.cached_sec = Some(sec);
                }
                out.put(&self.cached);
            }
        }
    }
}

/// Where the first and the second three digits of the microseconds go in
/// an ISO time, each with a `Z` after it (the second's `Z` is the time's,
/// the first's is written over).
const HIGH_AT: usize = 20;
const LOW_AT: usize = 23;

/// The microseconds of `nanos` (below a second) as two groups of three
/// digits, each followed by a `Z`. (Two digits at a time, from `DIGITS2`,
/// the time cost the JSON writer 15 instructions a line more, by
/// callgrind.)
#[inline(always)]
fn micros_digits(nanos: u64) -> ([u8; 4], [u8; 4]) {
    #[allow(clippy::cast_possible_truncation)]
    let micros = ((nanos / 1000) as u32).min(999_999);
    (
        DIGITS3Z[(micros / 1000) as usize],
        DIGITS3Z[(micros % 1000) as usize],
    )
}

/// The ISO 8601 time (its first [`ISO_LEN`] bytes) for `nanos` into the
/// second of template `iso`.
#[inline]
fn iso_line(iso: &[u8; 32], nanos: u64) -> [u8; 32] {
    let (high, low) = micros_digits(nanos);
    let mut line = *iso;
    line[HIGH_AT..HIGH_AT + 4].copy_from_slice(&high);
    line[LOW_AT..LOW_AT + 4].copy_from_slice(&low);
    line
}

/// `000Z` to `999Z`.
static DIGITS3Z: [[u8; 4]; 1000] = {
    let mut t = [[0; 4]; 1000];
    let mut i = 0;
    while i < 1000 {
        t[i] = [
            b'0' + (i / 100) as u8,
            b'0' + (i / 10 % 10) as u8,
            b'0' + (i % 10) as u8,
            b'Z',
        ];
        i += 1;
    }
    t
};

/// Unix seconds as the calendar takes them: a `u64` of seconds from a
/// `u64` of nanoseconds is far below `i64::MAX`.
fn unix(sec: u64) -> i64 {
    i64::try_from(sec).unwrap_or(i64::MAX)
}

/// One part of a parsed `datefmt`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Written as it is: the format's own text, and the directives whose
    /// output never changes (`%%`, `%n`, `%t`, and in UTC `%z` and `%Z`).
    Text(String),
    /// A number, padded to `width` with `pad`.
    Number { field: Number, pad: Pad, width: u8 },
    /// A name (English, as the C locale's), in capitals with `upper`.
    Name { field: Name, upper: bool },
    /// The fraction of the second: exactly `digits` digits (truncated),
    /// or with `None` as many as it has, trailing zeros dropped (at least
    /// one without `dot`). With `dot`, a `.` before them, and nothing at
    /// all for a fraction of zero printed with `None` digits, or `Some(0)`.
    Fraction { digits: Option<u8>, dot: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Number {
    Year,
    Century,
    YearOfCentury,
    IsoYear,
    IsoYearOfCentury,
    Quarter,
    Month,
    Day,
    Ordinal,
    Hour,
    Hour12,
    Minute,
    Second,
    UnixSeconds,
    /// 1 (Monday) to 7.
    WeekdayFromMonday,
    /// 0 (Sunday) to 6.
    WeekdayFromSunday,
    /// Weeks starting on Sunday; the days before the first Sunday are week 0.
    WeekFromSunday,
    /// Weeks starting on Monday; the days before the first Monday are week 0.
    WeekFromMonday,
    IsoWeek,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    WeekdayShort,
    WeekdayLong,
    MonthShort,
    MonthLong,
    AmPm,
    AmPmLower,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pad {
    Zero,
    Space,
    None,
}

/// What a directive letter stands for.
enum Directive {
    Number(Number, Pad, u8),
    Name(Name),
    Text(&'static str),
    /// Shorthand for these directives.
    Composite(&'static str),
    Fraction,
}

/// The directive `%c` stands for (without its flags, width or colons).
fn directive(c: char, colons: usize) -> Option<Directive> {
    use Directive as D;
    use Number as N;
    let number = |n, pad, width| Some(D::Number(n, pad, width));
    match (c, colons) {
        ('z', 0) => Some(D::Text("+0000")),
        ('z', 1) => Some(D::Text("+00:00")),
        ('z', 2) => Some(D::Text("+00:00:00")),
        ('z', 3) => Some(D::Text("+00")),
        (_, 1..) => None,
        ('Y', _) => number(N::Year, Pad::Zero, 4),
        ('C', _) => number(N::Century, Pad::Zero, 2),
        ('y', _) => number(N::YearOfCentury, Pad::Zero, 2),
        ('G', _) => number(N::IsoYear, Pad::Zero, 4),
        ('g', _) => number(N::IsoYearOfCentury, Pad::Zero, 2),
        ('q', _) => number(N::Quarter, Pad::Zero, 1),
        ('m', _) => number(N::Month, Pad::Zero, 2),
        ('d', _) => number(N::Day, Pad::Zero, 2),
        ('e', _) => number(N::Day, Pad::Space, 2),
        ('j', _) => number(N::Ordinal, Pad::Zero, 3),
        ('H', _) => number(N::Hour, Pad::Zero, 2),
        ('k', _) => number(N::Hour, Pad::Space, 2),
        ('I', _) => number(N::Hour12, Pad::Zero, 2),
        ('l', _) => number(N::Hour12, Pad::Space, 2),
        ('M', _) => number(N::Minute, Pad::Zero, 2),
        ('S', _) => number(N::Second, Pad::Zero, 2),
        ('s', _) => number(N::UnixSeconds, Pad::None, 0),
        ('u', _) => number(N::WeekdayFromMonday, Pad::Zero, 1),
        ('w', _) => number(N::WeekdayFromSunday, Pad::Zero, 1),
        ('U', _) => number(N::WeekFromSunday, Pad::Zero, 2),
        ('W', _) => number(N::WeekFromMonday, Pad::Zero, 2),
        ('V', _) => number(N::IsoWeek, Pad::Zero, 2),
        ('a', _) => Some(D::Name(Name::WeekdayShort)),
        ('A', _) => Some(D::Name(Name::WeekdayLong)),
        ('b' | 'h', _) => Some(D::Name(Name::MonthShort)),
        ('B', _) => Some(D::Name(Name::MonthLong)),
        ('p', _) => Some(D::Name(Name::AmPm)),
        ('P', _) => Some(D::Name(Name::AmPmLower)),
        ('Z', _) => Some(D::Text("UTC")),
        ('%', _) => Some(D::Text("%")),
        ('n', _) => Some(D::Text("\n")),
        ('t', _) => Some(D::Text("\t")),
        ('F', _) => Some(D::Composite("%Y-%m-%d")),
        ('T' | 'X', _) => Some(D::Composite("%H:%M:%S")),
        ('R', _) => Some(D::Composite("%H:%M")),
        ('D' | 'x', _) => Some(D::Composite("%m/%d/%y")),
        ('r', _) => Some(D::Composite("%I:%M:%S %p")),
        ('c', _) => Some(D::Composite("%a %b %e %H:%M:%S %Y")),
        ('f', _) => Some(D::Fraction),
        ('N', _) => Some(D::Fraction),
        _ => None,
    }
}

/// Parses a `datefmt` into its parts; what is wrong with it otherwise.
fn parse(format: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    parse_into(format, &mut items)?;
    Ok(items)
}

fn parse_into(format: &str, items: &mut Vec<Item>) -> Result<(), String> {
    let mut chars = format.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c != '%' {
            push_text(items, c.encode_utf8(&mut [0; 4]));
            continue;
        }
        let mut next = || {
            chars
                .next()
                .map(|(_, c)| c)
                .ok_or("it ends in the middle of a directive (`%%` writes a `%`)")
        };
        let mut c = next()?;
        let flag = if matches!(c, '-' | '_' | '0' | '^') {
            let flag = c;
            c = next()?;
            Some(flag)
        } else {
            None
        };
        let dot = c == '.';
        if dot {
            c = next()?;
        }
        let mut width: Option<u8> = None;
        while let Some(d) = c.to_digit(10) {
            // Above 20 is taken as 20: no field needs more, and a
            // huge width must not become a huge line.
            width = Some(
                width
                    .unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(d as u8)
                    .min(20),
            );
            c = next()?;
        }
        let mut colons = 0;
        while c == ':' {
            colons += 1;
            c = next()?;
        }
        let end = chars.peek().map_or(format.len(), |&(i, _)| i);
        let written = &format[start..end];
        let unknown = || format!("unknown directive `{written}`");
        let directive = directive(c, colons).ok_or_else(unknown)?;
        if dot && !matches!(directive, Directive::Fraction) {
            return Err(unknown());
        }
        match directive {
            Directive::Number(field, pad, default_width) => items.push(Item::Number {
                field,
                pad: match flag {
                    Some('-') => Pad::None,
                    Some('_') => Pad::Space,
                    Some('0') => Pad::Zero,
                    _ => pad,
                },
                width: width.unwrap_or(default_width),
            }),
            Directive::Name(field) => items.push(Item::Name {
                field,
                upper: flag == Some('^'),
            }),
            Directive::Text(text) => push_text(items, text),
            Directive::Composite(format) => parse_into(format, items)?,
            Directive::Fraction => {
                let digits = if c == 'N' {
                    Some(9)
                } else {
                    // `%0f` is `%f`; `%.0f` is no fraction at all.
                    width.filter(|&w| dot || w > 0).map(|w| w.min(9))
                };
                items.push(Item::Fraction { digits, dot });
            }
        }
    }
    Ok(())
}

/// Appends `text`, joined to the text before it.
fn push_text(items: &mut Vec<Item>, text: &str) {
    if let Some(Item::Text(last)) = items.last_mut() {
        last.push_str(text);
    } else {
        items.push(Item::Text(text.to_owned()));
    }
}

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Renders `items` for `sec` seconds and `nanos` nanoseconds after the
/// epoch, in UTC.
fn render(items: &[Item], sec: u64, nanos: u32, out: &mut Vec<u8>) {
    let t = DateTime::from_unix(unix(sec));
    for item in items {
        match *item {
            Item::Text(ref text) => out.extend_from_slice(text.as_bytes()),
            Item::Number { field, pad, width } => {
                number(out, number_of(field, &t, sec), pad, width);
            }
            Item::Name { field, upper } => {
                let name = match field {
                    Name::WeekdayShort => &WEEKDAYS[usize::from(t.weekday)][..3],
                    Name::WeekdayLong => WEEKDAYS[usize::from(t.weekday)],
                    Name::MonthShort => &MONTHS[usize::from(t.month - 1)][..3],
                    Name::MonthLong => MONTHS[usize::from(t.month - 1)],
                    Name::AmPm if t.hour < 12 => "AM",
                    Name::AmPm => "PM",
                    Name::AmPmLower if t.hour < 12 => "am",
                    Name::AmPmLower => "pm",
                };
                if upper {
                    out.extend(name.bytes().map(|b| b.to_ascii_uppercase()));
                } else {
                    out.extend_from_slice(name.as_bytes());
                }
            }
            Item::Fraction { digits, dot } => fraction(out, nanos, digits, dot),
        }
    }
}

fn number_of(field: Number, t: &DateTime, sec: u64) -> i64 {
    let from_monday = i64::from((t.weekday + 6) % 7);
    let day0 = i64::from(t.ordinal) - 1;
    match field {
        Number::Year => t.year,
        Number::Century => t.year.div_euclid(100),
        Number::YearOfCentury => t.year.rem_euclid(100),
        Number::IsoYear => iso_week(t).0,
        Number::IsoYearOfCentury => iso_week(t).0.rem_euclid(100),
        Number::Quarter => i64::from((t.month - 1) / 3 + 1),
        Number::Month => i64::from(t.month),
        Number::Day => i64::from(t.day),
        Number::Ordinal => i64::from(t.ordinal),
        Number::Hour => i64::from(t.hour),
        Number::Hour12 => i64::from((t.hour + 11) % 12 + 1),
        Number::Minute => i64::from(t.minute),
        Number::Second => i64::from(t.second),
        Number::UnixSeconds => unix(sec),
        Number::WeekdayFromMonday => from_monday + 1,
        Number::WeekdayFromSunday => i64::from(t.weekday),
        Number::WeekFromSunday => (day0 + 7 - i64::from(t.weekday)) / 7,
        Number::WeekFromMonday => (day0 + 7 - from_monday) / 7,
        Number::IsoWeek => iso_week(t).1,
    }
}

/// The ISO 8601 week-numbering year and week (weeks start on Monday; week
/// 1 is the one with the year's first Thursday).
fn iso_week(t: &DateTime) -> (i64, i64) {
    /// 53 for a year that starts on a Thursday, or a leap year that starts
    /// on a Wednesday; else 52.
    fn weeks(year: i64) -> i64 {
        let dec31_weekday =
            |y: i64| (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)).rem_euclid(7);
        if dec31_weekday(year) == 4 || dec31_weekday(year - 1) == 3 {
            53
        } else {
            52
        }
    }
    let iso_weekday = i64::from((t.weekday + 6) % 7) + 1;
    let week = (i64::from(t.ordinal) - iso_weekday + 10) / 7;
    if week < 1 {
        (t.year - 1, weeks(t.year - 1))
    } else if week > weeks(t.year) {
        (t.year + 1, 1)
    } else {
        (t.year, week)
    }
}

/// Appends `n`, padded to `width` with `pad`.
fn number(out: &mut Vec<u8>, n: i64, pad: Pad, width: u8) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n.unsigned_abs());
    if n < 0 {
        out.push(b'-');
    }
    let fill = match pad {
        Pad::Zero => Some(b'0'),
        Pad::Space => Some(b' '),
        Pad::None => None,
    };
    if let Some(fill) = fill {
        let short = usize::from(width).saturating_sub(digits.len() + usize::from(n < 0));
        out.extend(std::iter::repeat_n(fill, short));
    }
    out.extend_from_slice(digits.as_bytes());
}

/// Appends the fraction of the second (see [`Item::Fraction`]).
fn fraction(out: &mut Vec<u8>, nanos: u32, digits: Option<u8>, dot: bool) {
    let mut nine = [b'0'; 9];
    let mut buf = itoa::Buffer::new();
    let text = buf.format(nanos.min(999_999_999));
    nine[9 - text.len()..].copy_from_slice(text.as_bytes());
    let shown = match digits {
        Some(n) => &nine[..usize::from(n)],
        None => {
            let len = nine.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
            if len == 0 && !dot {
                &nine[..1]
            } else {
                &nine[..len]
            }
        }
    };
    if dot && !shown.is_empty() {
        out.push(b'.');
    }
    out.extend_from_slice(shown);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::spare::write_in_place;

    fn render(f: &mut TimeFormat, ns: u64) -> String {
        let mut out = Vec::new();
        f.write(ns, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_in_place_iso_time_is_the_written_one_across_seconds() {
        // 2026-04-09T10:15:30.999999Z, then the next second, then back.
        let base = 1_775_729_730_999_999_000;
        let (mut a, mut b) = (
            TimeFormat::new(None).unwrap(),
            TimeFormat::new(None).unwrap(),
        );
        // Microseconds at both ends of each group of three digits.
        let second = base - 999_999_000;
        let micros = [0, 1, 999, 1_000, 1_001, 99_999, 100_000, 999_000, 999_998];
        let instants = micros.into_iter().map(|us| second + us * 1_000 + 999);
        for ns in [base, base + 1_000, base + 2_000_000_000, base, 0]
            .into_iter()
            .chain(instants)
        {
            let mut put = Vec::new();
            assert!(write_in_place(&mut put, 64, |line| {
                a.put_in_place(ns, line);
                Some(())
            }));
            let written = render(&mut b, ns);
            assert_eq!(String::from_utf8(put).unwrap(), written);
            let us = ns % 1_000_000_000 / 1_000;
            assert!(written.ends_with(&format!(".{us:06}Z")), "{written}");
        }
        // Any other time, the general way: a `datefmt`, a year past 9999.
        for (datefmt, ns) in [(Some("%H:%M"), base), (None, u64::MAX)] {
            let mut f = TimeFormat::new(datefmt.map(str::to_owned)).unwrap();
            let mut put = Vec::new();
            assert!(write_in_place(&mut put, 64, |line| {
                f.put_in_place(ns, line);
                Some(())
            }));
            assert_eq!(String::from_utf8(put).unwrap(), render(&mut f, ns));
        }
    }

    #[test]
    fn iso_with_micros_in_utc() {
        let mut f = TimeFormat::new(None).unwrap();
        // 2026-04-09T10:15:30.123456789Z
        let ns = 1_775_729_730_123_456_789;
        assert_eq!(render(&mut f, ns), "2026-04-09T10:15:30.123456Z");
        assert_eq!(render(&mut f, ns + 1_000), "2026-04-09T10:15:30.123457Z");
        assert_eq!(
            render(&mut f, ns + 1_000_000_000),
            "2026-04-09T10:15:31.123456Z"
        );
        assert_eq!(render(&mut f, 0), "1970-01-01T00:00:00.000000Z");
        // Back and forth across the cached second, as clocks of two
        // threads' records may go.
        assert_eq!(
            render(&mut f, ns + 999_999_999),
            "2026-04-09T10:15:31.123456Z"
        );
        assert_eq!(
            render(&mut f, ns - 123_456_790),
            "2026-04-09T10:15:29.999999Z"
        );
        assert_eq!(
            render(&mut f, ns - 123_456_789),
            "2026-04-09T10:15:30.000000Z"
        );
        assert_eq!(
            render(&mut f, ns + 876_543_210),
            "2026-04-09T10:15:30.999999Z"
        );
        assert_eq!(render(&mut f, 999), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn strftime_datefmt() {
        let mut f = TimeFormat::new(Some("%d/%m/%Y %H:%M:%S".into())).unwrap();
        assert_eq!(
            render(&mut f, 1_775_729_730_123_456_789),
            "09/04/2026 10:15:30"
        );
        let mut f = TimeFormat::new(Some("%H:%M:%S%.3f".into())).unwrap();
        assert_eq!(render(&mut f, 1_775_729_730_123_456_789), "10:15:30.123");
        assert_eq!(render(&mut f, 1_775_729_730_987_456_789), "10:15:30.987");
        assert!(
            TimeFormat::new(Some("%Y %".into()))
                .unwrap_err()
                .contains("invalid datefmt")
        );
    }

    /// Every directive but the fraction, against GNU `date -u` in the C
    /// locale.
    #[test]
    fn every_directive_as_date_writes_it() {
        const ALL: &str = "%Y %C %y %G %g %m %d %e %j %H %k %I %l %M %S %s %u %w %U %W %V %a %A %b %h %B %p %P %Z %z %:z %::z %:::z %F %T %X %R %D %x %r %c";
        let items = parse(ALL).unwrap();
        let cases: &[(u64, &str)] = &[
            // the epoch
            (
                0,
                "1970 19 70 1970 70 01 01  1 001 00  0 12 12 00 00 0 4 4 00 00 01 Thu Thursday Jan Jan January AM am UTC +0000 +00:00 +00:00:00 +00 1970-01-01 00:00:00 00:00:00 00:00 01/01/70 01/01/70 12:00:00 AM Thu Jan  1 00:00:00 1970",
            ),
            // a leap day
            (
                951782400,
                "2000 20 00 2000 00 02 29 29 060 00  0 12 12 00 00 951782400 2 2 09 09 09 Tue Tuesday Feb Feb February AM am UTC +0000 +00:00 +00:00:00 +00 2000-02-29 00:00:00 00:00:00 00:00 02/29/00 02/29/00 12:00:00 AM Tue Feb 29 00:00:00 2000",
            ),
            // ISO week 52 of the year before
            (
                946684800,
                "2000 20 00 1999 99 01 01  1 001 00  0 12 12 00 00 946684800 6 6 00 00 52 Sat Saturday Jan Jan January AM am UTC +0000 +00:00 +00:00:00 +00 2000-01-01 00:00:00 00:00:00 00:00 01/01/00 01/01/00 12:00:00 AM Sat Jan  1 00:00:00 2000",
            ),
            // ISO week 53 of the year before
            (
                1104537600,
                "2005 20 05 2004 04 01 01  1 001 00  0 12 12 00 00 1104537600 6 6 00 00 53 Sat Saturday Jan Jan January AM am UTC +0000 +00:00 +00:00:00 +00 2005-01-01 00:00:00 00:00:00 00:00 01/01/05 01/01/05 12:00:00 AM Sat Jan  1 00:00:00 2005",
            ),
            // ISO week 53, 2020
            (
                1609459200,
                "2021 20 21 2020 20 01 01  1 001 00  0 12 12 00 00 1609459200 5 5 00 00 53 Fri Friday Jan Jan January AM am UTC +0000 +00:00 +00:00:00 +00 2021-01-01 00:00:00 00:00:00 00:00 01/01/21 01/01/21 12:00:00 AM Fri Jan  1 00:00:00 2021",
            ),
            // ISO week 1 of the year after
            (
                1735516800,
                "2024 20 24 2025 25 12 30 30 365 00  0 12 12 00 00 1735516800 1 1 52 53 01 Mon Monday Dec Dec December AM am UTC +0000 +00:00 +00:00:00 +00 2024-12-30 00:00:00 00:00:00 00:00 12/30/24 12/30/24 12:00:00 AM Mon Dec 30 00:00:00 2024",
            ),
            // a Thursday, 1 January
            (
                1767225600,
                "2026 20 26 2026 26 01 01  1 001 00  0 12 12 00 00 1767225600 4 4 00 00 01 Thu Thursday Jan Jan January AM am UTC +0000 +00:00 +00:00:00 +00 2026-01-01 00:00:00 00:00:00 00:00 01/01/26 01/01/26 12:00:00 AM Thu Jan  1 00:00:00 2026",
            ),
            // before noon, one-digit hour
            (
                740800000,
                "1993 19 93 1993 93 06 23 23 174 01  1 01  1 46 40 740800000 3 3 25 25 25 Wed Wednesday Jun Jun June AM am UTC +0000 +00:00 +00:00:00 +00 1993-06-23 01:46:40 01:46:40 01:46 06/23/93 06/23/93 01:46:40 AM Wed Jun 23 01:46:40 1993",
            ),
            (
                1775729730,
                "2026 20 26 2026 26 04 09  9 099 10 10 10 10 15 30 1775729730 4 4 14 14 15 Thu Thursday Apr Apr April AM am UTC +0000 +00:00 +00:00:00 +00 2026-04-09 10:15:30 10:15:30 10:15 04/09/26 04/09/26 10:15:30 AM Thu Apr  9 10:15:30 2026",
            ),
            // the last second of 9999
            (
                253402300799,
                "9999 99 99 9999 99 12 31 31 365 23 23 11 11 59 59 253402300799 5 5 52 52 52 Fri Friday Dec Dec December PM pm UTC +0000 +00:00 +00:00:00 +00 9999-12-31 23:59:59 23:59:59 23:59 12/31/99 12/31/99 11:59:59 PM Fri Dec 31 23:59:59 9999",
            ),
        ];
        for &(sec, expected) in cases {
            let mut out = Vec::new();
            super::render(&items, sec, 0, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), expected, "at {sec}");
        }
    }

    fn at(format: &str, sec: u64, nanos: u32) -> String {
        let mut out = Vec::new();
        super::render(&parse(format).unwrap(), sec, nanos, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fractions() {
        // 10:15:30.12345
        let t = 1_775_729_730;
        let cases = [
            ("%f", 123_450_000, "12345"),
            ("%f", 0, "0"),
            ("%f", 5_000_000, "005"),
            ("%0f", 5_000_000, "005"),
            ("%.f", 123_450_000, ".12345"),
            ("%.f", 0, ""),
            ("%3f", 123_450_000, "123"),
            ("%3f", 0, "000"),
            ("%.3f", 123_450_000, ".123"),
            ("%.3f", 999_999_999, ".999"),
            ("%.3f", 0, ".000"),
            ("%6f", 5_000_000, "005000"),
            ("%.6f", 123_450_000, ".123450"),
            ("%9f", 123_450_000, "123450000"),
            ("%12f", 123_450_000, "123450000"),
            ("%N", 1, "000000001"),
            ("%.0f", 123_450_000, ""),
            ("%S%.3f", 5_000_000, "30.005"),
        ];
        for (format, nanos, expected) in cases {
            assert_eq!(at(format, t, nanos), expected, "{format} at {nanos} ns");
        }
    }

    #[test]
    fn flags_and_widths() {
        // 1993-06-23T01:46:40, a Wednesday.
        let t = 740_800_000;
        let cases = [
            ("%-d/%-m %-H:%M", "23/6 1:46"),
            ("%-j %-I", "174 1"),
            ("%_m %_H", " 6  1"),
            ("%0e %0k", "23 01"),
            ("%5Y %05d %3d %1Y", "01993 00023 023 1993"),
            ("%^a %^B %^p %^P %^Z", "WED JUNE AM AM UTC"),
            ("%q %n%t%%", "2 \n\t%"),
            ("%%Y %%%Y", "%Y %1993"),
            ("plain text, é ü", "plain text, é ü"),
            ("", ""),
        ];
        for (format, expected) in cases {
            assert_eq!(at(format, t, 0), expected, "{format}");
        }
    }

    #[test]
    fn a_directive_it_does_not_know_is_an_error() {
        let err = |f: &str| TimeFormat::new(Some(f.to_owned())).unwrap_err();
        assert_eq!(
            err("%Y %"),
            "invalid datefmt `%Y %`: it ends in the middle of a directive (`%%` writes a `%`)"
        );
        assert_eq!(
            err("%Y-%i"),
            "invalid datefmt `%Y-%i`: unknown directive `%i`"
        );
        assert_eq!(
            err("%-3Q"),
            "invalid datefmt `%-3Q`: unknown directive `%-3Q`"
        );
        assert_eq!(
            err("%.3S"),
            "invalid datefmt `%.3S`: unknown directive `%.3S`"
        );
        assert_eq!(err("%:Y"), "invalid datefmt `%:Y`: unknown directive `%:Y`");
        assert_eq!(
            err("%::::z"),
            "invalid datefmt `%::::z`: unknown directive `%::::z`"
        );
        for f in ["%E", "%O", "%+", "%L", "%v", "%.", "%.3", "%:", "%-", "%é"] {
            assert!(err(f).starts_with("invalid datefmt"), "{f}");
        }
    }

    /// A format without a fraction is rendered once per second, one with
    /// a fraction at every call.
    #[test]
    fn a_datefmt_is_cached_for_its_second() {
        let ns = 1_775_729_730_123_456_789;
        let mut f = TimeFormat::new(Some("%T".into())).unwrap();
        assert!(f.cacheable);
        assert_eq!(render(&mut f, ns), "10:15:30");
        assert_eq!(render(&mut f, ns + 900_000_000), "10:15:31");
        assert_eq!(render(&mut f, ns - 200_000_000), "10:15:29");
        let mut f = TimeFormat::new(Some("%T%.f".into())).unwrap();
        assert!(!f.cacheable);
        assert_eq!(render(&mut f, ns), "10:15:30.123456789");
        assert_eq!(render(&mut f, ns + 1), "10:15:30.12345679");
    }
}
