//! Pyramid scoring: per-respondent dimension scores, the CX index, the
//! aggregate report with the weakest foundation, and reliability (Cronbach's
//! alpha and friends) — in one pass, with accumulators that merge.
//!
//! # How it scales
//!
//! [`PyramidAccumulator`]'s `add` ([`Accumulator::add`](crate::Accumulator::add))
//! checks each respondent's answers and stores them
//! as small integer codes (missing = 0) in a column buffer of 256 rows; an
//! [`AnswerBlock`] does the same while a file is read, and
//! [`PyramidAccumulator::add_block`] then runs only the kernels. A kernel adds
//! the rows' **sufficient statistics** to integer totals: per item the sum of
//! codes, per item pair the sum of products (SIMD-friendly dot products over
//! the columns), and, from the few rows with a missing answer, how often each
//! item and each pair is missing and the other items' sums over those rows.
//! Pandas' pairwise covariance needs exactly the per-pair counts, sums and
//! products, and they follow from these totals by subtraction. Per dimension
//! a histogram of (answered items, sum of answers) gives the per-respondent
//! means and scores exactly. The CX index of each respondent (a weighted mean
//! of dimension scores) is added in fixed point, rounded to 2^-40 (about
//! 1e-12 of an index point), as a count, a sum and a sum of squares. Because
//! every total is an integer, `merge` is exact, associative and commutative,
//! and the state serializes (serde; the row buffer is flushed into the totals
//! first) to the same value however the rows were split.
//!
//! One million respondents x 12 items take about 20-25 ms on one core from
//! blocks, or about 45 ms row by row (benches/README.md).
//!
//! # Confidence level
//!
//! Every interval is a 95% interval; other levels are not offered yet.
//!
//! # Compatibility with pingouin
//!
//! [`Reliability`] reproduces `pingouin.cronbach_alpha` (0.7.0):
//! * pairwise alpha uses pandas `DataFrame.cov()`: each covariance over the
//!   rows where both items are present, each variance over the rows where the
//!   item is present;
//! * listwise alpha drops every row with a missing item in the scope;
//! * the Feldt interval `1 - (1 - alpha) F.isf(0.025 | 0.975, n - 1, (n - 1)(k - 1))`
//!   is **rounded to 3 decimals** (ties to even, as `np.round`), and **n is the
//!   number of all rows, before listwise deletion, including rows with no
//!   answer at all**. This is pingouin's behaviour, reproduced on purpose so
//!   that results agree; [`Reliability::feldt_n`] says which n was used;
//! * `n_rows_used` is, as in the reference outputs, the number of rows for
//!   pairwise (every row), and the complete rows for listwise.
//!
//! Deliberate differences from pingouin (it has no counterpart for these):
//! standardized alpha, item-rest correlations and alpha-if-deleted are all
//! computed from the same covariance matrix as alpha (so under pairwise
//! handling they are covariance-based estimates, not per-pair correlations).

mod accumulator;
mod block;
mod columns;
mod config;
mod reliability;
mod report;
mod state;

