//! The crate's one timestamp parser, for readers of text input.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Parses an ISO-8601 / RFC 3339 time into UTC.
///
/// Accepted: `2024-11-11T08:30:00Z` (read directly, the common case), any
/// RFC 3339 time (`2024-01-01T08:00:00.250+07:00`, `Z` or `z`), `T` or a space
/// between date and time, an offset as `+07:00`, `+0700` or `+07`, a trailing
/// ` UTC`, or no zone at all (read as UTC). Refused (`None`): a date alone,
/// minutes without seconds, the basic format without separators, leap
/// seconds, out-of-range fields.
///
/// ```
/// use cxjourney::log::parse_timestamp;
/// let t = parse_timestamp("2024-11-11T08:30:00+07:00").unwrap();
/// assert_eq!(t.to_rfc3339(), "2024-11-11T01:30:00+00:00");
/// assert_eq!(parse_timestamp("2024-11-11 01:30:00"), Some(t));
/// assert!(parse_timestamp("2024-11-11").is_none());
/// ```
#[must_use]
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    match fast(s.as_bytes()) {
        Some(secs) => DateTime::from_timestamp(secs, 0),
        None => slow(s),
    }
}

/// Every accepted layout, through chrono (after [`fast`] declined).
fn slow(s: &str) -> Option<DateTime<Utc>> {
    use chrono::Timelike;
    slow_or_fast(trim(s)).filter(|t| t.nanosecond() < 1_000_000_000)
}

/// `str::trim`, without a call for a cell that starts and ends with a
/// visible ASCII character.
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

fn slow_or_fast(s: &str) -> Option<DateTime<Utc>> {
    if let Some(t) = fast(s.as_bytes()).and_then(|secs| DateTime::from_timestamp(secs, 0)) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let s = s.strip_suffix(" UTC").map_or(s, str::trim_end);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    None
}

/// `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DD HH:MM:SS` exactly (`T` or a
/// space; `Z` or no zone: UTC either way), untrimmed: seconds since the Unix
/// epoch, the date checked as chrono checks it (proleptic Gregorian, years
/// 0000 to 9999).
fn fast(b: &[u8]) -> Option<i64> {
    let (date, clock, zone) = split(b)?;
    if !(zone.is_empty() || zone == b"Z") {
        return None;
    }
    let secs = seconds(clock)?;
    Some(days(date)? * 86_400 + i64::from(secs))
}

/// The date, the time of day (with the `T` or space before it) and the
/// rest of a time.
#[inline(always)]
fn split(b: &[u8]) -> Option<(&[u8; 10], &[u8; 9], &[u8])> {
    let (date, rest) = b.split_first_chunk::<10>()?;
    let (clock, zone) = rest.split_first_chunk::<9>()?;
    Some((date, clock, zone))
}

/// `YYYY-MM-DD` as days since 1970-01-01, checked as chrono checks a date.
fn days(date: &[u8; 10]) -> Option<i64> {
    let &[y0, y1, y2, y3, dash, mo0, mo1, dash2, d0, d1] = date;
    if dash != b'-' || dash2 != b'-' {
        return None;
    }
    let digits = [y0, y1, y2, y3, mo0, mo1, d0, d1].map(|c| c.wrapping_sub(b'0'));
    if digits.iter().any(|&d| d > 9) {
        return None;
    }
    let [y0, y1, y2, y3, mo0, mo1, d0, d1] = digits.map(u32::from);
    let y = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
    let (m, d) = (mo0 * 10 + mo1, d0 * 10 + d1);
    // Every month has days 1 to 28; the month's length only for later days.
    let days_in_month = || match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        _ => 28,
    };
    if !(1..=12).contains(&m) || d < 1 || (d > 28 && d > days_in_month()) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `THH:MM:SS` or ` HH:MM:SS` as seconds since midnight.
#[inline(always)]
fn seconds(clock: &[u8; 9]) -> Option<u32> {
    let &[t, h0, h1, colon, mi0, mi1, colon2, s0, s1] = clock;
    if !(t == b'T' || t == b' ') || colon != b':' || colon2 != b':' {
        return None;
    }
    let digits = [h0, h1, mi0, mi1, s0, s1].map(|c| c.wrapping_sub(b'0'));
    if digits.iter().any(|&d| d > 9) {
        return None;
    }
    let [h0, h1, mi0, mi1, s0, s1] = digits.map(u32::from);
    let (h, mi, sec) = (h0 * 10 + h1, mi0 * 10 + mi1, s0 * 10 + s1);
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    Some(h * 3_600 + mi * 60 + sec)
}

/// [`parse_timestamp`] as microseconds since the Unix epoch and the
/// nanoseconds below the microsecond (what the event log stores), without a
/// round trip through a date for the common layouts; for a column of times,
/// remembering the last
/// date read on the fast path: rows exported in time order repeat a date
/// for many rows, and a repeated date is not read again.
#[derive(Debug, Clone, Default)]
pub(crate) struct Times {
    /// The last date's text and its days since 1970-01-01.
    last: Option<([u8; 10], i64)>,
}

