//! The crate's one timestamp parser, for readers of text input.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

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
    use chrono::Timelike;
    slow_or_fast(s.trim()).filter(|t| t.nanosecond() < 1_000_000_000)
}

fn slow_or_fast(s: &str) -> Option<DateTime<Utc>> {
    if let Some(t) = fast(s.as_bytes()) {
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

/// `YYYY-MM-DDTHH:MM:SSZ` exactly (or a space for `T`).
fn fast(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() != 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
        || b.get(19) != Some(&b'Z')
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
    let h = num(11..13)?;
    let mi = num(14..16)?;
    let sec = num(17..19)?;
    if sec > 59 {
        return None;
    }
    Some(date.and_hms_opt(h, mi, sec)?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "2024-01-01",
            "2024-01-01T08:00Z",
            "20240101T080000Z",
            "",
            "x",
        ] {
            assert_eq!(parse_timestamp(s), None, "{s}");
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
