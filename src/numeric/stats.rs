//! Shared numeric building blocks: moment accumulators that merge, the
//! Student t and F quantiles (computed in the crate from the regularized
//! incomplete beta function, no dependency), and the Wilson interval.
//!
//! Everything here is a pure function of its inputs. The quantiles are solved
//! by bisection on the distribution function, which is monotone, so they
//! always terminate; the continued fraction behind the incomplete beta is
//! capped and reports an error instead of looping.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The two-sided 95% standard normal quantile, `z(0.975)`.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Count, mean and sum of squared deviations of a stream of numbers
/// (Welford's update, Chan's merge).
///
/// `merge` is commutative and, up to floating-point rounding, associative:
/// splitting a stream and merging the parts gives the same mean and variance
/// as adding everything to one accumulator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// Adds one value. (The analyses build moments from histogram cells with
    /// [`Moments::from_parts`]; one-value adds serve the tests.)
    #[cfg(test)]
    pub fn add(&mut self, x: f64) {
        // Saturating: 2^64 values cannot be added in practice, but
        // `from_parts` accepts any count.
        self.n = self.n.saturating_add(1);
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Builds the moments of a group from its count, sum and sum of squared
    /// deviations from its own mean.
    #[must_use]
    pub fn from_parts(n: u64, mean: f64, m2: f64) -> Self {
        if n == 0 {
            Moments::default()
        } else {
            Moments { n, mean, m2 }
        }
    }

    /// Merges another accumulator into this one (Chan et al.).
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n.saturating_add(other.n);
        let d = other.mean - self.mean;
        let nf = n as f64;
        let (na, nb) = (self.n as f64, other.n as f64);
        self.mean += d * nb / nf;
        self.m2 += other.m2 + d * d * na * nb / nf;
        self.n = n;
    }

    /// The number of values.
    #[must_use]
    pub fn n(&self) -> u64 {
        self.n
    }

    /// The mean, `None` without values.
    #[must_use]
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// The sample variance (ddof = 1), `None` with fewer than two values.
    #[must_use]
    pub fn variance(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2 / (self.n - 1) as f64).max(0.0))
    }

    /// The sample standard deviation (ddof = 1).
    #[must_use]
    pub fn sd(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    /// The 95% Student t interval of the mean, `None` with fewer than two values.
    ///
    /// # Errors
    /// [`Error::NumericFailure`] if the t quantile cannot be computed.
    pub fn t_interval_95(&self) -> Result<Option<(f64, f64)>> {
        match (self.mean(), self.sd()) {
            (Some(m), Some(sd)) => {
                let t = student_t_quantile(0.975, (self.n - 1) as f64)?;
                let h = t * sd / (self.n as f64).sqrt();
                Ok(Some((m - h, m + h)))
            }
            _ => Ok(None),
        }
    }
}

/// `ln |Γ(x)|` (Lanczos, g = 7, 9 terms; relative error about 1e-15; the
/// reflection formula below 0.5; `+∞` at the poles 0, -1, -2, ...).
#[must_use]
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x <= 0.0 && x.fract() == 0.0 {
        // The poles of Γ at 0, -1, -2, ...
        return f64::INFINITY;
    }
    if x < 0.5 {
        // Reflection.
        let s = (std::f64::consts::PI * x).sin();
        return (std::f64::consts::PI / s.abs()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

const MAX_CF_ITERATIONS: usize = 1_000_000;

fn beta_cf(a: f64, b: f64, x: f64) -> Result<f64> {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-16;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=MAX_CF_ITERATIONS {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            return Ok(h);
        }
    }
    Err(Error::NumericFailure {
        what: format!("incomplete beta I_{x}({a}, {b}) did not converge"),
    })
}

/// The regularized incomplete beta function `I_x(a, b)`.
///
/// # Errors
/// [`Error::NumericFailure`] when `a` or `b` is not positive or not finite,
/// or the continued fraction does not converge within its cap.
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> Result<f64> {
    if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()) || x.is_nan() {
        return Err(Error::NumericFailure {
            what: format!("incomplete beta with a = {a}, b = {b}, x = {x}"),
        });
    }
    if x <= 0.0 {
        return Ok(0.0);
    }
    if x >= 1.0 {
        return Ok(1.0);
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (-x).ln_1p();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        Ok(front * beta_cf(a, b, x)? / a)
    } else {
        Ok(1.0 - front * beta_cf(b, a, 1.0 - x)? / b)
    }
}

