//! Fixed-point amounts: conversion values and fractional credit kept in
//! units of 10^-12, so that sums are exact integers and never depend on the
//! order in which paths were added or merged, and decimal inputs such as
//! `185.13` add up to decimal totals.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One unit is 10^-12 of a currency unit (or of a conversion).
const SCALE: f64 = 1e12;
const SCALE_INT: i128 = 1_000_000_000_000;

/// The largest amount one input may carry: 2^53, above which `f64` no
/// longer holds every integer. Sums of up to 2^60 such inputs still fit.
pub(crate) const MAX_INPUT: f64 = 9_007_199_254_740_992.0;

/// [`MAX_INPUT`] in fixed point: 2^53 units of currency.
pub(crate) const MAX_AMOUNT: Fixed = Fixed((1i128 << 53) * SCALE_INT);

/// A non-negative amount in units of 10^-12, summed exactly (saturating at
/// the `i128` range, which inputs within [`MAX_INPUT`] cannot reach).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Fixed(pub(crate) i128);

impl Fixed {
    /// Zero.
    pub(crate) const ZERO: Fixed = Fixed(0);

    /// `x` rounded to the nearest unit; `None` unless `x` is finite and
    /// within `0..=MAX_INPUT`. The whole and fractional parts are scaled
    /// apart, so a decimal such as `12345.67` lands on its decimal units.
    pub(crate) fn from_f64(x: f64) -> Option<Fixed> {
        if !(0.0..=MAX_INPUT).contains(&x) {
            return None;
        }
        let whole = x.trunc();
        let frac = ((x - whole) * SCALE).round() as i128;
        Some(Fixed(whole as i128 * SCALE_INT + frac))
    }

    /// An amount in minor units of a currency with `digits` minor digits
    /// (at most 12), exactly.
    pub(crate) fn from_minor(minor: i64, digits: u32) -> Option<Fixed> {
        if minor < 0 || digits > 12 {
            return None;
        }
        Some(Fixed(i128::from(minor) * 10i128.pow(12 - digits)))
    }

    /// A computed share (a weight times a count or value): finite and
    /// non-negative by construction; anything else counts as zero. Faster
    /// than [`Fixed::from_f64`] for the shares of one path.
    pub(crate) fn from_share(x: f64) -> Fixed {
        let scaled = x * SCALE;
        if (0.0..9.0e18).contains(&scaled) {
            Fixed(i128::from((scaled + 0.5) as i64))
        } else if scaled >= 9.0e18 && scaled.is_finite() {
            Fixed(scaled.round() as i128)
        } else {
            Fixed::ZERO
        }
    }

    /// A whole count.
    pub(crate) fn count(n: u64) -> Fixed {
        Fixed(i128::from(n) * SCALE_INT)
    }

    /// The amount as a float: the whole units plus the rounded fraction
    /// (so decimal amounts print as themselves).
    #[inline]
    pub(crate) fn to_f64(self) -> f64 {
        const EXACT: i128 = 1 << 53;
        if (0..EXACT).contains(&self.0) {
            // An integer every f64 holds: one rounding, in the division.
            return self.0 as i64 as f64 / SCALE;
        }
        if let Ok(units) = i64::try_from(self.0) {
            let (whole, frac) = (
                units.div_euclid(1_000_000_000_000),
                units.rem_euclid(1_000_000_000_000),
            );
            return whole as f64 + frac as f64 / SCALE;
        }
        let whole = self.0.div_euclid(SCALE_INT);
        let frac = self.0.rem_euclid(SCALE_INT);
        whole as f64 + frac as f64 / SCALE
    }

    /// The exact sum (saturating).
    #[must_use]
    pub(crate) fn plus(self, other: Fixed) -> Fixed {
        Fixed(self.0.saturating_add(other.0))
    }

    /// The sum, for sums over the paths of a set, which stay far inside the
    /// `i128` range (a path's value and counts are capped at 2^53 units of
    /// currency or count, 2^93 units of 10^-12, and a set has at most 2^32
    /// paths), so no overflow check is needed.
    #[inline]
    #[must_use]
    pub(crate) fn add_in_range(self, other: Fixed) -> Fixed {
        Fixed(self.0.wrapping_add(other.0))
    }

    /// `k` times the amount: used for a share of one path times a count of
    /// its touches (at most 2^93 units times at most 2^32), so it stays far
    /// inside the `i128` range.
    #[inline]
    #[must_use]
    pub(crate) fn times(self, k: u64) -> Fixed {
        Fixed(self.0.wrapping_mul(i128::from(k)))
    }

    /// The exact difference, at least zero.
    #[must_use]
    pub(crate) fn minus_clamped(self, other: Fixed) -> Fixed {
        Fixed(self.0.saturating_sub(other.0).max(0))
    }
}

impl std::ops::AddAssign for Fixed {
    fn add_assign(&mut self, other: Fixed) {
        *self = self.plus(other);
    }
}

// As a decimal string: the raw units can exceed what JSON readers hold in a
// 64-bit integer.
impl Serialize for Fixed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Fixed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let raw: i128 = text.parse().map_err(|_| {
            serde::de::Error::custom(format!("invalid fixed-point amount {text:?}"))
        })?;
        if raw < 0 {
            return Err(serde::de::Error::custom(format!(
                "negative fixed-point amount {text:?}"
            )));
        }
        Ok(Fixed(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_sums_exactly() {
        let a = Fixed::from_f64(185.13).unwrap();
        assert_eq!(a.to_f64(), 185.13);
        let b = Fixed::from_f64(12345.67)
            .unwrap()
            .plus(Fixed::from_f64(0.01).unwrap());
        assert_eq!(b.to_f64(), 12345.68);
        assert_eq!(
            Fixed::from_minor(15_000_050, 2).unwrap().to_f64(),
            150_000.5
        );
        assert_eq!(Fixed::count(3).to_f64(), 3.0);
        let sum = (0..1000).fold(Fixed::ZERO, |s, _| s.plus(Fixed::from_f64(0.1).unwrap()));
        let other = Fixed::from_f64(0.1).unwrap().times(1000);
        assert_eq!(sum, other);
        assert!(Fixed::from_f64(-1.0).is_none());
        assert!(Fixed::from_f64(f64::NAN).is_none());
        assert!(Fixed::from_f64(f64::INFINITY).is_none());
        assert!(Fixed::from_f64(MAX_INPUT * 2.0).is_none());
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Fixed>(&json).unwrap(), a);
        assert!(serde_json::from_str::<Fixed>("\"-5\"").is_err());
        assert_eq!(a.minus_clamped(a.times(2)), Fixed::ZERO);
    }
}
