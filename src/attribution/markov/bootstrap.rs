//! Bootstrap confidence intervals for the Markov credit: resample the
//! journeys with replacement, solve each replicate's chain exactly, and take
//! percentile intervals. Seeded, so the same seed gives the same intervals
//! on every machine, whatever order the paths were added in.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::attribution::credit::named;
use crate::attribution::markov::chain::Chain;
use crate::attribution::markov::solve::{self, Solver};
use crate::attribution::markov::{Markov, credits};
use crate::attribution::paths::PathSet;
use crate::error::{Error, Result};
use crate::numeric::Rng;
use crate::numeric::quantile::quantile_sorted;
use crate::numeric::stats::ln_gamma;

/// The most replicates one bootstrap may draw.
pub const MAX_REPLICATES: u32 = 10_000;

/// Replicates times touches (the work of one bootstrap) allowed before it
/// is [`Error::TooMuchWork`].
const MAX_WORK: u64 = 1 << 34;

/// How to bootstrap the Markov credit: `replicates` resamples of the
/// journeys (multinomial: as many journeys as there are, drawn with
/// replacement, each journey converting or not as it did), each solved
/// exactly; percentile intervals at `level`.
///
/// ```
/// use cxjourney::attribution::{Bootstrap, Markov, PathSet};
/// let mut paths = PathSet::new();
/// paths.add(&["search", "email"], 30, 3_000.0, 70)?;
/// paths.add(&["email"], 10, 500.0, 90)?;
/// paths.add(&["search"], 5, 400.0, 40)?;
/// let b = Bootstrap { replicates: 50, seed: 7, level: 0.9 };
/// let ci = Markov::order(1).bootstrap(&paths, &b)?;
/// let search = Markov::order(1).solve(&paths)?.channels["search"].conversions;
/// assert!(ci["search"].conversions.low <= search && search <= ci["search"].conversions.high);
/// assert_eq!(ci, Markov::order(1).bootstrap(&paths, &b)?); // seeded
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedBootstrap")]
pub struct Bootstrap {
    /// How many resamples (default 200; at most [`MAX_REPLICATES`]).
    pub replicates: u32,
    /// The generator's seed (default 0).
    pub seed: u64,
    /// The interval's coverage, strictly between 0 and 1 (default 0.95).
    pub level: f64,
}

/// The serialized form of [`Bootstrap`], validated when read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct UncheckedBootstrap {
    replicates: u32,
    seed: u64,
    level: f64,
}

impl Default for UncheckedBootstrap {
    fn default() -> Self {
        let b = Bootstrap::default();
        UncheckedBootstrap {
            replicates: b.replicates,
            seed: b.seed,
            level: b.level,
        }
    }
}

impl TryFrom<UncheckedBootstrap> for Bootstrap {
    type Error = Error;

    fn try_from(u: UncheckedBootstrap) -> Result<Bootstrap> {
        let b = Bootstrap {
            replicates: u.replicates,
            seed: u.seed,
            level: u.level,
        };
        b.validate()?;
        Ok(b)
    }
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            replicates: 200,
            seed: 0,
            level: 0.95,
        }
    }
}

/// A percentile interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The lower end.
    pub low: f64,
    /// The upper end.
    pub high: f64,
}

/// Bootstrap intervals of one channel's Markov credit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MarkovInterval {
    /// Of the removal effect.
    pub removal_effect: Interval,
    /// Of the conversions credited.
    pub conversions: Interval,
    /// Of the value credited.
    pub value: Interval,
}

impl Bootstrap {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for no replicates, more than
    /// [`MAX_REPLICATES`], or a level outside (0, 1).
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_REPLICATES).contains(&self.replicates) {
            return Err(Error::InvalidConfig {
                field: "bootstrap.replicates",
                value: self.replicates.to_string(),
                reason: "from 1 to 10,000 replicates",
            });
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(Error::InvalidConfig {
                field: "bootstrap.level",
                value: self.level.to_string(),
                reason: "the coverage must be strictly between 0 and 1",
            });
        }
        Ok(())
    }
}

