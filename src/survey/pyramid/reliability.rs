//! From the integer totals to the report: covariances (pairwise or
//! listwise), Cronbach's alpha as pingouin computes it, the Feldt interval,
//! item statistics, dimension scores and the CX index.

use indexmap::IndexMap;

use super::accumulator::PyramidAccumulator;
use super::columns::{DimPlan, PairSums, Scope, ScopeSums};
use super::config::MissingPolicy;
use super::report::{DimensionReport, IndexSummary, ItemReliability, PyramidReport, Reliability};

use crate::error::Result;
use crate::model::{Dimension, Layer};
use crate::numeric::stats::{Moments, f_isf, round3};

impl PyramidAccumulator {
    fn code_to_value(&self, code_mean: f64) -> f64 {
        code_mean - 1.0 + f64::from(self.instrument.scale().min())
    }

    /// The covariance matrix of the scope, each entry also as its exact
    /// integer fraction `num / den` (`None` where fewer than two rows count).
    fn covariance(&self, scope: &Scope, list: &ScopeSums) -> (Vec<f64>, Vec<Option<Frac>>) {
        let kk = scope.items.len();
        let mut c = vec![f64::NAN; kk * kk];
        let mut exact = vec![None; kk * kk];
        for (pos, &(a, b)) in scope.pairs.iter().enumerate() {
            let (Some(&i), Some(&j)) = (scope.items.get(a), scope.items.get(b)) else {
                continue;
            };
            let f = match self.config.missing {
                MissingPolicy::Pairwise => self
                    .pair(i, j)
                    .and_then(|ps| cov_frac(ps.n, ps.si, ps.sj, ps.p)),
                MissingPolicy::Listwise => {
                    let si = list.s.get(a).copied().unwrap_or(0);
                    let sj = list.s.get(b).copied().unwrap_or(0);
                    let p = list.p.get(pos).copied().unwrap_or(0);
                    cov_frac(list.n, si, sj, p)
                }
            };
            let v = f.map_or(f64::NAN, |f| f.num as f64 / f.den as f64);
            for at in [a * kk + b, b * kk + a] {
                if let Some(x) = c.get_mut(at) {
                    *x = v;
                }
                if let Some(x) = exact.get_mut(at) {
                    *x = f;
                }
            }
        }
        (c, exact)
    }

    /// The pairwise sums of items `i` and `j` over the rows where both are
    /// present, from the all-row totals minus the missing-row corrections.
    fn pair(&self, i: usize, j: usize) -> Option<PairSums> {
        let (i, j) = if i <= j { (i, j) } else { (j, i) };
        let k = self.k;
        let get = |v: &Vec<u64>, at: usize| v.get(at).copied();
        let si = get(&self.sums, i)?;
        let mi = get(&self.miss1, i)?;
        let p = get(&self.prod, i * k + j)?;
        // Saturating: a deserialized state is checked, but not for every
        // relation between its totals.
        if i == j {
            return Some(PairSums {
                n: self.n_rows.saturating_sub(mi),
                si,
                sj: si,
                p,
            });
        }
        let sj = get(&self.sums, j)?;
        let mj = get(&self.miss1, j)?;
        let both = get(&self.miss2, i * k + j)?;
        Some(PairSums {
            n: (self.n_rows + both).saturating_sub(mi).saturating_sub(mj),
            si: si.saturating_sub(get(&self.sub, j * k + i)?),
            sj: sj.saturating_sub(get(&self.sub, i * k + j)?),
            p,
        })
    }

