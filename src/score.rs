//! Pyramid scoring: per-respondent dimension scores, the CX index, the
//! aggregate report with the weakest foundation, and reliability (Cronbach's
//! alpha and friends) — in one pass, with accumulators that merge.
//!
//! # How it scales
//!
//! [`PyramidAccumulator::add`] checks each respondent's answers and stores them
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
//! means and scores exactly. Because the totals are integers,
//! [`PyramidAccumulator::merge`] is exact, associative and commutative. The
//! only floating-point state is the CX index (mean and squared deviations,
//! merged with Chan's formula), which merges up to rounding.
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

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::names::named_enum;
use crate::stats::{Moments, f_isf, round3};
use crate::{Dimension, Error, Instrument, Layer, Response, Responses, Result};

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

/// How to score a pyramid survey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
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
    /// (equal weights). A dimension left out weighs 1.
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
    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first field out of range.
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
            if !(w.is_finite() && *w >= 0.0) {
                return bad(
                    "weights",
                    format!("{d} = {w}"),
                    "weights must be finite and >= 0",
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

    fn weight(&self, d: Dimension) -> f64 {
        self.weights.get(&d).copied().unwrap_or(1.0)
    }
}

const CH: usize = 256;
/// Copies of each (count, sum) histogram (a power of two).
const HIST_COPIES: usize = 4;
type Col = [u16; CH];

#[inline]
fn dot(a: &Col, b: &Col) -> u64 {
    // Codes are at most 15, so 256 products of at most 225 fit in u16.
    let mut acc: u16 = 0;
    for (x, y) in a.iter().zip(b.iter()) {
        acc = acc.wrapping_add(x.wrapping_mul(*y));
    }
    u64::from(acc)
}

#[inline]
fn col_sum(a: &Col) -> u64 {
    let mut acc: u16 = 0;
    for x in a {
        acc = acc.wrapping_add(*x);
    }
    u64::from(acc)
}

/// Integer sums for one item pair over the rows where both are present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct PairSums {
    n: u64,
    si: u64,
    sj: u64,
    p: u64,
}

/// Listwise sums for one scope (a dimension or the whole instrument).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ScopeSums {
    n: u64,
    s: Vec<u64>,
    p: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Scope {
    items: Vec<usize>,
    /// Upper-triangle pairs (a <= b) as positions into `items`.
    pairs: Vec<(usize, usize)>,
}

impl Scope {
    fn new(items: Vec<usize>) -> Scope {
        let mut pairs = Vec::new();
        for a in 0..items.len() {
            for b in a..items.len() {
                pairs.push((a, b));
            }
        }
        Scope { items, pairs }
    }
}

impl DimPlan {
    fn new(
        dimension: Option<Dimension>,
        items: Vec<usize>,
        points: u8,
        config: &PyramidConfig,
    ) -> DimPlan {
        let kd = items.len();
        let required = ((config.min_answered_share * kd as f64) - 1e-9)
            .ceil()
            .max(1.0) as usize;
        let stride = kd * usize::from(points) + 1;
        let mut table = vec![f64::NAN; (kd + 1) * stride];
        for cnt in required..=kd {
            for sum in cnt..=cnt * usize::from(points) {
                let mean_code = sum as f64 / cnt as f64;
                let score = 100.0 * (mean_code - 1.0) / f64::from(points - 1);
                if let Some(slot) = table.get_mut(cnt * stride + sum) {
                    *slot = score;
                }
            }
        }
        let weight = dimension.map_or(0.0, |d| config.weight(d));
        let contribution = table
            .iter()
            .map(|&t| {
                if t.is_nan() {
                    (0.0, 0)
                } else {
                    (weight * t, 1)
                }
            })
            .collect();
        DimPlan {
            dimension,
            scope: Scope::new(items),
            required,
            stride,
            table,
            contribution,
            weight,
        }
    }