impl Markov {
    /// Bootstrap intervals of every channel's Markov credit (removal effect,
    /// conversions, value), by channel name.
    ///
    /// # Errors
    /// As [`Markov::solve`]; [`Error::InvalidConfig`] as
    /// [`Bootstrap::validate`]; [`Error::TooMuchWork`] when replicates
    /// times touches exceed 2^34.
    pub fn bootstrap(
        &self,
        paths: &PathSet,
        settings: &Bootstrap,
    ) -> Result<IndexMap<String, MarkovInterval>> {
        self.validate()?;
        settings.validate()?;
        let chain = Chain::build(paths, usize::from(self.order), self.max_states, true)?;
        let Some(rows) = chain.rows.as_ref() else {
            return Ok(named(paths, |_| MarkovInterval::default()));
        };
        let touches = (rows.edges.len() + 2 * rows.first.len()) as u64;
        if u64::from(settings.replicates).saturating_mul(touches.max(1)) > MAX_WORK {
            return Err(Error::TooMuchWork {
                what: "bootstrap replicates times path touches",
                limit: MAX_WORK,
            });
        }
        let counts: Vec<u64> = rows
            .conversions
            .iter()
            .zip(&rows.nulls)
            .flat_map(|(&c, &n)| [c, n])
            .collect();
        let journeys: u128 = counts.iter().map(|&c| u128::from(c)).sum();
        let channels = paths.channel_count();
        let mut draws: Vec<[Vec<f64>; 3]> = vec![[Vec::new(), Vec::new(), Vec::new()]; channels];
        let mut replicate = chain.clone();
        replicate.rows = None;
        let mut sample = vec![0u64; counts.len()];
        for r in 0..settings.replicates {
            let mut rng = Rng::new(
                settings
                    .seed
                    .wrapping_add(u64::from(r).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            );
            multinomial(&mut rng, journeys, &counts, &mut sample);
            reweight(&chain, &sample, &mut replicate);
            let effects = solve::effects(&replicate, Solver::Auto)?;
            let total_conv: f64 = replicate.conv_w.iter().sum();
            let total_value: f64 = replicate.end_value.iter().sum();
            let credit = credits(paths, &effects, total_conv, total_value);
            for (c, d) in draws.iter_mut().enumerate() {
                let name = paths.channel_name(c as u32);
                let m = credit.get(name).copied().unwrap_or_default();
                d[0].push(m.removal_effect);
                d[1].push(m.conversions);
                d[2].push(m.value);
            }
        }
        let (lo, hi) = ((1.0 - settings.level) / 2.0, (1.0 + settings.level) / 2.0);
        let interval = |v: &mut Vec<f64>| -> Result<Interval> {
            v.sort_by(f64::total_cmp);
            Ok(Interval {
                low: quantile_sorted(v, lo)?.unwrap_or(0.0),
                high: quantile_sorted(v, hi)?.unwrap_or(0.0),
            })
        };
        let mut out = IndexMap::new();
        for c in paths.ids_by_name() {
            let Some(d) = draws.get_mut(c as usize) else {
                continue;
            };
            let [re, conv, value] = d;
            out.insert(
                paths.channel_name(c).to_owned(),
                MarkovInterval {
                    removal_effect: interval(re)?,
                    conversions: interval(conv)?,
                    value: interval(value)?,
                },
            );
        }
        Ok(out)
    }
}

/// Sets the replicate's weights from resampled counts (conversions and
/// non-conversions of each path, in the chain's canonical path order).
fn reweight(chain: &Chain, sample: &[u64], out: &mut Chain) {
    let Some(rows) = &chain.rows else {
        return;
    };
    for v in [
        &mut out.out_w,
        &mut out.start_w,
        &mut out.conv_w,
        &mut out.null_w,
        &mut out.end_value,
    ] {
        v.iter_mut().for_each(|x| *x = 0.0);
    }
    for (r, pair) in sample.chunks_exact(2).enumerate() {
        let (c, n) = (
            pair.first().copied().unwrap_or(0),
            pair.get(1).copied().unwrap_or(0),
        );
        if c + n == 0 {
            continue;
        }
        let w = (c + n) as f64;
        let get = |v: &[u32]| v.get(r).copied().unwrap_or(0) as usize;
        if let Some(x) = out.start_w.get_mut(get(&rows.first)) {
            *x += w;
        }
        let (a, b) = (
            rows.starts.get(r).copied().unwrap_or(0) as usize,
            rows.starts.get(r + 1).copied().unwrap_or(0) as usize,
        );
        for &e in rows.edges.get(a..b).unwrap_or(&[]) {
            if let Some(x) = out.out_w.get_mut(e as usize) {
                *x += w;
            }
        }
        let last = get(&rows.last);
        if let Some(x) = out.conv_w.get_mut(last) {
            *x += c as f64;
        }
        if let Some(x) = out.null_w.get_mut(last) {
            *x += n as f64;
        }
        if let Some(x) = out.end_value.get_mut(last) {
            *x += c as f64 * rows.mean_value.get(r).copied().unwrap_or(0.0);
        }
    }
}

/// Draws `total` items with replacement from categories of the given
/// counts (a multinomial with probabilities `counts / total`), by
/// conditional binomials in order.
fn multinomial(rng: &mut Rng, total: u128, counts: &[u64], out: &mut [u64]) {
    let mut left_draws = u64::try_from(total).unwrap_or(u64::MAX);
    let mut left_weight = total;
    for (&k, o) in counts.iter().zip(out.iter_mut()) {
        if left_draws == 0 || left_weight == 0 || k == 0 {
            *o = 0;
            left_weight = left_weight.saturating_sub(u128::from(k));
            continue;
        }
        let p = k as f64 / left_weight as f64;
        let x = binomial(rng, left_draws, p);
        *o = x;
        left_draws -= x;
        left_weight -= u128::from(k);
    }
}

/// A binomial draw: inversion for small means, Hörmann's BTRS (1993, the
/// transformed rejection used by numpy) otherwise.
pub(crate) fn binomial(rng: &mut Rng, n: u64, p: f64) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    if p > 0.5 {
        return n - binomial(rng, n, 1.0 - p);
    }
    let nf = n as f64;
    if nf * p < 10.0 {
        // Inversion: walk the probabilities from 0.
        let q = 1.0 - p;
        let s = p / q;
        let a = (nf + 1.0) * s;
        let mut r = (nf * (-p).ln_1p()).exp();
        let mut u = rng.unit();
        let mut x = 0u64;
        while u > r {
            u -= r;
            x += 1;
            if x >= n || r <= 0.0 {
                return x.min(n);
            }
            r *= a / x as f64 - s;
        }
        return x;
    }
    let q = 1.0 - p;
    let spq = (nf * p * q).sqrt();
    let b = 1.15 + 2.53 * spq;
    let a = -0.0873 + 0.0248 * b + 0.01 * p;
    let c = nf * p + 0.5;
    let v_r = 0.92 - 4.2 / b;
    let alpha = (2.83 + 5.1 / b) * spq;
    let lpq = (p / q).ln();
    let m = ((nf + 1.0) * p).floor();
    let h = ln_gamma(m + 1.0) + ln_gamma(nf - m + 1.0);
    loop {
        let u = rng.unit() - 0.5;
        let v = rng.unit();
        let us = 0.5 - u.abs();
        if us <= 0.0 {
            continue;
        }
        let k = ((2.0 * a / us + b) * u + c).floor();
        if k < 0.0 || k > nf {
            continue;
        }
        if us >= 0.07 && v <= v_r {
            return k as u64;
        }
        let lv = (v * alpha / (a / (us * us) + b)).ln();
        if lv <= h - ln_gamma(k + 1.0) - ln_gamma(nf - k + 1.0) + (k - m) * lpq {
            return k as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_moments() {
        let mut rng = Rng::new(42);
        for &(n, p) in &[
            (20u64, 0.1),
            (1000, 0.3),
            (50, 0.9),
            (1_000_000, 0.001),
            (7, 0.5),
        ] {
            let draws: Vec<f64> = (0..20_000)
                .map(|_| binomial(&mut rng, n, p) as f64)
                .collect();
            let mean = draws.iter().sum::<f64>() / draws.len() as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
            let (m, v) = (n as f64 * p, n as f64 * p * (1.0 - p));
            assert!(
                (mean - m).abs() < 4.0 * (v / 20_000.0).sqrt() + 1e-9,
                "{n} {p}: {mean} vs {m}"
            );
            assert!((var / v - 1.0).abs() < 0.06, "{n} {p}: {var} vs {v}");
            assert!(draws.iter().all(|&x| x <= n as f64));
        }
        assert_eq!(binomial(&mut rng, 10, 0.0), 0);
        assert_eq!(binomial(&mut rng, 10, 1.0), 10);
        assert_eq!(binomial(&mut rng, 10, f64::NAN), 0);
    }

    #[test]
    fn multinomial_keeps_the_total() {
        let mut rng = Rng::new(1);
        let counts = [3u64, 0, 10, 1, 0, 86];
        let mut out = [0u64; 6];
        for _ in 0..100 {
            multinomial(&mut rng, 100, &counts, &mut out);
            assert_eq!(out.iter().sum::<u64>(), 100);
            assert_eq!((out[1], out[4]), (0, 0));
        }
    }

    #[test]
    fn settings_are_checked() {
        let paths = PathSet::new();
        for b in [
            Bootstrap {
                replicates: 0,
                ..Bootstrap::default()
            },
            Bootstrap {
                replicates: MAX_REPLICATES + 1,
                ..Bootstrap::default()
            },
            Bootstrap {
                level: 1.0,
                ..Bootstrap::default()
            },
            Bootstrap {
                level: f64::NAN,
                ..Bootstrap::default()
            },
        ] {
            assert!(Markov::order(1).bootstrap(&paths, &b).is_err());
        }
        assert!(
            Markov::order(1)
                .bootstrap(&paths, &Bootstrap::default())
                .unwrap()
                .is_empty()
        );
    }
}