pub use accumulator::PyramidAccumulator;
pub use block::AnswerBlock;
pub use config::{MAX_DIMENSION_WEIGHT, MissingPolicy, PyramidConfig, PyramidSetup};
pub use report::{
    DimensionReport, DimensionScore, IndexSummary, ItemReliability, PyramidReport, Reliability,
    RespondentScore,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Accumulator;
    use crate::error::Error;
    use crate::model::Dimension;
    use crate::survey::{Instrument, Item, RespondentId, Response, Scale};
    use proptest::prelude::*;

    fn rows_strategy(k: usize) -> impl Strategy<Value = Vec<Vec<Option<i32>>>> {
        proptest::collection::vec(
            proptest::collection::vec(proptest::option::weighted(0.85, 1i32..=7), k),
            0..600,
        )
    }

    fn report_of(rows: &[Vec<Option<i32>>], cfg: &PyramidConfig) -> Option<PyramidReport> {
        let mut acc =
            PyramidAccumulator::new(&PyramidSetup::new(Instrument::orbe(), cfg.clone())).ok()?;
        for r in rows {
            acc.add_answers(r).ok()?;
        }
        acc.finish().ok()
    }

    fn close(a: Option<f64>, b: Option<f64>) -> bool {
        match (a, b) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * (1.0 + y.abs()),
            (None, None) => true,
            _ => false,
        }
    }

    fn same(a: &PyramidReport, b: &PyramidReport) -> bool {
        let dims = a
            .dimensions
            .iter()
            .zip(&b.dimensions)
            .all(|((da, x), (db, y))| {
                da == db
                    && x.n_answers == y.n_answers
                    && x.n_scored == y.n_scored
                    && close(x.mean_of_items, y.mean_of_items)
                    && close(x.mean_of_respondent_means, y.mean_of_respondent_means)
                    && close(x.score_0_100, y.score_0_100)
                    && close(x.reliability.alpha, y.reliability.alpha)
                    && x.reliability.ci_low == y.reliability.ci_low
            });
        dims && a.n_rows == b.n_rows
            && a.index.n == b.index.n
            && close(a.index.mean, b.index.mean)
            && close(a.index.sd, b.index.sd)
            && close(a.all_items.reliability.alpha, b.all_items.reliability.alpha)
            && a.weakest_foundation == b.weakest_foundation
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn scores_stay_in_0_100_and_nothing_panics(rows in proptest::collection::vec(
            proptest::collection::vec(proptest::option::of(-3i32..12), 0..14), 0..80)) {
            let mut acc = PyramidAccumulator::new(&PyramidSetup::default());
            if let Ok(acc) = acc.as_mut() {
                for r in &rows { let _ = acc.add_answers(r); }
                if let Ok(rep) = acc.clone().finish() {
                    for d in rep.dimensions.values() {
                        if let Some(s) = d.score_0_100 { prop_assert!((0.0..=100.0).contains(&s)); }
                        if let Some((lo, hi)) = d.score_ci { prop_assert!(lo <= hi); }
                    }
                    if let Some(i) = rep.index.mean { prop_assert!((-1e-9..=100.0 + 1e-9).contains(&i)); }
                    let _ = rep.to_string();
                }
            }
        }

        #[test]
        fn rescaling_is_monotone_and_bounded(min in -5i32..5, span in 1i32..14, a in 0.0f64..1.0, b in 0.0f64..1.0) {
            let s = Scale::new(min, min + span);
            prop_assert!(s.is_ok());
            if let Ok(s) = s {
                let lo = f64::from(min);
                let (x, y) = (lo + a * f64::from(span), lo + b * f64::from(span));
                if x <= y { prop_assert!(s.rescale(x) <= s.rescale(y)); }
                prop_assert!((-1e-9..=100.0 + 1e-9).contains(&s.rescale(x)));
            }
        }

        #[test]
        fn a_respondents_index_never_leaves_0_100(row in proptest::collection::vec(proptest::option::of(1i32..=7), 12)) {
            let acc = PyramidAccumulator::new(&PyramidSetup::default());
            let one = acc.and_then(|a| a.score_respondent(&row));
            prop_assert!(one.is_ok());
            if let Ok(one) = one {
                if let Some(i) = one.index { prop_assert!((-1e-9..=100.0 + 1e-9).contains(&i)); }
                for d in one.dimensions.values() {
                    if let Some(s) = d.score { prop_assert!((0.0..=100.0).contains(&s)); }
                }
            }
            let rep = report_of(&[row], &PyramidConfig::default());
            prop_assert!(rep.is_some());
            if let Some(rep) = rep {
                if let Some(i) = rep.index.mean { prop_assert!((-1e-9..=100.0 + 1e-9).contains(&i)); }
                for d in rep.dimensions.values() {
                    if let Some(s) = d.score_0_100 { prop_assert!((0.0..=100.0).contains(&s)); }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn blocks_score_like_rows(rows in rows_strategy(12), cut in 0usize..600) {
            let cfg = PyramidConfig::default();
            let whole = report_of(&rows, &cfg);
            let cut = cut.min(rows.len());
            let mut acc = PyramidAccumulator::new(&PyramidSetup::new(Instrument::orbe(), cfg)).ok();
            let mut b1 = AnswerBlock::new(Instrument::orbe());
            let mut b2 = AnswerBlock::new(Instrument::orbe());
            for (i, r) in rows.iter().enumerate() {
                if i < cut {
                    prop_assert!(b1.push(r).is_ok());
                } else if i < cut + 7 {
                    if let Some(a) = acc.as_mut() { prop_assert!(a.add_answers(r).is_ok()); }
                } else {
                    prop_assert!(b2.push(r).is_ok());
                }
            }
            // Rows out of order do not change the totals; add in any order.
            let rep = acc.and_then(|mut a| {
                a.add_block(&b2).ok()?;
                a.add_block(&b1).ok()?;
                a.finish().ok()
            });
            match (rep, whole) {
                (Some(r), Some(w)) => prop_assert!(same(&r, &w)),
                _ => prop_assert!(false, "scoring failed"),
            }
        }
    }

    #[test]
    fn reverse_coding_flips_answers() {
        let items = vec![
            Item::new("a", Dimension::Trust, "A"),
            Item::new("b", Dimension::Trust, "B").reversed(),
        ];
        let inst = Instrument::new("custom", Scale::likert5(), items);
        assert!(inst.is_ok());
        let Ok(inst) = inst else { return };
        let mut acc = PyramidAccumulator::new(&PyramidSetup::from(inst.clone()));
        let Ok(acc) = acc.as_mut() else { return };
        for (x, y) in [(5, 1), (4, 2), (2, 4)] {
            let r = Response::new(&inst, RespondentId(x as u64), &[Some(x), Some(y)]);
            assert!(r.is_ok_and(|r| acc.add(&r).is_ok()));
        }
        let rep = acc.clone().finish();
        assert!(rep.is_ok());
        let Ok(rep) = rep else { return };
        let tr = rep.dimensions.get(&Dimension::Trust);
        // After reverse coding both items agree perfectly: alpha = 1.
        assert!(tr.is_some_and(|t| close(t.reliability.alpha, Some(1.0))));
        assert!(tr.is_some_and(|t| close(t.mean_of_items, Some(11.0 / 3.0))));
    }

    #[test]
    fn weakest_foundation_scans_from_the_base() {
        // Fulfilment high, trust low, emotional connection low: trust is the weakest foundation.
        let orbe = Instrument::orbe();
        let mut acc = PyramidAccumulator::new(&PyramidSetup::new(
            orbe.clone(),
            PyramidConfig {
                gating: true,
                ..PyramidConfig::default()
            },
        ));
        let Ok(acc) = acc.as_mut() else { return };
        for id in 0..5u64 {
            let r = Response::from_pairs(
                &orbe,
                RespondentId(id),
                [
                    ("ful_1", 7),
                    ("ful_2", 6),
                    ("tr_1", 2),
                    ("tr_2", 3),
                    ("ec_1", 1),
                    ("ec_2", 2),
                    ("oe_1", 6),
                    ("oe_2", 7),
                    ("rsn_1", 6),
                ],
            );
            assert!(r.is_ok_and(|r| acc.add(&r).is_ok()));
        }
        let rep = acc.clone().finish();
        assert!(
            rep.as_ref()
                .is_ok_and(|r| r.weakest_foundation == Some(Dimension::Trust))
        );
        if let Ok(rep) = rep {
            assert!(rep.index.mean.is_some());
            assert!(
                rep.gated_index
                    .is_some_and(|g| g < rep.index.mean.unwrap_or(0.0))
            );
            assert!(rep.to_string().contains("weakest foundation: trust"));
        }
    }

    #[test]
    fn wrong_row_length_and_bad_config_are_errors() {
        let acc = PyramidAccumulator::new(&PyramidSetup::default());
        assert!(acc.is_ok_and(|mut a| a.add_answers(&[Some(1)]).is_err()));
        let bad = PyramidConfig {
            min_answered_share: 0.0,
            ..PyramidConfig::default()
        };
        assert!(PyramidAccumulator::new(&PyramidSetup::new(Instrument::orbe(), bad)).is_err());
        let mut a = PyramidAccumulator::new(&PyramidSetup::default());
        let b = PyramidAccumulator::new(&PyramidSetup::new(
            Instrument::orbe(),
            PyramidConfig {
                missing: MissingPolicy::Listwise,
                ..PyramidConfig::default()
            },
        ));
        if let (Ok(a), Ok(b)) = (a.as_mut(), b) {
            assert!(matches!(a.merge(b), Err(Error::Mismatch { .. })));
        }
    }
}
