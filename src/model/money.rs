//! Money as integer minor units with a currency code.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::model::names::serde_via_str;

/// An ISO 4217-style currency code: three upper-case ASCII letters.
///
/// ```
/// use cxjourney::Currency;
/// let idr: Currency = "idr".parse()?; // case is normalised
/// assert_eq!(idr.as_str(), "IDR");
/// assert!("RP".parse::<Currency>().is_err());
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Indonesian rupiah.
    pub const IDR: Currency = Currency(*b"IDR");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");

    /// The code, upper case.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored, so this never fails.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// The number of minor-unit digits used when reading decimal amounts
    /// (ISO 4217 exponents; 2 unless listed: 0 for JPY, KRW, VND, CLP, ISK,
    /// UGX, XAF, XOF, PYG; 3 for BHD, KWD, OMR, JOD, TND, IQD, LYD).
    #[must_use]
    pub fn minor_digits(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"VND" | b"CLP" | b"ISK" | b"UGX" | b"XAF" | b"XOF" | b"PYG" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"TND" | b"IQD" | b"LYD" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_alphabetic) => Ok(Currency([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(Error::InvalidCurrency {
                value: s.to_owned(),
            }),
        }
    }
}

serde_via_str!(Currency);

/// A non-negative amount of money in integer minor units (cents, sen).
///
/// Refunds and returns are recorded as touchpoints of their own kind with a
/// positive amount, so an amount is never negative.
///
/// ```
/// use cxjourney::{Currency, Money};
/// let a = Money::parse("125000.50", Currency::IDR)?;
/// assert_eq!(a.minor(), 12_500_050);
/// let total = Money::sum([a, Money::new(50, Currency::IDR)?])?;
/// assert_eq!(total.unwrap().to_string(), "125001.00 IDR");
/// assert!(Money::new(-1, Currency::IDR).is_err());
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// An amount in minor units.
    ///
    /// # Errors
    /// [`Error::NegativeAmount`] when `minor < 0`.
    pub fn new(minor: i64, currency: Currency) -> Result<Money> {
        if minor < 0 {
            return Err(Error::NegativeAmount {
                minor,
                currency: currency.to_string(),
            });
        }
        Ok(Money { minor, currency })
    }

    /// Zero in the given currency.
    #[must_use]
    pub const fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// Reads a decimal amount such as `"125000"`, `"125000.5"` or `"19.99"` in
    /// the currency's minor digits.
    ///
    /// # Errors
    /// [`Error::InvalidAmount`] when the text is not a plain non-negative
    /// decimal or has more fraction digits than the currency has minor digits;
    /// [`Error::AmountOverflow`] when it does not fit in 64-bit minor units.
    pub fn parse(text: &str, currency: Currency) -> Result<Money> {
        let invalid = |reason| Error::InvalidAmount {
            value: text.to_owned(),
            reason,
        };
        let t = text.trim();
        if t.starts_with('-') {
            return Err(invalid("amounts are never negative"));
        }
        let t = t.strip_prefix('+').unwrap_or(t);
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(invalid("no digits"));
        }
        if !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return Err(invalid("only digits and one '.' are allowed"));
        }
        let digits = currency.minor_digits();
        let frac = frac.trim_end_matches('0');
        if frac.len() > digits as usize {
            return Err(invalid(
                "more fraction digits than the currency has minor units",
            ));
        }
        let overflow = || Error::AmountOverflow {
            context: format!("{text:?} {currency} does not fit in 64-bit minor units"),
        };
        let mut minor: i64 = 0;
        for b in whole.bytes() {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(b - b'0')))
                .ok_or_else(overflow)?;
        }
        let mut frac_digits = frac.bytes();
        for _ in 0..digits {
            let d = frac_digits.next().map_or(0, |b| i64::from(b - b'0'));
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(d))
                .ok_or_else(overflow)?;
        }
        Ok(Money { minor, currency })
    }

    /// The amount in minor units.
    #[must_use]
    pub const fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    #[must_use]
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in major units as a float, for reports.
    #[must_use]
    pub fn as_major(&self) -> f64 {
        self.minor as f64 / 10f64.powi(self.currency.minor_digits() as i32)
    }

    /// Adds two amounts of one currency.
    ///
    /// # Errors
    /// [`Error::MixedCurrencies`] when the currencies differ;
    /// [`Error::AmountOverflow`] when the sum overflows.
    pub fn checked_add(self, other: Money) -> Result<Money> {
        if self.currency != other.currency {
            return Err(Error::MixedCurrencies {
                first: self.currency.to_string(),
                second: other.currency.to_string(),
            });
        }
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or_else(|| Error::AmountOverflow {
                context: format!("{self} + {other}"),
            })?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    /// Sums amounts of one currency; `None` for no amounts.
    ///
    /// # Errors
    /// [`Error::MixedCurrencies`] when two currencies meet;
    /// [`Error::AmountOverflow`] when the sum overflows.
    pub fn sum(amounts: impl IntoIterator<Item = Money>) -> Result<Option<Money>> {
        let mut total: Option<Money> = None;
        for a in amounts {
            total = Some(match total {
                None => a,
                Some(t) => t.checked_add(a)?,
            });
        }
        Ok(total)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_digits();
        if digits == 0 {
            return write!(f, "{} {}", self.minor, self.currency);
        }
        let scale = 10i64.pow(digits);
        write!(
            f,
            "{}.{:0width$} {}",
            self.minor / scale,
            self.minor % scale,
            self.currency,
            width = digits as usize
        )
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            minor: i64,
            currency: Currency,
        }
        let raw = Raw::deserialize(d)?;
        Money::new(raw.minor, raw.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let idr = Currency::IDR;
        assert_eq!(Money::parse("19.99", idr).unwrap().minor(), 1999);
        assert_eq!(Money::parse("19.9", idr).unwrap().minor(), 1990);
        assert_eq!(Money::parse(".5", idr).unwrap().minor(), 50);
        assert_eq!(
            Money::parse("7", "JPY".parse().unwrap())
                .unwrap()
                .to_string(),
            "7 JPY"
        );
        assert_eq!(Money::parse("0.05", idr).unwrap().to_string(), "0.05 IDR");
        for bad in ["", "-1", "1.234", "1e5", "1,5", "."] {
            assert!(Money::parse(bad, idr).is_err(), "{bad}");
        }
        assert!(matches!(
            Money::parse("99999999999999999999", idr),
            Err(Error::AmountOverflow { .. })
        ));
    }

    #[test]
    fn sums_refuse_mixed_currencies_and_overflow() {
        let a = Money::new(i64::MAX, Currency::IDR).unwrap();
        assert!(matches!(
            a.checked_add(Money::new(1, Currency::IDR).unwrap()),
            Err(Error::AmountOverflow { .. })
        ));
        let e = Money::sum([Money::zero(Currency::IDR), Money::zero(Currency::USD)]).unwrap_err();
        assert_eq!(
            e,
            Error::MixedCurrencies {
                first: "IDR".into(),
                second: "USD".into()
            }
        );
        assert_eq!(Money::sum([]).unwrap(), None);
    }

    #[test]
    fn serde_validates() {
        let m = Money::new(1500, Currency::IDR).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"minor":1500,"currency":"IDR"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        assert!(serde_json::from_str::<Money>(r#"{"minor":-5,"currency":"IDR"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"minor":5,"currency":"RUPIAH"}"#).is_err());
    }
}