/// Finds `x` in `[lo, hi]` where the decreasing function `f` crosses `target`,
/// by bisection to machine precision.
fn bisect_decreasing(
    mut lo: f64,
    mut hi: f64,
    target: f64,
    f: impl Fn(f64) -> Result<f64>,
) -> Result<f64> {
    for _ in 0..2_000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if f(mid)? > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

fn check_prob(p: f64, what: &str) -> Result<()> {
    if p > 0.0 && p < 1.0 {
        Ok(())
    } else {
        Err(Error::NumericFailure {
            what: format!("{what}: probability {p} is not strictly between 0 and 1"),
        })
    }
}

fn check_df(df: f64, what: &str) -> Result<()> {
    if df > 0.0 && df.is_finite() {
        Ok(())
    } else {
        Err(Error::NumericFailure {
            what: format!("{what}: degrees of freedom {df} must be positive and finite"),
        })
    }
}

/// The survival function `P(F > x)` of the F distribution with `d1`, `d2`
/// degrees of freedom.
///
/// # Errors
/// [`Error::NumericFailure`] on invalid degrees of freedom.
pub fn f_sf(x: f64, d1: f64, d2: f64) -> Result<f64> {
    check_df(d1, "F distribution")?;
    check_df(d2, "F distribution")?;
    if x <= 0.0 {
        return Ok(1.0);
    }
    incomplete_beta(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * x))
}