    fn reliability(&self, scope: &Scope, list: &ScopeSums) -> Result<Reliability> {
        let kk = scope.items.len();
        let (cov, exact) = self.covariance(scope, list);
        let items = self.instrument.items();
        let mut item_stats = IndexMap::new();
        for (a, &i) in scope.items.iter().enumerate() {
            let (n, s) = match self.config.missing {
                MissingPolicy::Pairwise => self.pair(i, i).map_or((0, 0), |p| (p.n, p.si)),
                MissingPolicy::Listwise => (list.n, list.s.get(a).copied().unwrap_or(0)),
            };
            let var = cov.get(a * kk + a).copied().unwrap_or(f64::NAN);
            let rest: Vec<usize> = (0..kk).filter(|&b| b != a).collect();
            let cov_rest: f64 = rest
                .iter()
                .map(|&b| cov.get(a * kk + b).copied().unwrap_or(f64::NAN))
                .sum();
            let var_rest: f64 = rest
                .iter()
                .flat_map(|&b| rest.iter().map(move |&c| (b, c)))
                .map(|(b, c)| cov.get(b * kk + c).copied().unwrap_or(f64::NAN))
                .sum();
            // A rest score without variance has no correlation (decided
            // exactly, not by the rounded float).
            let item_rest = (kk >= 2 && !total_vanishes(&cov, &exact, kk, &rest))
                .then(|| cov_rest / (var * var_rest).sqrt());
            let alpha_if_deleted = alpha_of(&cov, &exact, kk, &rest);
            let id = items.get(i).map_or_else(String::new, |it| it.id.clone());
            item_stats.insert(
                id,
                ItemReliability {
                    n,
                    mean: finite((n > 0).then(|| self.code_to_value(s as f64 / n as f64))),
                    sd: finite((n > 1).then(|| var.sqrt())),
                    item_rest_correlation: finite(item_rest),
                    alpha_if_deleted: finite(alpha_if_deleted),
                },
            );
        }
        let all: Vec<usize> = (0..kk).collect();
        let alpha = finite(alpha_of(&cov, &exact, kk, &all));
        // Standardized alpha from the mean inter-item correlation.
        let mut rsum = 0.0;
        let mut rn = 0usize;
        for a in 0..kk {
            for b in (a + 1)..kk {
                let cab = cov.get(a * kk + b).copied().unwrap_or(f64::NAN);
                let va = cov.get(a * kk + a).copied().unwrap_or(f64::NAN);
                let vb = cov.get(b * kk + b).copied().unwrap_or(f64::NAN);
                rsum += cab / (va * vb).sqrt();
                rn += 1;
            }
        }
        let rbar = (rn > 0).then(|| rsum / rn as f64);
        let kf = kk as f64;
        // The denominators vanish when the standardized items' sum has no
        // variance; correlations involve square roots, so this is decided
        // within rounding (a relative 1e-12), not exactly.
        let standardized = finite(
            rbar.filter(|r| (1.0 + (kf - 1.0) * r).abs() > 1e-12 * kf)
                .map(|r| kf * r / (1.0 + (kf - 1.0) * r)),
        );
        let spearman_brown = finite(if kk == 2 {
            rbar.filter(|r| (1.0 + r).abs() > 1e-12)
                .map(|r| 2.0 * r / (1.0 + r))
        } else {
            None
        });
        let feldt_n = self.n_rows;
        let (ci_low, ci_high) = match alpha {
            Some(al) if feldt_n >= 2 && kk >= 2 => {
                let df1 = (feldt_n - 1) as f64;
                let df2 = df1 * (kf - 1.0);
                let lo = 1.0 - (1.0 - al) * f_isf(0.025, df1, df2)?;
                let hi = 1.0 - (1.0 - al) * f_isf(0.975, df1, df2)?;
                (finite(Some(round3(lo))), finite(Some(round3(hi))))
            }
            _ => (None, None),
        };
        let n_rows_used = match self.config.missing {
            MissingPolicy::Pairwise => self.n_rows,
            MissingPolicy::Listwise => list.n,
        };
        Ok(Reliability {
            policy: self.config.missing,
            n_items: kk,
            n_rows_total: self.n_rows,
            n_rows_used,
            feldt_n,
            alpha,
            standardized_alpha: standardized,
            ci_low,
            ci_high,
            spearman_brown,
            items: item_stats,
        })
    }

