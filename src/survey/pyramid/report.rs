//! The pyramid report: per-respondent and per-dimension scores, reliability,
//! the CX index and the weakest foundation.

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::accumulator::PyramidAccumulator;
use super::config::{MissingPolicy, PyramidConfig, PyramidSetup};

use crate::analysis::Accumulator;
use crate::error::Result;
use crate::model::{Dimension, Layer};
use crate::survey::Responses;

/// One respondent's score in one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DimensionScore {
    /// Items answered.
    pub answered: usize,
    /// Mean answer over the answered items (`None` when none was answered).
    pub mean: Option<f64>,
    /// The mean rescaled to 0-100, when enough items were answered.
    pub score: Option<f64>,
}

/// One respondent's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RespondentScore {
    /// Per dimension, in pyramid order.
    pub dimensions: IndexMap<Dimension, DimensionScore>,
    /// The CX index, 0-100, when enough dimensions were scored.
    pub index: Option<f64>,
}

/// Reliability of one scope (a dimension, or the whole instrument).
/// See the module docs for what matches pingouin and what is this crate's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reliability {
    /// How missing answers were handled.
    pub policy: MissingPolicy,
    /// Number of items.
    pub n_items: usize,
    /// Number of rows (respondents), including rows with no answer.
    pub n_rows_total: u64,
    /// Rows used: every row for pairwise, complete rows for listwise.
    pub n_rows_used: u64,
    /// The n of the Feldt interval: all rows, as pingouin does (its quirk).
    pub feldt_n: u64,
    /// Cronbach's alpha; `None` with fewer than two items or an undefined
    /// item variance. Pairs answered together by fewer than two respondents
    /// drop out of the covariance total, as in pingouin (pandas skips NaN).
    pub alpha: Option<f64>,
    /// Standardized alpha, `k r / (1 + (k - 1) r)` with `r` the mean
    /// inter-item correlation.
    pub standardized_alpha: Option<f64>,
    /// Lower end of the Feldt 95% interval, rounded to 3 decimals (pingouin).
    pub ci_low: Option<f64>,
    /// Upper end of the Feldt 95% interval, rounded to 3 decimals (pingouin).
    pub ci_high: Option<f64>,
    /// Spearman-Brown reliability `2r / (1 + r)`, for two-item scopes only.
    pub spearman_brown: Option<f64>,
    /// Per item: n, mean, sd, item-rest correlation, alpha if deleted.
    pub items: IndexMap<String, ItemReliability>,
}

/// One item's statistics within a reliability scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemReliability {
    /// Answers used.
    pub n: u64,
    /// Mean answer (after reverse coding).
    pub mean: Option<f64>,
    /// Standard deviation (ddof = 1).
    pub sd: Option<f64>,
    /// Correlation of the item with the sum of the other items of the scope.
    pub item_rest_correlation: Option<f64>,
    /// Alpha of the scope without this item (`None` when one item would remain).
    pub alpha_if_deleted: Option<f64>,
}

/// One dimension of the aggregate report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionReport {
    /// The pyramid layer (`None` for the whole-instrument scope).
    pub layer: Option<Layer>,
    /// The item ids.
    pub items: Vec<String>,
    /// Answers given to the dimension's items.
    pub n_answers: u64,
    /// Respondents with at least one answer in the dimension.
    pub n_respondents_with_any: u64,
    /// Mean of all answers, pooled over items (on the answer scale).
    pub mean_of_items: Option<f64>,
    /// Mean of the per-respondent means, over respondents with any answer.
    pub mean_of_respondent_means: Option<f64>,
    /// Standard deviation of the per-respondent means.
    pub sd_of_respondent_means: Option<f64>,
    /// 95% t-interval of the mean of respondent means.
    pub respondent_means_ci: Option<(f64, f64)>,
    /// Respondents with a score (enough items answered).
    pub n_scored: u64,
    /// Mean respondent score, 0-100.
    pub score_0_100: Option<f64>,
    /// Standard deviation of respondent scores.
    pub score_sd: Option<f64>,
    /// 95% t-interval of the mean score.
    pub score_ci: Option<(f64, f64)>,
    /// Share of answers in the top box (top-2 by default).
    pub top_box_share: Option<f64>,
    /// Reliability of the dimension's items.
    pub reliability: Reliability,
}

