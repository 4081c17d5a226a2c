//! How to score a pyramid survey: missing-answer handling, thresholds, weights.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Dimension;
use crate::model::names::named_enum;
use crate::survey::Instrument;

named_enum! {
    /// How missing answers are handled in reliability. Default: pairwise.
    #[derive(Default)]
    pub enum MissingPolicy: "missing policy" {
        /// Each covariance over the rows where both items are present
        /// (pingouin's default, pandas `DataFrame.cov()`).
        #[default]
        Pairwise = "pairwise",
        /// Only rows with every item of the scope present.
        Listwise = "listwise",
    }
}

/// The largest weight a dimension may have in the CX index (weights are
/// relative, so a bound loses nothing; it keeps every weighted sum finite).
pub const MAX_DIMENSION_WEIGHT: f64 = 1e6;

/// How to score a pyramid survey.
///
/// Deserializing checks every field ([`PyramidConfig::validate`]), so a
/// configuration read from JSON is as valid as one that passed `validate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedPyramidConfig")]
pub struct PyramidConfig {
    /// Missing-answer handling for reliability. Default
    /// [`MissingPolicy::Pairwise`], pingouin's default.
    pub missing: MissingPolicy,
    /// A respondent's dimension score needs at least this share of the
    /// dimension's items answered (rounded up). Default 0.5 ("at least half").
    pub min_answered_share: f64,
    /// The CX index needs at least this many dimension scores. Default 4 (of
    /// 5); capped at the number of dimensions the instrument has.
    pub min_dimensions: usize,
    /// The weight of each dimension in the CX index. Default: 1 for each
    /// (equal weights). A dimension left out weighs 1. Each weight is finite
    /// and in `0..=`[`MAX_DIMENSION_WEIGHT`].
    pub weights: IndexMap<Dimension, f64>,
    /// A dimension whose mean score (0-100) is below this is weak. Default
    /// 60, i.e. below "somewhat agree" on a 7-point scale (5 of 7 is 66.7).
    pub weakest_threshold: f64,
    /// When true, the reported gated index is capped by the weakest base
    /// dimension's score. Default false.
    pub gating: bool,
    /// How many of the top answer points count as "top box". Default 2
    /// (top-2-box: 6 and 7 on a 1-7 scale).
    pub top_box: u32,
}

/// [`PyramidConfig`] as read, before [`PyramidConfig::validate`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct UncheckedPyramidConfig {
    missing: MissingPolicy,
    min_answered_share: f64,
    min_dimensions: usize,
    weights: IndexMap<Dimension, f64>,
    weakest_threshold: f64,
    gating: bool,
    top_box: u32,
}

impl Default for UncheckedPyramidConfig {
    fn default() -> Self {
        let d = PyramidConfig::default();
        UncheckedPyramidConfig {
            missing: d.missing,
            min_answered_share: d.min_answered_share,
            min_dimensions: d.min_dimensions,
            weights: d.weights,
            weakest_threshold: d.weakest_threshold,
            gating: d.gating,
            top_box: d.top_box,
        }
    }
}

impl TryFrom<UncheckedPyramidConfig> for PyramidConfig {
    type Error = Error;
    fn try_from(u: UncheckedPyramidConfig) -> Result<PyramidConfig> {
        let c = PyramidConfig {
            missing: u.missing,
            min_answered_share: u.min_answered_share,
            min_dimensions: u.min_dimensions,
            weights: u.weights,
            weakest_threshold: u.weakest_threshold,
            gating: u.gating,
            top_box: u.top_box,
        };
        c.validate()?;
        Ok(c)
    }
}

impl Default for PyramidConfig {
    fn default() -> Self {
        PyramidConfig {
            missing: MissingPolicy::Pairwise,
            min_answered_share: 0.5,
            min_dimensions: 4,
            weights: Dimension::ALL.iter().map(|&d| (d, 1.0)).collect(),
            weakest_threshold: 60.0,
            gating: false,
            top_box: 2,
        }
    }
}