    fn scope_report(
        &self,
        plan: &DimPlan,
        hist: &[u64],
        list: &ScopeSums,
    ) -> Result<DimensionReport> {
        let scale = self.instrument.scale();
        let kd = plan.scope.items.len();
        let (mut n_answers, mut sum_answers, mut top) = (0u64, 0u64, 0u64);
        for &i in &plan.scope.items {
            if let Some(ps) = self.pair(i, i) {
                n_answers += ps.n;
                sum_answers += ps.si;
            }
            top += self.top.get(i).copied().unwrap_or(0);
        }
        // Respondent means and scores from the (count, sum) histogram.
        let mut means = Moments::default();
        let mut scores = Moments::default();
        for cnt in 1..=kd {
            for sum in cnt..=cnt * usize::from(self.points) {
                let cells = plan.table.len();
                let copies = hist.len() / cells.max(1);
                let cell = cnt * plan.stride + sum;
                let h: u64 = (0..copies)
                    .map(|c| hist.get(cell * copies + c).copied().unwrap_or(0))
                    .sum();
                if h == 0 {
                    continue;
                }
                let m = self.code_to_value(sum as f64 / cnt as f64);
                means.merge(&Moments::from_parts(h, m, 0.0));
                if cnt >= plan.required {
                    scores.merge(&Moments::from_parts(h, scale.rescale(m), 0.0));
                }
            }
        }
        let respondent_means_ci = finite_pair(means.t_interval_95()?);
        let score_ci = finite_pair(scores.t_interval_95()?);
        let reliability = self.reliability(&plan.scope, list)?;
        Ok(DimensionReport {
            layer: plan.dimension.map(Dimension::layer),
            items: plan
                .scope
                .items
                .iter()
                .filter_map(|&i| self.instrument.items().get(i).map(|it| it.id.clone()))
                .collect(),
            n_answers,
            n_respondents_with_any: means.n(),
            mean_of_items: finite(
                (n_answers > 0).then(|| self.code_to_value(sum_answers as f64 / n_answers as f64)),
            ),
            mean_of_respondent_means: finite(means.mean()),
            sd_of_respondent_means: finite(means.sd()),
            respondent_means_ci,
            n_scored: scores.n(),
            score_0_100: finite(scores.mean()),
            score_sd: finite(scores.sd()),
            score_ci,
            top_box_share: finite((n_answers > 0).then(|| top as f64 / n_answers as f64)),
            reliability,
        })
    }

    pub(super) fn report(&self) -> Result<PyramidReport> {
        let mut dimensions = IndexMap::new();
        for ((plan, hist), list) in self.dims.iter().zip(&self.hist).zip(&self.list_dims) {
            if let Some(d) = plan.dimension {
                dimensions.insert(d, self.scope_report(plan, hist, list)?);
            }
        }
        let weakest_foundation = dimensions
            .iter()
            .find(|(_, r)| {
                r.score_0_100
                    .is_some_and(|s| s < self.config.weakest_threshold)
            })
            .map(|(d, _)| *d);
        let mut layers = IndexMap::new();
        for &layer in Layer::ALL {
            let s: Vec<f64> = dimensions
                .values()
                .filter(|r| r.layer == Some(layer))
                .filter_map(|r| r.score_0_100)
                .collect();
            let mean = s.iter().sum::<f64>() / s.len() as f64;
            if !s.is_empty() && mean.is_finite() {
                layers.insert(layer, mean);
            }
        }
        let index_moments = self.index.moments();
        let index = IndexSummary {
            n: index_moments.n(),
            mean: finite(index_moments.mean()),
            sd: finite(index_moments.sd()),
            ci: finite_pair(index_moments.t_interval_95()?),
        };
        let base_min = dimensions
            .values()
            .filter(|r| r.layer == Some(Layer::Base))
            .filter_map(|r| r.score_0_100)
            .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.min(s))));
        let gated_index = if self.config.gating {
            match (index.mean, base_min) {
                (Some(i), Some(b)) => Some(i.min(b)),
                (i, _) => i,
            }
        } else {
            None
        };
        let all_items = self.scope_report(&self.all_plan, &self.hist_all, &self.list_all)?;
        Ok(PyramidReport {
            instrument: self.instrument.name().to_owned(),
            missing: self.config.missing,
            n_rows: self.n_rows,
            dimensions,
            layers,
            index,
            weakest_foundation,
            weakest_threshold: self.config.weakest_threshold,
            gated_index,
            all_items,
        })
    }
}