/// The CX index: weighted mean of a respondent's dimension scores, 0-100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexSummary {
    /// Respondents with an index (enough dimensions scored).
    pub n: u64,
    /// Mean index.
    pub mean: Option<f64>,
    /// Standard deviation.
    pub sd: Option<f64>,
    /// 95% t-interval of the mean.
    pub ci: Option<(f64, f64)>,
}

/// The aggregate pyramid report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PyramidReport {
    /// The instrument's name.
    pub instrument: String,
    /// Missing-answer policy used for reliability.
    pub missing: MissingPolicy,
    /// Rows (respondents), including those without any answer.
    pub n_rows: u64,
    /// Per dimension, in pyramid order from the base.
    pub dimensions: IndexMap<Dimension, DimensionReport>,
    /// Mean dimension score per layer, from the base.
    pub layers: IndexMap<Layer, f64>,
    /// The CX index.
    pub index: IndexSummary,
    /// The lowest dimension (scanning from the base up) whose score is below
    /// the threshold: a weak base undermines what stands on it.
    pub weakest_foundation: Option<Dimension>,
    /// The threshold used.
    pub weakest_threshold: f64,
    /// With gating on: the index capped by the lowest base-layer score.
    pub gated_index: Option<f64>,
    /// All items together as one scope (pingouin's `all12` for ORBE): pooled
    /// means, per-respondent means over every answered item, and reliability.
    pub all_items: DimensionReport,
}

impl PyramidReport {
    /// Scores a set of responses (to their instrument) in one pass.
    ///
    /// # Errors
    /// As [`Accumulator::new`] and [`Accumulator::finish`] of
    /// [`PyramidAccumulator`].
    pub fn from_responses(responses: &Responses, config: &PyramidConfig) -> Result<PyramidReport> {
        let setup = PyramidSetup::new(responses.instrument().clone(), config.clone());
        let mut acc = PyramidAccumulator::new(&setup)?;
        for r in responses.responses() {
            acc.add(r)?;
        }
        acc.finish()
    }
}

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
}

impl fmt::Display for PyramidReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "CX pyramid ({}, {} respondents, {} missing answers)",
            self.instrument, self.n_rows, self.missing
        )?;
        writeln!(
            f,
            "{:<22} {:>7} {:>6} {:>7} {:>6} {:>6}",
            "dimension (top first)", "score", "n", "mean", "top2", "alpha"
        )?;
        for (d, r) in self.dimensions.iter().rev() {
            let mark = if Some(*d) == self.weakest_foundation {
                " <- weakest foundation"
            } else {
                ""
            };
            writeln!(
                f,
                "{:<22} {:>7} {:>6} {:>7} {:>6} {:>6}{mark}",
                d.to_string(),
                opt(r.score_0_100, 1),
                r.n_scored,
                opt(r.mean_of_respondent_means, 2),
                opt(r.top_box_share.map(|s| 100.0 * s), 0),
                opt(r.reliability.alpha, 2),
            )?;
        }
        let ci = self
            .index
            .ci
            .map_or_else(String::new, |(a, b)| format!(" (95% CI {a:.1} to {b:.1})"));
        writeln!(
            f,
            "CX index {}{ci}, n = {}",
            opt(self.index.mean, 1),
            self.index.n
        )?;
        if let Some(g) = self.gated_index {
            writeln!(f, "gated index {g:.1}")?;
        }
        match self.weakest_foundation {
            Some(d) => writeln!(
                f,
                "weakest foundation: {d} (below {:.0}); fix it before the layers above",
                self.weakest_threshold
            )?,
            None => writeln!(f, "no layer below {:.0}", self.weakest_threshold)?,
        }
        write!(
            f,
            "reliability of all {} items: alpha {} (95% CI {} to {})",
            self.all_items.reliability.n_items,
            opt(self.all_items.reliability.alpha, 3),
            opt(self.all_items.reliability.ci_low, 3),
            opt(self.all_items.reliability.ci_high, 3)
        )
    }
}
