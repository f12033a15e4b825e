//! The calendar: the proleptic Gregorian date and time of day of a Unix
//! time, and the local time zone's offset from UTC.
//!
//! Arithmetic of its own rather than a date crate: `jiff`, which did this
//! before, was 8.7 s of the 66.8 s of compilation of a hello-world with
//! pulselog (`BENCHMARKS.md`, build weight), for two uses a few dozen
//! lines cover: the date of a timestamp, and the local date and hour a
//! [`crate::RollingFile`] rotates on. The conversion is Howard Hinnant's
//! `civil_from_days`/`days_from_civil` (a 400-year era of 146,097 days,
//! years starting in March so that the leap day ends them).

/// Seconds in a day (Unix time has no leap seconds).
const DAY: i64 = 86_400;

/// A date and time of day in the proleptic Gregorian calendar, in UTC or
/// at whatever offset the seconds it was made from had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime {
    /// The year, 1970 for the epoch (0 is 1 BC, as ISO 8601 counts).
    pub(crate) year: i64,
    /// 1 to 12.
    pub(crate) month: u8,
    /// 1 to 31.
    pub(crate) day: u8,
    /// 0 to 23.
    pub(crate) hour: u8,
    /// 0 to 59.
    pub(crate) minute: u8,
    /// 0 to 59.
    pub(crate) second: u8,
    /// 0 (Sunday) to 6 (Saturday), as `struct tm`'s `tm_wday`.
    pub(crate) weekday: u8,
    /// The day of the year, 1 to 366.
    pub(crate) ordinal: u16,
}

impl DateTime {
    /// The date and time `secs` seconds after 1970-01-01T00:00:00 (before
    /// it when negative).
    pub(crate) fn from_unix(secs: i64) -> DateTime {
        let days = secs.div_euclid(DAY);
        let in_day = secs.rem_euclid(DAY);
        let (year, month, day) = civil_from_days(days);
        DateTime {
            year,
            month,
            day,
            // Below 24, 60 and 60: the casts keep every bit.
            hour: (in_day / 3600) as u8,
            minute: (in_day / 60 % 60) as u8,
            second: (in_day % 60) as u8,
            // 1970-01-01 was a Thursday.
            weekday: (days + 4).rem_euclid(7) as u8,
            ordinal: (days - days_from_civil(year, 1, 1) + 1) as u16,
        }
    }
}

/// The year, month (1 to 12) and day (1 to 31) of the day `days` days
/// after 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // The month counted from March (0) to February (11).
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u8, day as u8)
}

/// The days from 1970-01-01 to `year`-`month`-`day` (negative before it).
pub(crate) fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let mp = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The local time zone's offset from UTC at `secs` (Unix time), in seconds
/// east: what `localtime_r` makes of it, so the zone is the C library's
/// (`TZ`, else `/etc/localtime`). 0, UTC, where it cannot tell.
#[cfg(unix)]
pub(crate) fn local_offset(secs: i64) -> i64 {
    // Fallible where `time_t` has 32 bits.
    #[allow(
        clippy::useless_conversion,
        reason = "`time_t` is `i64` on 64-bit targets"
    )]
    let t: libc::time_t = match secs.try_into() {
        Ok(t) => t,
        Err(_) => return 0,
    };
    // SAFETY: `tm` is plain integers (and, on some systems, a pointer that
    // may be null): all zeros is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call, which writes only
    // `tm` (the reentrant form: no static buffer).
    let done = unsafe { libc::localtime_r(&raw const t, &raw mut tm) };
    if done.is_null() {
        return 0;
    }
    // From the broken-down fields rather than `tm_gmtoff`, which not every
    // Unix's `struct tm` has.
    let local = days_from_civil(
        i64::from(tm.tm_year) + 1900,
        (tm.tm_mon + 1) as u8,
        tm.tm_mday as u8,
    ) * DAY
        + i64::from(tm.tm_hour) * 3600
        + i64::from(tm.tm_min) * 60
        + i64::from(tm.tm_sec);
    local - secs
}

/// Elsewhere than Unix the local zone is not read: local time is UTC.
#[cfg(not(unix))]
pub(crate) fn local_offset(_secs: i64) -> i64 {
    0
}

#[cfg(test)]
mod tests {
    use super::{DateTime, civil_from_days, days_from_civil, local_offset};

    fn at(secs: i64) -> (i64, u8, u8, u8, u8, u8) {
        let t = DateTime::from_unix(secs);
        (t.year, t.month, t.day, t.hour, t.minute, t.second)
    }