/// A sample covariance as an exact fraction of integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Frac {
    num: i128,
    den: i128,
}

/// Sample covariance (ddof = 1) from integer sums, `None` below two rows.
/// Exact: with at most 2^48 rows and codes up to 15, `n p` and `si sj` stay
/// below 2^105.
fn cov_frac(n: u64, si: u64, sj: u64, p: u64) -> Option<Frac> {
    if n < 2 {
        return None;
    }
    let num = i128::from(n)
        .checked_mul(i128::from(p))?
        .checked_sub(i128::from(si).checked_mul(i128::from(sj))?)?;
    let den = i128::from(n).checked_mul(i128::from(n) - 1)?;
    Some(Frac { num, den })
}

/// Whether the variance of the sum of the items `subset` (the sum of their
/// covariances, undefined pairs skipped as pandas does) is zero.
///
/// Decided exactly in integers when every covariance has the same
/// denominator (no missing answers, or listwise deletion): the sum of the
/// numerators is then exact. With pairwise counts that differ, the float
/// total is trusted only when it is clear of its rounding bound; inside
/// that bound the total counts as vanishing (its sign is unknown, and any
/// number computed from it would be noise).
fn total_vanishes(cov: &[f64], exact: &[Option<Frac>], kk: usize, subset: &[usize]) -> bool {
    let mut den = None;
    let mut same_den = true;
    let mut num_sum: Option<i128> = Some(0);
    let (mut total, mut magnitude, mut terms) = (0.0f64, 0.0f64, 0usize);
    for &a in subset {
        for &b in subset {
            let Some(Some(f)) = exact.get(a * kk + b) else {
                continue;
            };
            match den {
                None => den = Some(f.den),
                Some(d) if d != f.den => same_den = false,
                Some(_) => {}
            }
            num_sum = num_sum.and_then(|s| s.checked_add(f.num));
            let v = cov.get(a * kk + b).copied().unwrap_or(0.0);
            total += v;
            magnitude += v.abs();
            terms += 1;
        }
    }
    if terms == 0 {
        return true;
    }
    if same_den {
        if let Some(s) = num_sum {
            return s == 0;
        }
    }
    total.abs() <= 4.0 * (terms as f64 + 2.0) * f64::EPSILON * magnitude
}

/// Cronbach's alpha of the items `subset` of a `kk` x `kk` covariance
/// matrix; `None` with fewer than two items or when the total has no
/// variance ([`total_vanishes`]).
fn alpha_of(cov: &[f64], exact: &[Option<Frac>], kk: usize, subset: &[usize]) -> Option<f64> {
    let k = subset.len();
    if k < 2 || total_vanishes(cov, exact, kk, subset) {
        return None;
    }
    let mut trace = 0.0;
    let mut total = 0.0;
    for &a in subset {
        for &b in subset {
            let v = cov.get(a * kk + b).copied().unwrap_or(f64::NAN);
            // pingouin divides by `C.sum().sum()`, and pandas' sum skips NaN:
            // a pair answered together by fewer than two respondents drops out
            // of the total. A NaN variance still makes alpha undefined.
            if !v.is_nan() {
                total += v;
            }
            if a == b {
                trace += v;
            }
        }
    }
    let kf = k as f64;
    Some(kf / (kf - 1.0) * (1.0 - trace / total))
}

fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// An interval only when both ends are finite: a report never holds a
/// non-finite number (JSON has none).
pub(super) fn finite_pair(x: Option<(f64, f64)>) -> Option<(f64, f64)> {
    x.filter(|(a, b)| a.is_finite() && b.is_finite())
}