impl PyramidConfig {
    /// Checks every field: `min_answered_share` in (0, 1], `min_dimensions`
    /// 1 to 5, every weight finite and in `0..=`[`MAX_DIMENSION_WEIGHT`],
    /// `weakest_threshold` in 0..=100, `top_box` at least 1.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first field out of range and its
    /// value.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, value: String, reason| {
            Err(Error::InvalidConfig {
                field,
                value,
                reason,
            })
        };
        if !(self.min_answered_share > 0.0 && self.min_answered_share <= 1.0) {
            return bad(
                "min_answered_share",
                self.min_answered_share.to_string(),
                "must be in (0, 1]",
            );
        }
        if self.min_dimensions == 0 || self.min_dimensions > 5 {
            return bad(
                "min_dimensions",
                self.min_dimensions.to_string(),
                "must be 1 to 5",
            );
        }
        for (d, w) in &self.weights {
            if !(w.is_finite() && (0.0..=MAX_DIMENSION_WEIGHT).contains(w)) {
                return bad(
                    "weights",
                    format!("{d} = {w}"),
                    "weights must be finite and in 0..=1e6",
                );
            }
        }
        if !(0.0..=100.0).contains(&self.weakest_threshold) {
            return bad(
                "weakest_threshold",
                self.weakest_threshold.to_string(),
                "must be in 0..=100",
            );
        }
        if self.top_box == 0 {
            return bad("top_box", "0".into(), "must be at least 1");
        }
        Ok(())
    }

    pub(super) fn weight(&self, d: Dimension) -> f64 {
        self.weights.get(&d).copied().unwrap_or(1.0)
    }
}

/// What a [`PyramidAccumulator`](crate::PyramidAccumulator) is made from
/// (its [`Accumulator::Config`](crate::Accumulator::Config)): the instrument
/// that was asked and how to score it.
///
/// The two stay apart because they come from different places: the
/// instrument from the data (a file's columns, [`Responses::instrument`](crate::Responses::instrument)),
/// the scoring choices from the analyst. Accumulators merge only when both
/// are equal.
///
/// ```
/// use cxjourney::{Accumulator, Instrument, MissingPolicy, PyramidAccumulator, PyramidConfig, PyramidSetup};
/// // ORBE, scored with the defaults:
/// let a = PyramidAccumulator::new(&PyramidSetup::default())?;
/// assert_eq!(a.instrument(), &Instrument::orbe());
/// // Any instrument, any scoring:
/// let listwise = PyramidConfig { missing: MissingPolicy::Listwise, ..PyramidConfig::default() };
/// let b = PyramidAccumulator::new(&PyramidSetup::new(Instrument::orbe(), listwise))?;
/// assert_eq!(b.config().missing, MissingPolicy::Listwise);
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// Deserializing checks the configuration against the instrument
/// ([`PyramidSetup::validate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "UncheckedPyramidSetup")]
pub struct PyramidSetup {
    /// The instrument whose answers are scored.
    pub instrument: Instrument,
    /// How to score them (defaults when left out of a serialized setup).
    #[serde(default)]
    pub config: PyramidConfig,
}

/// [`PyramidSetup`] as read, before [`PyramidSetup::validate`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UncheckedPyramidSetup {
    instrument: Instrument,
    #[serde(default)]
    config: PyramidConfig,
}

impl TryFrom<UncheckedPyramidSetup> for PyramidSetup {
    type Error = Error;
    fn try_from(u: UncheckedPyramidSetup) -> Result<PyramidSetup> {
        let s = PyramidSetup::new(u.instrument, u.config);
        s.validate()?;
        Ok(s)
    }
}

impl PyramidSetup {
    /// Checks the configuration ([`PyramidConfig::validate`]) and that
    /// `top_box` is below the instrument's number of answer points.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the field and its value.
    pub fn validate(&self) -> Result<()> {
        self.config.validate()?;
        let points = self.instrument.scale().points();
        if i64::from(self.config.top_box) >= i64::from(points) {
            return Err(Error::InvalidConfig {
                field: "top_box",
                value: self.config.top_box.to_string(),
                reason: "must be below the number of answer points",
            });
        }
        Ok(())
    }

    /// The setup of `instrument` scored with `config`.
    #[must_use]
    pub fn new(instrument: Instrument, config: PyramidConfig) -> PyramidSetup {
        PyramidSetup { instrument, config }
    }
}

impl Default for PyramidSetup {
    /// The built-in ORBE instrument ([`Instrument::orbe`]) with the default
    /// [`PyramidConfig`].
    fn default() -> Self {
        PyramidSetup::new(Instrument::orbe(), PyramidConfig::default())
    }
}

impl From<Instrument> for PyramidSetup {
    /// `instrument` with the default [`PyramidConfig`].
    fn from(instrument: Instrument) -> Self {
        PyramidSetup::new(instrument, PyramidConfig::default())
    }
}
