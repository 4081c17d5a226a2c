//! Serde for `chrono::TimeDelta` as a number of seconds (with a fraction),
//! which is what reports and configs show.
//!
//! Every `TimeDelta` round-trips, over its whole range (about +-9.22e15 s)
//! and to the nanosecond. In a human-readable format (JSON) a duration is
//! written as a float of seconds when the float holds it to the nanosecond
//! (with a margin of one unit in the last place, so a reader that parses
//! floats one unit off still gets it back): `1800.0`, `0.25`. Otherwise it is
//! written as whole seconds (an integer) when it has no fraction, and else as
//! a decimal string of seconds with nine fraction digits
//! (`"9223372036854775.807000000"`): a float has 53 bits, a `TimeDelta` about
//! 93. Reading takes all three forms. A binary format gets the pair (whole
//! seconds, nanoseconds), both with the duration's sign.

use std::fmt;

use chrono::TimeDelta;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Seconds in a `TimeDelta`, as a float.
pub(crate) fn secs_f64(d: TimeDelta) -> f64 {
    d.num_seconds() as f64 + f64::from(d.subsec_nanos()) / 1e9
}

/// A `TimeDelta` from float seconds, rounded to nanoseconds; `None` when not
/// finite or out of `TimeDelta`'s range.
pub(crate) fn from_secs_f64(s: f64) -> Option<TimeDelta> {
    if !s.is_finite() {
        return None;
    }
    let whole = s.floor();
    // -2^63 <= whole < 2^63, so the cast is exact; `TimeDelta::new` checks
    // the narrower range of a `TimeDelta`.
    if !((-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&whole)) {
        return None;
    }
    let mut secs = whole as i64;
    let mut nanos = ((s - whole) * 1e9).round() as i64;
    if nanos >= 1_000_000_000 {
        secs = secs.checked_add(1)?;
        nanos -= 1_000_000_000;
    }
    TimeDelta::new(secs, u32::try_from(nanos).ok()?)
}

/// Whether the float `f` reads back as `d`, and so do its two neighbours.
fn float_holds(f: f64, d: TimeDelta) -> bool {
    if from_secs_f64(f) != Some(d) {
        return false;
    }
    if f == 0.0 {
        return true;
    }
    let bits = f.to_bits();
    [bits.wrapping_add(1), bits.wrapping_sub(1)]
        .into_iter()
        .all(|b| from_secs_f64(f64::from_bits(b)) == Some(d))
}

/// The exact decimal seconds of `d`, nine fraction digits.
fn to_decimal(d: TimeDelta) -> String {
    // The range of a `TimeDelta` is symmetric, so `abs` never overflows.
    let sign = if d < TimeDelta::zero() { "-" } else { "" };
    let a = d.abs();
    format!("{sign}{}.{:09}", a.num_seconds(), a.subsec_nanos())
}

/// Reads decimal seconds (`"-12.5"`, `"1800"`, at most nine fraction digits)
/// exactly; other number spellings (`"1e3"`) as a float.
fn parse_decimal(text: &str) -> Option<TimeDelta> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) || frac.len() > 9 {
        return text.trim().parse::<f64>().ok().and_then(from_secs_f64);
    }
    let secs: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut nanos: u32 = 0;
    for b in frac.bytes().chain(std::iter::repeat(b'0')).take(9) {
        nanos = nanos * 10 + u32::from(b - b'0');
    }
    let d = TimeDelta::new(secs, nanos)?;
    if negative {
        TimeDelta::zero().checked_sub(&d)
    } else {
        Some(d)
    }
}

pub(crate) fn serialize<S: Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
    if !s.is_human_readable() {
        return (d.num_seconds(), d.subsec_nanos()).serialize(s);
    }
    let f = secs_f64(*d);
    if float_holds(f, *d) {
        s.serialize_f64(f)
    } else if d.subsec_nanos() == 0 {
        s.serialize_i64(d.num_seconds())
    } else {
        s.serialize_str(&to_decimal(*d))
    }
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
    if d.is_human_readable() {
        d.deserialize_any(Seconds)
    } else {
        let (secs, nanos) = <(i64, i32)>::deserialize(d)?;
        TimeDelta::try_seconds(secs)
            .and_then(|t| t.checked_add(&TimeDelta::nanoseconds(i64::from(nanos))))
            .filter(|_| nanos.unsigned_abs() < 1_000_000_000)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "duration out of range: {secs} seconds and {nanos} nanoseconds"
                ))
            })
    }
}

/// Reads seconds from a float, an integer or a decimal string.
struct Seconds;

impl Seconds {
    fn out_of_range<E: serde::de::Error>(v: impl fmt::Display) -> E {
        E::custom(format!(
            "duration out of range: {v} seconds (at most about 9.22e15 either way)"
        ))
    }
}

impl serde::de::Visitor<'_> for Seconds {
    type Value = TimeDelta;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration in seconds: a number, or a decimal string such as \"1800.5\"")
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<TimeDelta, E> {
        from_secs_f64(v).ok_or_else(|| Self::out_of_range(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TimeDelta, E> {
        TimeDelta::try_seconds(v).ok_or_else(|| Self::out_of_range(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TimeDelta, E> {
        i64::try_from(v)
            .ok()
            .and_then(TimeDelta::try_seconds)
            .ok_or_else(|| Self::out_of_range(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TimeDelta, E> {
        parse_decimal(v).ok_or_else(|| {
            E::custom(format!(
                "invalid duration {v:?}: expected seconds (a number or a decimal string), at most about 9.22e15 either way"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_trip() {
        for d in [
            TimeDelta::zero(),
            TimeDelta::minutes(30),
            TimeDelta::milliseconds(-1500),
            TimeDelta::nanoseconds(1_000_000_001),
            TimeDelta::days(400),
        ] {
            assert_eq!(from_secs_f64(secs_f64(d)), Some(d), "{d}");
        }
        assert_eq!(from_secs_f64(f64::NAN), None);
        assert_eq!(from_secs_f64(1e300), None);
        assert_eq!(
            from_secs_f64(9.2e15),
            TimeDelta::try_seconds(9_200_000_000_000_000)
        );
    }

    #[test]
    fn decimals_are_exact() {
        for d in [
            TimeDelta::MAX,
            TimeDelta::MIN,
            TimeDelta::nanoseconds(-1),
            TimeDelta::milliseconds(-1500),
            TimeDelta::days(400) + TimeDelta::nanoseconds(1),
        ] {
            assert_eq!(parse_decimal(&to_decimal(d)), Some(d), "{d}");
        }
        assert_eq!(to_decimal(TimeDelta::milliseconds(-1500)), "-1.500000000");
        assert_eq!(parse_decimal("1800"), Some(TimeDelta::minutes(30)));
        assert_eq!(parse_decimal(".5"), Some(TimeDelta::milliseconds(500)));
        assert_eq!(parse_decimal("1e3"), Some(TimeDelta::seconds(1000)));
        assert_eq!(parse_decimal("1.0000000004"), Some(TimeDelta::seconds(1)));
        for bad in ["", "-", ".", "x", "99999999999999999999", "1e300"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }
}