/// The inverse survival function of the F distribution: the `x` with
/// `P(F > x) = p` (scipy's `f.isf(p, d1, d2)`).
///
/// # Errors
/// [`Error::NumericFailure`] when `p` is not in (0, 1) or the degrees of
/// freedom are not positive.
pub fn f_isf(p: f64, d1: f64, d2: f64) -> Result<f64> {
    check_prob(p, "F quantile")?;
    check_df(d1, "F quantile")?;
    check_df(d2, "F quantile")?;
    let mut hi = 2.0;
    let mut guard = 0;
    while f_sf(hi, d1, d2)? > p {
        hi *= 2.0;
        guard += 1;
        if guard > 2_000 {
            return Err(Error::NumericFailure {
                what: format!("F quantile isf({p}, {d1}, {d2}) has no finite bracket"),
            });
        }
    }
    // Newton steps on the survival function, kept inside a shrinking
    // bracket (bisection when a step leaves it); a few steps suffice.
    let mut lo = 0.0;
    let ln_norm = 0.5 * d1 * (d1 / d2).ln()
        - (ln_gamma(d1 / 2.0) + ln_gamma(d2 / 2.0) - ln_gamma((d1 + d2) / 2.0));
    let pdf = |x: f64| {
        (ln_norm + (0.5 * d1 - 1.0) * x.ln() - 0.5 * (d1 + d2) * (d1 * x / d2).ln_1p()).exp()
    };
    let mut x = if hi > 2.0 { 0.75 * hi } else { 1.0 };
    for _ in 0..200 {
        let g = f_sf(x, d1, d2)? - p;
        if g > 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let d = pdf(x);
        let next = x + g / d;
        let next = if d > 0.0 && next > lo && next < hi {
            next
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.abs() || hi - lo <= 4.0 * f64::EPSILON * hi {
            return Ok(next);
        }
        x = next;
    }
    bisect_decreasing(lo, hi, p, |x| f_sf(x, d1, d2))
}

/// The quantile of Student's t distribution with `df` degrees of freedom
/// (scipy's `t.ppf(p, df)`).
///
/// # Errors
/// [`Error::NumericFailure`] when `p` is not in (0, 1) or `df` is not positive.
pub fn student_t_quantile(p: f64, df: f64) -> Result<f64> {
    check_prob(p, "t quantile")?;
    check_df(df, "t quantile")?;
    if p == 0.5 {
        return Ok(0.0);
    }
    // Two-sided tail probability of |T| > t.
    let tail = 2.0 * if p > 0.5 { 1.0 - p } else { p };
    let two_sided = |t: f64| incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
    let mut hi = 2.0;
    let mut guard = 0;
    while two_sided(hi)? > tail {
        hi *= 2.0;
        guard += 1;
        if guard > 2_000 {
            return Err(Error::NumericFailure {
                what: format!("t quantile ppf({p}, {df}) has no finite bracket"),
            });
        }
    }
    let t = bisect_decreasing(0.0, hi, tail, two_sided)?;
    Ok(if p > 0.5 { t } else { -t })
}

/// The 95% Wilson score interval of a proportion `successes / n`, `None` when
/// `n` is 0.
#[must_use]
pub fn wilson_95(successes: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let p = successes as f64 / nf;
    let z = Z_95;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Rounds like numpy's `np.round(x, 3)`: to 3 decimals, ties to even.
#[must_use]
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round_ties_even() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn moments_merge_like_one_stream() {
        let mut a = Moments::default();
        let mut b = Moments::default();
        for x in [1.0, 2.0, 3.0] {
            a.add(x);
        }
        for x in [4.0, 5.0] {
            b.add(x);
        }
        a.merge(&b);
        assert_eq!(a.n(), 5);
        assert!((a.mean().unwrap_or(0.0) - 3.0).abs() < 1e-12);
        assert!((a.variance().unwrap_or(0.0) - 2.5).abs() < 1e-12);
    }

    #[test]
    fn f_isf_and_t_quantile_match_scipy() {
        // scipy.stats.f.isf(0.025, 29, 58) = 1.83331...
        let x = f_isf(0.025, 29.0, 58.0).unwrap();
        assert!((x - 1.833_313_219_865_37).abs() < 1e-9);
        let t = student_t_quantile(0.975, 10.0).unwrap();
        assert!((t - 2.228_138_851_986_273_5).abs() < 1e-10);
    }

    #[test]
    fn extreme_counts_and_poles_do_not_overflow() {
        let mut m = Moments::from_parts(u64::MAX, 1.0, 0.0);
        m.add(1.0);
        m.merge(&Moments::from_parts(1, 2.0, 0.0));
        assert_eq!(m.n(), u64::MAX);
        for pole in [0.0, -1.0, -2.0, -30.0] {
            assert_eq!(ln_gamma(pole), f64::INFINITY, "{pole}");
        }
        assert!((ln_gamma(-0.5) - (2.0 * std::f64::consts::PI.sqrt()).ln()).abs() < 1e-12);
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn t_quantiles_match_scipy() {
        // scipy.stats.t.ppf(0.975, df)
        for (df, want) in [
            (1.0, 12.706_204_736_174_694),
            (2.0, 4.302_652_729_749_462),
            (29.0, 2.045_229_642_132_703),
            (1000.0, 1.962_339_080_826_408_3),
        ] {
            let got = student_t_quantile(0.975, df).unwrap_or(f64::NAN);
            assert!(close(got, want, 1e-10), "df {df}: {got} vs {want}");
        }
        let lo = student_t_quantile(0.025, 29.0).unwrap_or(f64::NAN);
        assert!(close(lo, -2.045_229_642_132_703, 1e-10));
    }

    #[test]
    fn f_quantiles_match_scipy() {
        // scipy.stats.f.isf(p, d1, d2)
        for (p, d1, d2, want) in [
            (0.025, 29.0, 58.0, 1.833_313_219_865_369_9),
            (0.975, 29.0, 58.0, 0.509_171_807_242_805_9),
            (0.025, 29.0, 29.0, 2.100_995_817_284_212),
        ] {
            let got = f_isf(p, d1, d2).unwrap_or(f64::NAN);
            assert!(close(got, want, 1e-10), "{p} {d1} {d2}: {got} vs {want}");
        }
    }

    #[test]
    fn f_quantile_with_a_million_rows_is_finite_and_near_one() {
        let hi = f_isf(0.025, 999_999.0, 10_999_989.0).unwrap_or(f64::NAN);
        let lo = f_isf(0.975, 999_999.0, 10_999_989.0).unwrap_or(f64::NAN);
        assert!(close(hi, 1.002_897_480_934_624, 1e-9), "{hi}");
        assert!(close(lo, 0.997_107_360_157_540_5, 1e-9), "{lo}");
    }

    #[test]
    fn wilson_matches_the_formula() {
        // The Wilson formula evaluated in Python for 8 of 10
        let (lo, hi) = wilson_95(8, 10).unwrap_or((0.0, 0.0));
        assert!(close(lo, 0.490_162_471_536_641_83, 1e-9), "{lo}");
        assert!(close(hi, 0.943_317_848_545_624_7, 1e-9), "{hi}");
        assert_eq!(wilson_95(0, 0), None);
    }

    #[test]
    fn round3_is_ties_to_even() {
        assert_eq!(round3(0.8185), (818.5f64).round_ties_even() / 1000.0);
        assert_eq!(round3(0.72849), 0.728);
    }

    proptest! {
        #[test]
        fn moments_merge_equals_whole(xs in proptest::collection::vec(-1e3f64..1e3, 0..60), cut in 0usize..60) {
            let cut = cut.min(xs.len());
            let mut whole = Moments::default();
            for &x in &xs { whole.add(x); }
            let mut a = Moments::default();
            let mut b = Moments::default();
            for (i, &x) in xs.iter().enumerate() { if i < cut { a.add(x) } else { b.add(x) } }
            let mut ab = a; ab.merge(&b);
            let mut ba = b; ba.merge(&a);
            prop_assert_eq!(ab.n(), whole.n());
            for m in [ab, ba] {
                prop_assert!(close(m.mean().unwrap_or(0.0), whole.mean().unwrap_or(0.0), 1e-9));
                prop_assert!(close(m.variance().unwrap_or(0.0), whole.variance().unwrap_or(0.0), 1e-8));
            }
        }

        #[test]
        fn f_isf_inverts_the_survival_function(d1 in 1.0f64..1e6, ratio in 1.0f64..12.0, p in 0.01f64..0.99) {
            let d2 = d1 * ratio;
            let x = f_isf(p, d1, d2);
            prop_assert!(x.is_ok());
            if let Ok(x) = x {
                let back = f_sf(x, d1, d2).unwrap_or(f64::NAN);
                prop_assert!((back - p).abs() < 1e-9, "{d1} {d2} {p}: {x} -> {back}");
            }
        }

        #[test]
        fn t_quantile_is_monotone(df in 1.0f64..500.0, p in 0.5f64..0.999) {
            let a = student_t_quantile(p, df).unwrap_or(f64::NAN);
            let b = student_t_quantile((p + 0.0005).min(0.9995), df).unwrap_or(f64::NAN);
            prop_assert!(a <= b);
        }
    }
}
