//! The slow path of the examples' ISO-8601 time parsing (included with
//! `#[path]`): every accepted spelling other than the usual
//! `YYYY-MM-DDTHH:MM:SSZ`, which the examples read directly.
//!
//! Accepted: RFC 3339 (`2024-01-01T08:00:00.250+07:00`, `Z` or `z`), `T` or a
//! space between date and time, an offset as `+07:00`, `+0700` or `+07`, a
//! trailing ` UTC`, or no zone at all (read as UTC). Refused: a date alone,
//! minutes without seconds, the basic format without separators, leap seconds.

#![allow(dead_code)]

use chrono::{DateTime, NaiveDateTime, Utc};

/// The UTC time of `s` in any accepted spelling, `None` otherwise.
pub fn parse_iso_utc(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
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