impl Times {
    /// The time `s` as [`parse_timestamp`] reads it, in microseconds and
    /// nanoseconds below them.
    #[inline]
    pub(crate) fn micros(&mut self, s: &str) -> Option<(i64, u16)> {
        match self.fast(s.as_bytes()) {
            // |secs| < 10^4 years, so the product cannot overflow.
            Some(secs) => Some((secs * 1_000_000, 0)),
            None => slow(s).map(super::split_time),
        }
    }

    /// As [`fast`].
    #[inline(always)]
    fn fast(&mut self, b: &[u8]) -> Option<i64> {
        let (date, clock, zone) = split(b)?;
        if !(zone.is_empty() || zone == b"Z") {
            return None;
        }
        let secs = seconds(clock)?;
        let days = match self.last {
            Some((text, days)) if text == *date => days,
            _ => {
                let days = days(date)?;
                self.last = Some((*date, days));
                days
            }
        };
        Some(days * 86_400 + i64::from(secs))
    }
}

/// Days since 1970-01-01 of a valid proleptic Gregorian date (years 0 to
/// 9999; H. Hinnant's `days_from_civil`, shifted by 400 years so that
/// every quotient is of non-negative numbers).
fn days_from_civil(y: u32, m: u32, d: u32) -> i64 {
    let y = y + 400 - u32::from(m <= 2);
    let (era, yoe) = (y / 400, y % 400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i64::from(era) * 146_097 + i64::from(doe) - 719_468 - 146_097
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};

    /// The fast path against chrono, over every day of years around the
    /// edges of the calendar rules.
    #[test]
    fn the_fast_path_counts_days_as_chrono() {
        let mut times = Times::default();
        for y in [
            0, 1, 4, 99, 100, 1582, 1600, 1900, 1969, 1970, 2000, 2024, 2100, 9999,
        ] {
            let mut d = NaiveDate::from_ymd_opt(y, 1, 1).unwrap();
            while d.year() == y {
                for (h, mi, s) in [(0, 0, 0), (23, 59, 59), (12, 3, 4)] {
                    let t = d.and_hms_opt(h, mi, s).unwrap().and_utc();
                    for sep in ['T', ' '] {
                        let text = format!(
                            "{y:04}-{:02}-{:02}{sep}{h:02}:{mi:02}:{s:02}",
                            d.month(),
                            d.day()
                        );
                        assert_eq!(fast(text.as_bytes()), Some(t.timestamp()), "{text}");
                        assert_eq!(parse_timestamp(&text), Some(t), "{text}");
                        let z = format!("{text}Z");
                        assert_eq!(parse_timestamp(&z), Some(t), "{z}");
                        assert_eq!(Times::default().micros(&z), Some((t.timestamp_micros(), 0)));
                        assert_eq!(times.micros(&z), Some((t.timestamp_micros(), 0)));
                    }
                }
                d = d.succ_opt().unwrap();
            }
        }
        assert_eq!(
            Times::default().micros(" 2024-01-01T08:00:00.000001500+07:00 "),
            Some((
                parse_timestamp("2024-01-01T01:00:00Z")
                    .unwrap()
                    .timestamp_micros()
                    + 1,
                500
            ))
        );
        for bad in [
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00ZZ",
            "2024-01-01 00:00:00z",
        ] {
            assert_eq!(fast(bad.as_bytes()).is_some(), bad.len() == 19, "{bad}");
        }
    }

    #[test]
    fn fast_and_slow_paths_agree() {
        for s in [
            "2024-02-29T23:59:59Z",
            "2024-01-01 00:00:00Z",
            "1999-12-31T12:00:00Z",
        ] {
            let slow = DateTime::parse_from_rfc3339(&s.replace(' ', "T")).unwrap();
            assert_eq!(parse_timestamp(s), Some(slow.with_timezone(&Utc)), "{s}");
        }
        for s in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:60Z",
            "2023-02-29 00:00:00",
            "2024-04-31T00:00:00Z",
            "2024-00-10T00:00:00Z",
            "2024-01-00T00:00:00Z",
            "2024-01-01T00:00:60",
            "2024-01-01",
            "2024-01-01T08:00Z",
            "20240101T080000Z",
            "",
            "x",
        ] {
            assert_eq!(parse_timestamp(s), None, "{s}");
            // A bad clock after a good date, and a bad date after a good
            // one, whatever the last date read.
            let mut times = Times::default();
            assert!(times.micros("2023-02-28T00:00:00Z").is_some());
            assert_eq!(times.micros(s), None, "{s}");
        }
        assert_eq!(
            parse_timestamp("2024-01-01T08:00:00.250+0700").map(|t| t.timestamp_millis()),
            parse_timestamp("2024-01-01T01:00:00.250Z").map(|t| t.timestamp_millis())
        );
        assert_eq!(
            parse_timestamp("2024-01-01 08:00:00 UTC"),
            parse_timestamp("2024-01-01T08:00:00Z")
        );
    }
}
