//! Serde for `chrono::TimeDelta` as a number of seconds (with a fraction),
//! which is what reports and configs show.

use chrono::TimeDelta;
use serde::{Deserialize, Deserializer, Serializer};

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
    // TimeDelta's range is about +-2^63 milliseconds.
    if whole.abs() > 9.0e15 {
        return None;
    }
    let mut secs = whole as i64;
    let mut nanos = ((s - whole) * 1e9).round() as i64;
    if nanos >= 1_000_000_000 {
        secs += 1;
        nanos -= 1_000_000_000;
    }
    TimeDelta::try_seconds(secs)?.checked_add(&TimeDelta::nanoseconds(nanos))
}

pub(crate) fn serialize<S: Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(secs_f64(*d))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
    let s = f64::deserialize(d)?;
    from_secs_f64(s)
        .ok_or_else(|| serde::de::Error::custom(format!("duration out of range: {s} seconds")))
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
    }
}