    #[test]
    fn known_dates() {
        assert_eq!(at(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(at(-1), (1969, 12, 31, 23, 59, 59));
        assert_eq!(at(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(at(951_868_799), (2000, 2, 29, 23, 59, 59));
        assert_eq!(at(951_868_800), (2000, 3, 1, 0, 0, 0));
        // 1900 and 2100 are not leap years, 2000 and 2024 are.
        assert_eq!(at(4_107_456_000), (2100, 2, 28, 0, 0, 0));
        assert_eq!(at(4_107_542_400), (2100, 3, 1, 0, 0, 0));
        assert_eq!(at(-2_203_977_600), (1900, 2, 28, 0, 0, 0));
        assert_eq!(at(-2_203_891_200), (1900, 3, 1, 0, 0, 0));
        assert_eq!(at(1_709_164_800), (2024, 2, 29, 0, 0, 0));
        assert_eq!(at(1_775_729_730), (2026, 4, 9, 10, 15, 30));
        assert_eq!(at(253_402_300_799), (9999, 12, 31, 23, 59, 59));
        assert_eq!(at(253_402_300_800), (10_000, 1, 1, 0, 0, 0));
        // The ends of months, 30 and 31 days long.
        assert_eq!(at(1_775_001_599), (2026, 3, 31, 23, 59, 59));
        assert_eq!(at(1_777_593_599), (2026, 4, 30, 23, 59, 59));
        assert_eq!(at(1_777_593_600), (2026, 5, 1, 0, 0, 0));
        assert_eq!(at(1_798_761_599), (2026, 12, 31, 23, 59, 59));
    }

    #[test]
    fn weekday_and_day_of_the_year() {
        let t = DateTime::from_unix(0);
        assert_eq!((t.weekday, t.ordinal), (4, 1));
        // 2000-02-29, a Tuesday; 2000-12-31, the 366th day, a Sunday.
        let t = DateTime::from_unix(951_782_400);
        assert_eq!((t.weekday, t.ordinal), (2, 60));
        let t = DateTime::from_unix(978_220_800);
        assert_eq!((t.month, t.day, t.weekday, t.ordinal), (12, 31, 0, 366));
        // 2026-12-31: the 365th.
        assert_eq!(DateTime::from_unix(1_798_761_599).ordinal, 365);
        // 2026-03-01 in a common year is the 60th, as 2000-02-29 was.
        assert_eq!(DateTime::from_unix(1_772_323_200).ordinal, 60);
        // 9999-12-31, a Friday.
        let t = DateTime::from_unix(253_402_300_799);
        assert_eq!((t.weekday, t.ordinal), (5, 365));
    }

    /// Both conversions are each other's inverse, day by day, across
    /// several 400-year eras and on both sides of the epoch.
    #[test]
    fn days_round_trip() {
        let mut prev = civil_from_days(-800_000);
        for days in -799_999..3_000_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            let next_day = (y, m, d - 1) == prev;
            let next_month = d == 1 && (m == prev.1 + 1 && y == prev.0);
            let next_year = (m, d) == (1, 1) && y == prev.0 + 1 && prev.1 == 12;
            assert!(next_day || next_month || next_year, "{prev:?} {y}-{m}-{d}");
            prev = (y, m, d);
        }
    }

    /// The role [`offset_matches_date`] runs in a child: prints the local
    /// offsets at the instants `OFFSETS_AT` lists.
    #[test]
    fn offset_child() {
        let Ok(instants) = std::env::var("PULSELOG_TEST_OFFSETS_AT") else {
            return;
        };
        for t in instants.split(',') {
            let secs: i64 = t.parse().unwrap();
            println!("offset {secs} {}", local_offset(secs));
        }
    }

    /// `local_offset` against GNU `date +%z` under the same `TZ`: a fixed
    /// zone with a half hour, and one with summer time.
    #[cfg(target_os = "linux")]
    #[test]
    fn offset_matches_date() {
        use std::process::Command;
        let zoneinfo = std::path::Path::new("/usr/share/zoneinfo");
        let zones: &[&str] =
            if zoneinfo.join("Asia/Kolkata").exists() && zoneinfo.join("Europe/Paris").exists() {
                &["Asia/Kolkata", "Europe/Paris", "UTC"]
            } else {
                // POSIX forms, which need no database: west is positive.
                &["UTC-05:30", "CET-1CEST,M3.5.0,M10.5.0/3", "UTC0"]
            };
        // The epoch, a winter and a summer instant of 2026, an hour before
        // and after summer time starts in Europe (2026-03-29T01:00Z), a
        // time before 1970.
        let instants = [
            0,
            1_767_225_600,
            1_783_000_000,
            1_774_745_999,
            1_774_746_000,
            -86_400 * 365,
        ];
        let list = instants.map(|t| t.to_string()).join(",");
        for zone in zones {
            let out = Command::new(std::env::current_exe().unwrap())
                .args(["civil::tests::offset_child", "--exact", "--nocapture"])
                .env("PULSELOG_TEST_OFFSETS_AT", &list)
                .env("TZ", zone)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            let stdout = String::from_utf8(out.stdout).unwrap();
            for t in instants {
                let ours: i64 = stdout
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("offset {t} ")))
                    .unwrap_or_else(|| panic!("no offset for {t}: {stdout}"))
                    .parse()
                    .unwrap();
                let date = Command::new("date")
                    .args([format!("--date=@{t}"), "+%z".to_owned()])
                    .env("TZ", zone)
                    .output()
                    .unwrap();
                let z = String::from_utf8(date.stdout).unwrap();
                let z = z.trim();
                let sign = if z.starts_with('-') { -1 } else { 1 };
                let hours: i64 = z[1..3].parse().unwrap();
                let minutes: i64 = z[3..5].parse().unwrap();
                assert_eq!(ours, sign * (hours * 3600 + minutes * 60), "{zone} at {t}");
            }
        }
    }
}