    /// Per buffered row, the histogram cell `count * stride + sum` of its
    /// answered items (below 65,536: at most 64 items of at most 15 points).
    fn cells(&self, cols: &[Col], out: &mut Col) {
        // cell = count * stride + sum = sum over items of (stride + code), for
        // the answered items.
        let stride = u16::try_from(self.stride).unwrap_or(u16::MAX);
        *out = [0; CH];
        for &i in &self.scope.items {
            let Some(c) = cols.get(i) else {
                continue;
            };
            for (o, x) in out.iter_mut().zip(c.iter()) {
                let answered = u16::from(*x != 0);
                *o = o.wrapping_add(x.wrapping_add(answered.wrapping_mul(stride)));
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct DimPlan {
    /// `None` for the whole-instrument scope.
    dimension: Option<Dimension>,
    scope: Scope,
    /// Minimum answered items for a score.
    required: usize,
    /// `maxsum + 1`, the row stride of the histogram.
    stride: usize,
    /// Score per (count, sum) cell, NaN when too few items were answered.
    table: Vec<f64>,
    /// Per cell: (weight x score, this dimension's bit in the pattern of
    /// scored dimensions) when scored, zeros otherwise.
    contribution: Vec<(f64, usize)>,
    weight: f64,
}

/// The accumulator behind [`PyramidReport`]: add responses, merge partial
/// accumulators, finish into a report.
///
/// ```
/// use cxjourney::{Instrument, PyramidAccumulator, PyramidConfig, RespondentId, Response};
/// let orbe = Instrument::orbe();
/// let mut acc = PyramidAccumulator::new(orbe.clone(), PyramidConfig::default())?;
/// for (id, a) in [(1, 7), (2, 4), (3, 1)] {
///     acc.add(&Response::new(&orbe, RespondentId(id), &[Some(a); 12])?)?;
/// }
/// let report = acc.finish()?;
/// assert_eq!(report.n_rows, 3);
/// assert!((report.index.mean.unwrap_or(0.0) - 50.0).abs() < 1e-9);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PyramidAccumulator {
    instrument: Instrument,
    config: PyramidConfig,
    k: usize,
    points: u8,
    top_code: u8,
    reverse: Vec<bool>,
    /// Per item: `code = offset + sign * answer` (reverse coding included).
    coding: Vec<(i64, i64)>,
    /// The common offset when no item is reverse-coded (the fast path).
    uniform_offset: Option<i64>,
    dims: Vec<DimPlan>,
    all_plan: DimPlan,
    all: Scope,
    required_dims: usize,
    // Buffer.
    cols: Vec<Col>,
    /// Buffered rows with a missing answer, with the bit mask of missing items.
    miss_rows: Vec<(usize, u64)>,
    len: usize,
    // Totals.
    n_rows: u64,
    /// Per item: the sum of codes over all rows (missing = 0).
    sums: Vec<u64>,
    /// Per item: rows where it is missing.
    miss1: Vec<u64>,
    /// `k x k`, `i < j`: rows where both are missing.
    miss2: Vec<u64>,
    /// `k x k`: `sub[j * k + i]` = sum of item i's codes over rows where j is missing.
    sub: Vec<u64>,
    /// `k x k`, `i <= j`: sum of products of codes (pairwise), or only the
    /// diagonal (listwise).
    prod: Vec<u64>,
    list_dims: Vec<ScopeSums>,
    list_all: ScopeSums,
    hist: Vec<Vec<u64>>,
    hist_all: Vec<u64>,
    inv_weight: Vec<f64>,
    /// Reused per-flush buffer of histogram cells, one column per dimension.
    cells_buf: Vec<Col>,
    top: Vec<u64>,
    index: Moments,
}

impl PyramidAccumulator {
    /// An empty accumulator.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the configuration is invalid or
    /// `top_box` is not below the number of answer points.
    pub fn new(instrument: Instrument, config: PyramidConfig) -> Result<Self> {
        config.validate()?;
        let scale = instrument.scale();
        let points = u8::try_from(scale.points()).map_err(|_| Error::InvalidConfig {
            field: "scale",
            value: scale.points().to_string(),
            reason: "too many answer points",
        })?;
        if config.top_box >= u32::from(points) {
            return Err(Error::InvalidConfig {
                field: "top_box",
                value: config.top_box.to_string(),
                reason: "must be below the number of answer points",
            });
        }
        let top_code = points + 1 - u8::try_from(config.top_box).unwrap_or(1);
        let k = instrument.items().len();
        let reverse: Vec<bool> = instrument.items().iter().map(|i| i.reverse).collect();
        let (min, max) = (i64::from(scale.min()), i64::from(scale.max()));
        let coding = reverse
            .iter()
            .map(|&r| if r { (max + 1, -1) } else { (1 - min, 1) })
            .collect();
        let mut dims = Vec::new();
        for &d in Dimension::ALL {
            let items: Vec<usize> = instrument
                .items()
                .iter()
                .enumerate()
                .filter(|(_, i)| i.dimension == d)
                .map(|(p, _)| p)
                .collect();
            if items.is_empty() {
                continue;
            }
            dims.push(DimPlan::new(Some(d), items, points, &config));
        }
        for (d, plan) in dims.iter_mut().enumerate() {
            for c in &mut plan.contribution {
                c.1 <<= d;
            }
        }
        let required_dims = config.min_dimensions.min(dims.len());
        let all = Scope::new((0..k).collect());
        let list_dims = dims
            .iter()
            .map(|d| ScopeSums {
                n: 0,
                s: vec![0; d.scope.items.len()],
                p: vec![0; d.scope.pairs.len()],
            })
            .collect();
        let list_all = ScopeSums {
            n: 0,
            s: vec![0; k],
            p: vec![0; all.pairs.len()],
        };
        let hist = dims
            .iter()
            .map(|d| vec![0; HIST_COPIES * d.table.len()])
            .collect();
        let all_plan = DimPlan::new(None, (0..k).collect(), points, &config);
        // The whole-instrument histogram has many cells, rarely hit twice in
        // a row: one copy.
        let hist_all = vec![0; all_plan.table.len()];
        // Per pattern of scored dimensions (bit d = dims[d]): 1 / total weight,
        // or 0 when the pattern does not give an index.
        let inv_weight = (0..1usize << dims.len())
            .map(|bits| {
                let (n, w) = dims
                    .iter()
                    .enumerate()
                    .filter(|(d, _)| bits >> d & 1 == 1)
                    .fold((0usize, 0.0), |(n, w), (_, p)| (n + 1, w + p.weight));
                if n >= required_dims && w > 0.0 {
                    1.0 / w
                } else {
                    0.0
                }
            })
            .collect();
        Ok(PyramidAccumulator {
            k,
            points,
            top_code,
            uniform_offset: (!reverse.iter().any(|&r| r)).then_some(1 - i64::from(scale.min())),
            reverse,
            coding,
            all,
            required_dims,
            cols: vec![[0; CH]; k],
            miss_rows: Vec::with_capacity(CH),
            len: 0,
            n_rows: 0,
            sums: vec![0; k],
            miss1: vec![0; k],
            miss2: vec![0; k * k],
            sub: vec![0; k * k],
            prod: vec![0; k * k],
            list_dims,
            list_all,
            hist,
            hist_all,
            all_plan,
            inv_weight,
            cells_buf: Vec::new(),
            top: vec![0; k],
            index: Moments::default(),
            dims,
            instrument,
            config,
        })
    }

    /// The instrument.
    #[must_use]
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &PyramidConfig {
        &self.config
    }

    /// Adds one response.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the response has another number of answers
    /// than the instrument has items.
    pub fn add(&mut self, response: &Response) -> Result<()> {
        self.add_answers(response.answers())
    }

    /// Adds one row of answers in instrument order (`None` = missing), checking
    /// every answer against the scale. A row with no answer at all still counts
    /// as a row (pingouin counts it too).
    ///
    /// # Errors
    /// [`Error::Mismatch`] on a wrong number of answers,
    /// [`Error::AnswerOutOfRange`] for an answer off the scale (the row is
    /// then not added).
    pub fn add_answers<T: Copy + Into<i64>>(&mut self, answers: &[Option<T>]) -> Result<()> {
        if answers.len() != self.k {
            return Err(Error::Mismatch {
                expected: format!("{} answers ({})", self.k, self.instrument.name()),
                found: format!("{} answers", answers.len()),
            });
        }
        let points = u64::from(self.points);
        let row = self.len;
        let mut bad = false;
        let mut missing = 0u64;
        if let Some(offset) = self.uniform_offset {
            // No reverse-coded item: code = answer + offset for every item.
            for (i, (col, a)) in self.cols.iter_mut().zip(answers).enumerate() {
                // Branch-free: missing answers are frequent and unpredictable.
                let present = a.is_some();
                let c = a.map_or(0, Into::into).wrapping_add(offset);
                // Codes must be 1..=points.
                bad |= present & ((c.wrapping_sub(1) as u64) >= points);
                missing |= u64::from(!present) << (i & 63);
                if let Some(slot) = col.get_mut(row) {
                    *slot = if present { c as u16 } else { 0 };
                }
            }
        } else {
            for (i, ((col, a), &(offset, sign))) in self
                .cols
                .iter_mut()
                .zip(answers)
                .zip(&self.coding)
                .enumerate()
            {
                let present = a.is_some();
                let v: i64 = a.map_or(0, Into::into);
                let c = offset.wrapping_add(sign.wrapping_mul(v));
                bad |= present & ((c.wrapping_sub(1) as u64) >= points);
                missing |= u64::from(!present) << (i & 63);
                if let Some(slot) = col.get_mut(row) {
                    *slot = if present { c as u16 } else { 0 };
                }
            }
        }
        if bad {
            for col in &mut self.cols {
                if let Some(slot) = col.get_mut(row) {
                    *slot = 0;
                }
            }
            for (i, a) in answers.iter().enumerate() {
                if let Some(v) = a {
                    self.instrument.check_answer(i, (*v).into())?;
                }
            }
        }
        if missing != 0 {
            self.miss_rows.push((row, missing));
        }
        self.len += 1;
        if self.len == CH {
            self.flush()?;
        }
        Ok(())
    }

    /// Adds a block of answers that were checked and coded when the block was
    /// filled (see [`AnswerBlock`]): the fast way to score a large file, since
    /// only the kernels run here.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the block was built for another instrument.
    pub fn add_block(&mut self, block: &AnswerBlock) -> Result<()> {
        if block.instrument != self.instrument {
            return Err(Error::Mismatch {
                expected: format!("a block for instrument {:?}", self.instrument.name()),
                found: format!("a block for instrument {:?}", block.instrument.name()),
            });
        }
        self.flush()?;
        let mut left = block.rows;
        for (chunk, miss) in block.chunks.iter().zip(&block.miss) {
            let len = left.min(CH);
            self.kernels(chunk, miss, len)?;
            left -= len;
        }
        Ok(())
    }

    /// One respondent's scores: per dimension the mean answer (over answered
    /// items, after reverse coding) and the 0-100 score (when enough items are
    /// answered), and the CX index (when enough dimensions are scored).
    ///
    /// ```
    /// use cxjourney::{Dimension, Instrument, PyramidAccumulator, PyramidConfig};
    /// let acc = PyramidAccumulator::new(Instrument::orbe(), PyramidConfig::default())?;
    /// let mut row = [Some(7); 12];
    /// row[10] = Some(1); // ful_1
    /// row[11] = None;    // ful_2
    /// let s = acc.score_respondent(&row)?;
    /// assert_eq!(s.dimensions[&Dimension::Fulfilment].score, Some(0.0));
    /// assert_eq!(s.dimensions[&Dimension::Trust].score, Some(100.0));
    /// assert_eq!(s.index, Some(80.0));
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`PyramidAccumulator::add_answers`].
    pub fn score_respondent<T: Copy + Into<i64>>(
        &self,
        answers: &[Option<T>],
    ) -> Result<RespondentScore> {
        if answers.len() != self.k {
            return Err(Error::Mismatch {
                expected: format!("{} answers ({})", self.k, self.instrument.name()),
                found: format!("{} answers", answers.len()),
            });
        }
        let scale = self.instrument.scale();
        let mut dimensions = IndexMap::new();
        let (mut acc, mut w, mut present) = (0.0, 0.0, 0usize);
        for plan in &self.dims {
            let mut cnt = 0usize;
            let mut sum = 0i64;
            for &i in &plan.scope.items {
                if let Some(Some(v)) = answers.get(i) {
                    let v: i64 = (*v).into();
                    self.instrument.check_answer(i, v)?;
                    let v = if self.reverse.get(i).copied().unwrap_or(false) {
                        i64::from(scale.min()) + i64::from(scale.max()) - v
                    } else {
                        v
                    };
                    cnt += 1;
                    sum += v;
                }
            }
            let mean = (cnt > 0).then(|| sum as f64 / cnt as f64);
            let score = mean
                .filter(|_| cnt >= plan.required)
                .map(|m| scale.rescale(m));
            if let Some(sc) = score {
                acc += plan.weight * sc;
                w += plan.weight;
                present += 1;
            }
            if let Some(d) = plan.dimension {
                dimensions.insert(
                    d,
                    DimensionScore {
                        answered: cnt,
                        mean,
                        score,
                    },
                );
            }
        }
        let index = (present >= self.required_dims && w > 0.0).then(|| acc / w);
        Ok(RespondentScore { dimensions, index })
    }

    /// Runs the kernels over the buffered rows and clears the buffer.
    fn flush(&mut self) -> Result<()> {
        let len = self.len;
        if len == 0 {
            return Ok(());
        }
        let mut cols = std::mem::take(&mut self.cols);
        let mut miss = std::mem::take(&mut self.miss_rows);
        let done = self.kernels(&cols, &miss, len);
        cols.fill([0; CH]);
        miss.clear();
        self.cols = cols;
        self.miss_rows = miss;
        self.len = 0;
        done
    }

    /// Adds the sufficient statistics of `len` buffered rows (`cols` rows at
    /// and beyond `len` are all zero, i.e. missing).
    fn kernels(&mut self, cols: &[Col], miss_rows: &[(usize, u64)], len: usize) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        self.n_rows += len as u64;
        let k = self.k;
        // Sums and products over all rows (a missing answer is code 0).
        for (i, a) in cols.iter().enumerate() {
            if let Some(x) = self.sums.get_mut(i) {
                *x += col_sum(a);
            }
            let js = match self.config.missing {
                MissingPolicy::Pairwise => i..k,
                MissingPolicy::Listwise => i..i + 1,
            };
            for j in js {
                if let (Some(b), Some(x)) = (cols.get(j), self.prod.get_mut(i * k + j)) {
                    *x += dot(a, b);
                }
            }
        }
        // Corrections from the (few) rows with missing answers: counts of
        // missing items and pairs, and the sums of the other items over them.
        let mut rowv = [0u64; crate::MAX_ITEMS];
        for &(row, mask) in miss_rows {
            for (o, a) in rowv.iter_mut().zip(cols) {
                *o = a.get(row).map_or(0, |&v| u64::from(v));
            }
            let mut m = mask;
            while m != 0 {
                let j = m.trailing_zeros() as usize;
                m &= m - 1;
                if let Some(x) = self.miss1.get_mut(j) {
                    *x += 1;
                }
                let mut rest = m;
                while rest != 0 {
                    let j2 = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    if let Some(x) = self.miss2.get_mut(j * k + j2) {
                        *x += 1;
                    }
                }
                if let Some(sub) = self.sub.get_mut(j * k..j * k + k) {
                    for (x, v) in sub.iter_mut().zip(&rowv) {
                        *x += v;
                    }
                }
            }
        }
        // Top box.
        let top_code = u16::from(self.top_code);
        for (t, c) in self.top.iter_mut().zip(cols) {
            let mut acc: u16 = 0;
            for x in c {
                acc = acc.wrapping_add(u16::from(*x >= top_code));
            }
            *t += u64::from(acc);
        }
        // Listwise sums.
        if self.config.missing == MissingPolicy::Listwise {
            for (plan, sums) in self.dims.iter().zip(self.list_dims.iter_mut()) {
                scope_listwise(&plan.scope, cols, sums);
            }
            scope_listwise(&self.all, cols, &mut self.list_all);
        }
        // Per-dimension (count, sum) histograms and the per-respondent index.
        // Histograms: four interleaved copies, so that consecutive rows
        // hitting the same cell do not wait on each other.
        let mut all_cells = [0u16; CH];
        self.all_plan.cells(cols, &mut all_cells);
        for &cell in all_cells.iter().take(len) {
            if let Some(h) = self.hist_all.get_mut(usize::from(cell)) {
                *h += 1;
            }
        }
        let mut cells = std::mem::take(&mut self.cells_buf);
        cells.resize(self.dims.len(), [0; CH]);
        for (p, out) in self.dims.iter().zip(cells.iter_mut()) {
            p.cells(cols, out);
        }
        // Per row: the dimension histograms and the per-respondent index.
        let mut values = [0.0f64; CH];
        let mut nv = 0usize;
        for r in 0..len.min(CH) {
            let (mut acc, mut bits) = (0.0, 0usize);
            let copy = r & (HIST_COPIES - 1);
            for ((plan, c), hist) in self.dims.iter().zip(&cells).zip(self.hist.iter_mut()) {
                let cell = c.get(r).map_or(usize::MAX, |&x| usize::from(x));
                // Copies interleaved: cell-major, copy-minor.
                if let Some(h) = hist.get_mut(cell * HIST_COPIES + copy) {
                    *h += 1;
                }
                if let Some(&(ws, mask)) = plan.contribution.get(cell) {
                    acc += ws;
                    bits |= mask;
                }
            }
            // Branch-free: write always, keep only when the row has an index.
            let inv = self.inv_weight.get(bits).copied().unwrap_or(0.0);
            if let Some(slot) = values.get_mut(nv) {
                *slot = acc * inv;
            }
            nv += usize::from(inv > 0.0);
        }
        self.cells_buf = cells;
        let values = values.get(..nv).unwrap_or(&[]);
        let mut chunk = Moments::default();
        if nv > 0 {
            let mean = values.iter().sum::<f64>() / nv as f64;
            let m2: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
            chunk = Moments::from_parts(nv as u64, mean, m2);
        }
        self.index.merge(&chunk);
        Ok(())
    }

    /// Merges another accumulator (of the same instrument and configuration)
    /// into this one.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the instruments or configurations differ.
    pub fn merge(&mut self, mut other: PyramidAccumulator) -> Result<()> {
        if other.instrument != self.instrument || other.config != self.config {
            return Err(Error::Mismatch {
                expected: format!(
                    "instrument {:?} with the same configuration",
                    self.instrument.name()
                ),
                found: format!(
                    "instrument {:?} or another configuration",
                    other.instrument.name()
                ),
            });
        }
        self.flush()?;
        other.flush()?;
        self.n_rows += other.n_rows;
        for (a, b) in [
            (&mut self.sums, &other.sums),
            (&mut self.miss1, &other.miss1),
            (&mut self.miss2, &other.miss2),
            (&mut self.sub, &other.sub),
            (&mut self.prod, &other.prod),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self
            .list_dims
            .iter_mut()
            .chain(std::iter::once(&mut self.list_all))
            .zip(
                other
                    .list_dims
                    .iter()
                    .chain(std::iter::once(&other.list_all)),
            )
        {
            a.n += b.n;
            for (x, y) in a.s.iter_mut().zip(&b.s) {
                *x += y;
            }
            for (x, y) in a.p.iter_mut().zip(&b.p) {
                *x += y;
            }
        }
        for (a, b) in self.hist.iter_mut().zip(&other.hist) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (x, y) in self.hist_all.iter_mut().zip(&other.hist_all) {
            *x += y;
        }
        for (a, b) in self.top.iter_mut().zip(&other.top) {
            *a += b;
        }
        self.index.merge(&other.index);
        Ok(())
    }

    /// The report over everything added so far.
    ///
    /// # Errors
    /// [`Error::NumericFailure`] if a quantile cannot be computed.
    pub fn finish(&self) -> Result<PyramidReport> {
        let mut acc = self.clone();
        acc.flush()?;
        acc.report()
    }

    fn code_to_value(&self, code_mean: f64) -> f64 {
        code_mean - 1.0 + f64::from(self.instrument.scale().min())
    }

    fn covariance(&self, scope: &Scope, list: &ScopeSums) -> Vec<f64> {
        let kk = scope.items.len();
        let mut c = vec![f64::NAN; kk * kk];
        for (pos, &(a, b)) in scope.pairs.iter().enumerate() {
            let (Some(&i), Some(&j)) = (scope.items.get(a), scope.items.get(b)) else {
                continue;
            };
            let v = match self.config.missing {
                MissingPolicy::Pairwise => self
                    .pair(i, j)
                    .map_or(f64::NAN, |ps| cov_from(ps.n, ps.si, ps.sj, ps.p)),
                MissingPolicy::Listwise => {
                    let si = list.s.get(a).copied().unwrap_or(0);
                    let sj = list.s.get(b).copied().unwrap_or(0);
                    let p = list.p.get(pos).copied().unwrap_or(0);
                    cov_from(list.n, si, sj, p)
                }
            };
            if let Some(x) = c.get_mut(a * kk + b) {
                *x = v;
            }
            if let Some(x) = c.get_mut(b * kk + a) {
                *x = v;
            }
        }
        c
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
        if i == j {
            return Some(PairSums {
                n: self.n_rows - mi,
                si,
                sj: si,
                p,
            });
        }
        let sj = get(&self.sums, j)?;
        let mj = get(&self.miss1, j)?;
        let both = get(&self.miss2, i * k + j)?;
        Some(PairSums {
            n: self.n_rows + both - mi - mj,
            si: si - get(&self.sub, j * k + i)?,
            sj: sj - get(&self.sub, i * k + j)?,
            p,
        })
    }

    fn reliability(&self, scope: &Scope, list: &ScopeSums) -> Result<Reliability> {
        let kk = scope.items.len();
        let cov = self.covariance(scope, list);
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
            let item_rest = (kk >= 2).then(|| cov_rest / (var * var_rest).sqrt());
            let alpha_if_deleted = alpha_of(&cov, kk, &rest);
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
        let alpha = finite(alpha_of(&cov, kk, &all));
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
        let standardized = finite(rbar.map(|r| kf * r / (1.0 + (kf - 1.0) * r)));
        let spearman_brown = finite(if kk == 2 {
            rbar.map(|r| 2.0 * r / (1.0 + r))
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
        let respondent_means_ci = means.t_interval_95()?;
        let score_ci = scores.t_interval_95()?;
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

    fn report(&self) -> Result<PyramidReport> {
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
            if !s.is_empty() {
                layers.insert(layer, s.iter().sum::<f64>() / s.len() as f64);
            }
        }
        let index = IndexSummary {
            n: self.index.n(),
            mean: finite(self.index.mean()),
            sd: finite(self.index.sd()),
            ci: self.index.t_interval_95()?,
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

fn scope_listwise(scope: &Scope, cols: &[Col], sums: &mut ScopeSums) {
    let mut complete = [1u16; CH];
    for &i in &scope.items {
        if let Some(c) = cols.get(i) {
            for (o, x) in complete.iter_mut().zip(c) {
                *o &= u16::from(*x != 0);
            }
        }
    }
    // Rows in the buffer beyond its length are all-missing, so they are never
    // complete (an instrument has at least one item).
    sums.n += col_sum(&complete);
    let mut masked: Vec<Col> = Vec::with_capacity(scope.items.len());
    for &i in &scope.items {
        let mut m = [0u16; CH];
        if let Some(c) = cols.get(i) {
            for ((o, x), k) in m.iter_mut().zip(c).zip(&complete) {
                *o = x * k;
            }
        }
        masked.push(m);
    }
    for (s, m) in sums.s.iter_mut().zip(&masked) {
        *s += col_sum(m);
    }
    for (p, &(a, b)) in sums.p.iter_mut().zip(&scope.pairs) {
        if let (Some(x), Some(y)) = (masked.get(a), masked.get(b)) {
            *p += dot(x, y);
        }
    }
}

/// Sample covariance (ddof = 1) from integer sums, exact until the last division.
fn cov_from(n: u64, si: u64, sj: u64, p: u64) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    let num = i128::from(n) * i128::from(p) - i128::from(si) * i128::from(sj);
    let den = i128::from(n) * (i128::from(n) - 1);
    num as f64 / den as f64
}

/// Cronbach's alpha of the items `subset` of a `kk` x `kk` covariance matrix.
fn alpha_of(cov: &[f64], kk: usize, subset: &[usize]) -> Option<f64> {
    let k = subset.len();
    if k < 2 {
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

/// A columnar block of answers to one instrument, checked and coded as rows
/// are pushed; [`PyramidAccumulator::add_block`] then scores it with the
/// kernels alone. Filling blocks while reading a file and scoring them
/// afterwards (or on other threads, merging the accumulators) is the fastest
/// path for large data.
///
/// ```
/// use cxjourney::{AnswerBlock, Instrument, PyramidAccumulator, PyramidConfig};
/// let orbe = Instrument::orbe();
/// let mut block = AnswerBlock::new(orbe.clone());
/// block.push(&[Some(5u8); 12])?;
/// block.push(&[None::<u8>; 12])?;
/// assert!(block.push(&[Some(9u8); 12]).is_err());
/// assert_eq!(block.len(), 2);
/// let mut acc = PyramidAccumulator::new(orbe, PyramidConfig::default())?;
/// acc.add_block(&block)?;
/// assert_eq!(acc.finish()?.n_rows, 2);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerBlock {
    instrument: Instrument,
    points: u64,
    coding: Vec<(i64, i64)>,
    k: usize,
    /// Chunks of 256 rows, each one column per item (the kernels' layout).
    chunks: Vec<Vec<Col>>,
    /// Per chunk: rows with a missing answer and their masks.
    miss: Vec<Vec<(usize, u64)>>,
    rows: usize,
}

impl AnswerBlock {
    /// An empty block.
    #[must_use]
    pub fn new(instrument: Instrument) -> AnswerBlock {
        let scale = instrument.scale();
        let (min, max) = (i64::from(scale.min()), i64::from(scale.max()));
        let coding = instrument
            .items()
            .iter()
            .map(|i| {
                if i.reverse {
                    (max + 1, -1)
                } else {
                    (1 - min, 1)
                }
            })
            .collect();
        AnswerBlock {
            points: u64::try_from(scale.points()).unwrap_or(0),
            k: instrument.items().len(),
            chunks: Vec::new(),
            coding,
            miss: Vec::new(),
            rows: 0,
            instrument,
        }
    }

    /// Adds one row of answers in instrument order (`None` = missing).
    ///
    /// # Errors
    /// [`Error::Mismatch`] on a wrong number of answers,
    /// [`Error::AnswerOutOfRange`] for an answer off the scale (the row is
    /// then not added).
    pub fn push<T: Copy + Into<i64>>(&mut self, answers: &[Option<T>]) -> Result<()> {
        if answers.len() != self.k {
            return Err(Error::Mismatch {
                expected: format!("{} answers ({})", self.k, self.instrument.name()),
                found: format!("{} answers", answers.len()),
            });
        }
        let mut codes = [0u16; crate::MAX_ITEMS];
        let mut bad = false;
        let mut missing = 0u64;
        for (i, ((slot, a), &(offset, sign))) in
            codes.iter_mut().zip(answers).zip(&self.coding).enumerate()
        {
            let present = a.is_some();
            let c = offset.wrapping_add(sign.wrapping_mul(a.map_or(0, Into::into)));
            bad |= present & ((c.wrapping_sub(1) as u64) >= self.points);
            missing |= u64::from(!present) << (i & 63);
            *slot = if present { c as u16 } else { 0 };
        }
        if bad {
            for (i, a) in answers.iter().enumerate() {
                if let Some(v) = a {
                    self.instrument.check_answer(i, (*v).into())?;
                }
            }
        }
        let r = self.rows % CH;
        if r == 0 {
            self.chunks.push(vec![[0; CH]; self.k]);
            self.miss.push(Vec::new());
        }
        if let Some(chunk) = self.chunks.last_mut() {
            for (col, c) in chunk.iter_mut().zip(codes.iter()) {
                if let Some(slot) = col.get_mut(r) {
                    *slot = *c;
                }
            }
        }
        if missing != 0 {
            if let Some(m) = self.miss.last_mut() {
                m.push((r, missing));
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the block has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The instrument.
    #[must_use]
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }
}

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
    /// Scores a set of responses in one pass.
    ///
    /// # Errors
    /// As [`PyramidAccumulator::new`] and [`PyramidAccumulator::finish`].
    pub fn from_responses(responses: &Responses, config: &PyramidConfig) -> Result<PyramidReport> {
        let mut acc = PyramidAccumulator::new(responses.instrument().clone(), config.clone())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Item, RespondentId, Scale};
    use proptest::prelude::*;

    fn rows_strategy(k: usize) -> impl Strategy<Value = Vec<Vec<Option<i32>>>> {
        proptest::collection::vec(
            proptest::collection::vec(proptest::option::weighted(0.85, 1i32..=7), k),
            0..600,
        )
    }

    fn report_of(rows: &[Vec<Option<i32>>], cfg: &PyramidConfig) -> Option<PyramidReport> {
        let mut acc = PyramidAccumulator::new(Instrument::orbe(), cfg.clone()).ok()?;
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
        fn merge_equals_whole(rows in rows_strategy(12), cut in 0usize..600, listwise in any::<bool>()) {
            let cfg = PyramidConfig {
                missing: if listwise { MissingPolicy::Listwise } else { MissingPolicy::Pairwise },
                ..PyramidConfig::default()
            };
            let cut = cut.min(rows.len());
            let whole = report_of(&rows, &cfg);
            let mut a = PyramidAccumulator::new(Instrument::orbe(), cfg.clone()).ok();
            let mut b = a.clone();
            for (i, r) in rows.iter().enumerate() {
                let t = if i < cut { a.as_mut() } else { b.as_mut() };
                if let Some(t) = t { let _ = t.add_answers(r); }
            }
            if let (Some(a), Some(b), Some(whole)) = (a, b, whole) {
                let mut ab = a.clone();
                prop_assert!(ab.merge(b.clone()).is_ok());
                let mut ba = b;
                prop_assert!(ba.merge(a).is_ok());
                let (ab, ba) = (ab.finish(), ba.finish());
                prop_assert!(ab.as_ref().is_ok_and(|r| same(r, &whole)));
                prop_assert!(ba.as_ref().is_ok_and(|r| same(r, &whole)));
            } else {
                prop_assert!(false, "accumulators failed");
            }
        }

        #[test]
        fn scores_stay_in_0_100_and_nothing_panics(rows in proptest::collection::vec(
            proptest::collection::vec(proptest::option::of(-3i32..12), 0..14), 0..80)) {
            let mut acc = PyramidAccumulator::new(Instrument::orbe(), PyramidConfig::default());
            if let Ok(acc) = acc.as_mut() {
                for r in &rows { let _ = acc.add_answers(r); }
                if let Ok(rep) = acc.finish() {
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
            let acc = PyramidAccumulator::new(Instrument::orbe(), PyramidConfig::default());
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
            let mut acc = PyramidAccumulator::new(Instrument::orbe(), cfg).ok();
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
        let mut acc = PyramidAccumulator::new(inst.clone(), PyramidConfig::default());
        let Ok(acc) = acc.as_mut() else { return };
        for (x, y) in [(5, 1), (4, 2), (2, 4)] {
            let r = Response::new(&inst, RespondentId(x as u64), &[Some(x), Some(y)]);
            assert!(r.is_ok_and(|r| acc.add(&r).is_ok()));
        }
        let rep = acc.finish();
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
        let mut acc = PyramidAccumulator::new(
            orbe.clone(),
            PyramidConfig {
                gating: true,
                ..PyramidConfig::default()
            },
        );
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
        let rep = acc.finish();
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
        let acc = PyramidAccumulator::new(Instrument::orbe(), PyramidConfig::default());
        assert!(acc.is_ok_and(|mut a| a.add_answers(&[Some(1)]).is_err()));
        let bad = PyramidConfig {
            min_answered_share: 0.0,
            ..PyramidConfig::default()
        };
        assert!(PyramidAccumulator::new(Instrument::orbe(), bad).is_err());
        let mut a = PyramidAccumulator::new(Instrument::orbe(), PyramidConfig::default());
        let b = PyramidAccumulator::new(
            Instrument::orbe(),
            PyramidConfig {
                missing: MissingPolicy::Listwise,
                ..PyramidConfig::default()
            },
        );
        if let (Ok(a), Ok(b)) = (a.as_mut(), b) {
            assert!(matches!(a.merge(b), Err(Error::Mismatch { .. })));
        }
    }
}
