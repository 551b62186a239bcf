//! A calendar date (UTC, proleptic Gregorian), the only kind of time a policy speaks of.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// `YYYY-MM-DD`; ordered chronologically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year, e.g. `2027`.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, 1 to 31.
    pub day: u8,
}

impl Date {
    /// Builds a date, checking that the day exists in that month.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Today's date in UTC.
    pub fn today_utc() -> Date {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Date::from_days_since_epoch(secs.div_euclid(86_400))
    }

    /// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The inverse of [`Date::from_days_since_epoch`].
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// This date plus `days` (which may be negative).
    pub fn add_days(self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Why a date string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD`.
    #[error("expected a date as YYYY-MM-DD, found `{0}`")]
    Form(String),
    /// Of the right form, but no such day: `2026-02-30`.
    #[error("`{0}` is not a real date: {1}")]
    NoSuchDay(String, String),
}

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

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Date, DateError> {
        let err = || DateError::Form(s.to_string());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = &s[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err());
            }
            part.parse().map_err(|_| err())
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        Date::new(y as i32, m as u8, d as u8).ok_or_else(|| {
            let why = match m {
                1..=12 if d == 0 => "there is no day 00".to_string(),
                1..=12 => format!(
                    "{} {y} has {} days",
                    MONTHS[m as usize - 1],
                    days_in_month(y as i32, m as u8)
                ),
                _ => format!("there is no month {m:02}"),
            };
            DateError::NoSuchDay(s.to_string(), why)
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether `s` is a time a fact source may give for a fact: an RFC 3339 date-time (see
/// [`is_timestamp`]) or a date `YYYY-MM-DD` (cargo-vet's `when`).
pub fn is_fact_time(s: &str) -> bool {
    is_timestamp(s) || s.parse::<Date>().is_ok()
}

/// Whether `s` is an RFC 3339 date-time as the fact sources write them:
/// `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9 digits, then `Z` or `+HH:MM` /
/// `-HH:MM` (a lowercase `t` or `z` is accepted too). Nothing else, so a time read from a
/// file strangers wrote can be shown as it is.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || !b.is_ascii() {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let Ok(date) = s[..10].parse::<Date>() else {
        return false;
    };
    let _ = date;
    if !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return false;
    }
    let (Some(h), Some(m), Some(sec)) = (digits(11..13), digits(14..16), digits(17..19)) else {
        return false;
    };
    if h > 23 || m > 59 || sec > 60 {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&n) {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let num = |a: u8, b: u8| {
                (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
            };
            matches!((num(*h1, *h2), num(*m1, *m2)), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let d: Date = "2026-11-27".parse().unwrap();
        assert_eq!(d, Date::new(2026, 11, 27).unwrap());
        assert_eq!(d.to_string(), "2026-11-27");
    }

    #[test]
    fn refuses_impossible_dates() {
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "20261127",
            "2026-11-2x",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert_eq!(
            "2026-02-30".parse::<Date>().unwrap_err().to_string(),
            "`2026-02-30` is not a real date: February 2026 has 28 days"
        );
        assert_eq!(
            "2026-13-01".parse::<Date>().unwrap_err().to_string(),
            "`2026-13-01` is not a real date: there is no month 13"
        );
        assert_eq!(
            "2026-1-01".parse::<Date>().unwrap_err().to_string(),
            "expected a date as YYYY-MM-DD, found `2026-1-01`"
        );
    }

    #[test]
    fn timestamps_are_strict() {
        for good in [
            "2026-11-27T02:00:00Z",
            "2026-11-27T02:00:00.123456Z",
            "2024-02-29t23:59:60+05:30",
        ] {
            assert!(is_timestamp(good), "{good}");
        }
        for bad in [
            "",
            "2026-11-27",
            "2026-11-27T02:00:00",
            "2026-02-30T02:00:00Z",
            "2026-11-27T24:00:00Z",
            "2026-11-27T02:00:00.Z",
            "2026-11-27T02:00:00Z\u{1b}[2J",
            "2026-11-27T02:00:00Z\n",
            "2026-11-27 02:00:00Z",
            "2026-11-27T02:00:00+0530",
        ] {
            assert!(!is_timestamp(bad), "{bad:?}");
        }
        assert!(is_fact_time("2026-11-27"));
        assert!(!is_fact_time("2026-11-27\u{1b}]8;;x"));
    }

    #[test]
    fn epoch_round_trip() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        for days in [-800_000, -1, 0, 1, 19_000, 20_419, 2_000_000] {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
        let d: Date = "2026-12-31".parse().unwrap();
        assert_eq!(d.add_days(1).to_string(), "2027-01-01");
    }
}
