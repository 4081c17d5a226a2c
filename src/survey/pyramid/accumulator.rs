//! The accumulator: checks and codes answers, buffers them in columns and
//! adds their sufficient statistics to integer totals; merges exactly.

use indexmap::IndexMap;

use super::block::AnswerBlock;
use super::columns::{
    CH, Col, DimPlan, HIST_COPIES, Scope, ScopeSums, col_sum, dot, scope_listwise,
};
use super::config::{MissingPolicy, PyramidConfig, PyramidSetup};
use super::report::{DimensionScore, PyramidReport, RespondentScore};
use super::state::{IndexSums, index_code};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::model::Dimension;
use crate::survey::{Instrument, Response};

/// The accumulator behind [`PyramidReport`], on the crate's one contract
/// ([`Accumulator`]): made from a [`PyramidSetup`] (instrument and
/// configuration), fed one [`Response`] at a time, merged, finished into a
/// report.
///
/// Its state is integer sufficient statistics (sums, products, missing
/// counts, histograms, and the respondents' CX index in fixed point at
/// 2^-40), so merges are exact, associative and commutative, and the state
/// serializes (serde) to the same value for the same rows in any order or
/// split. Two fast paths feed the same totals: [`PyramidAccumulator::add_answers`]
/// (a row of answers, no [`Response`] built) and
/// [`PyramidAccumulator::add_block`] (rows checked and coded while a file was
/// read).
///
/// ```
/// use cxjourney::{Accumulator, Instrument, PyramidAccumulator, PyramidSetup, RespondentId, Response};
/// let orbe = Instrument::orbe();
/// let setup = PyramidSetup::default(); // ORBE, default scoring
/// let (mut a, mut b) = (PyramidAccumulator::new(&setup)?, PyramidAccumulator::new(&setup)?);
/// for (id, answer) in [(1, 7), (2, 4), (3, 1)] {
///     let part = if id < 3 { &mut a } else { &mut b };
///     part.add(&Response::new(&orbe, RespondentId(id), &[Some(answer); 12])?)?;
/// }
/// // States travel as JSON (or any serde format) and merge exactly.
/// let b: PyramidAccumulator = serde_json::from_str(&serde_json::to_string(&b)?)?;
/// a.merge(b)?;
/// let report = a.finish()?;
/// assert_eq!(report.n_rows, 3);
/// assert_eq!(report.index.mean, Some(50.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PyramidAccumulator {
    pub(super) instrument: Instrument,
    pub(super) config: PyramidConfig,
    pub(super) k: usize,
    pub(super) points: u8,
    pub(super) top_code: u8,
    pub(super) reverse: Vec<bool>,
    /// Per item: `code = offset + sign * answer` (reverse coding included).
    pub(super) coding: Vec<(i64, i64)>,
    /// The common offset when no item is reverse-coded (the fast path).
    pub(super) uniform_offset: Option<i64>,
    pub(super) dims: Vec<DimPlan>,
    pub(super) all_plan: DimPlan,
    pub(super) all: Scope,
    pub(super) required_dims: usize,
    // Buffer.
    pub(super) cols: Vec<Col>,
    /// Buffered rows with a missing answer, with the bit mask of missing items.
    pub(super) miss_rows: Vec<(usize, u64)>,
    pub(super) len: usize,
    // Totals.
    pub(super) n_rows: u64,
    /// Per item: the sum of codes over all rows (missing = 0).
    pub(super) sums: Vec<u64>,
    /// Per item: rows where it is missing.
    pub(super) miss1: Vec<u64>,
    /// `k x k`, `i < j`: rows where both are missing.
    pub(super) miss2: Vec<u64>,
    /// `k x k`: `sub[j * k + i]` = sum of item i's codes over rows where j is missing.
    pub(super) sub: Vec<u64>,
    /// `k x k`, `i <= j`: sum of products of codes (pairwise), or only the
    /// diagonal (listwise).
    pub(super) prod: Vec<u64>,
    pub(super) list_dims: Vec<ScopeSums>,
    pub(super) list_all: ScopeSums,
    pub(super) hist: Vec<Vec<u64>>,
    pub(super) hist_all: Vec<u64>,
    pub(super) inv_weight: Vec<f64>,
    /// Reused per-flush buffer of histogram cells, one column per dimension.
    pub(super) cells_buf: Vec<Col>,
    pub(super) top: Vec<u64>,
    pub(super) index: IndexSums,
}

impl Accumulator for PyramidAccumulator {
    type Config = PyramidSetup;
    type Unit<'a> = &'a Response;
    type Report = PyramidReport;

    /// An empty accumulator for the setup's instrument and configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the configuration is invalid or
    /// `top_box` is not below the number of answer points.
    fn new(setup: &PyramidSetup) -> Result<Self> {
        PyramidAccumulator::build(setup.instrument.clone(), setup.config.clone())
    }

    /// Adds one response (its answers are checked against the scale again:
    /// a response may have been built for another instrument).
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the response has another number of answers
    /// than the instrument has items, [`Error::AnswerOutOfRange`] for an
    /// answer off the scale (the response is then not added).
    fn add(&mut self, response: &Response) -> Result<()> {
        self.add_answers(response.answers())
    }

    /// Merges another accumulator of the same setup into this one; exact.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the instruments or configurations differ;
    /// [`Error::NumericFailure`] when the index sums would overflow (beyond
    /// 2^34 respondents).
    fn merge(&mut self, mut other: PyramidAccumulator) -> Result<()> {
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
        // Every total is at most the rows times a small constant, so capping
        // the rows of the merged state keeps every sum below overflow.
        let rows = self.n_rows.saturating_add(other.n_rows);
        if rows > super::state::MAX_ROWS {
            return Err(Error::TooMuchWork {
                what: "respondents in one merged pyramid state",
                limit: super::state::MAX_ROWS,
            });
        }
        self.n_rows = rows;
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
        let o = other.index;
        self.index.add(o.n, o.sum, o.sum_sq)
    }

    /// The report over everything added and merged.
    ///
    /// # Errors
    /// [`Error::NumericFailure`] if a quantile cannot be computed.
    fn finish(mut self) -> Result<PyramidReport> {
        self.flush()?;
        self.report()
    }
}

impl PyramidAccumulator {
    /// An empty accumulator (the body of [`Accumulator::new`]).
    pub(super) fn build(instrument: Instrument, config: PyramidConfig) -> Result<Self> {
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
            index: IndexSums::default(),
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

    /// Adds one row of answers in instrument order (`None` = missing), checking
    /// every answer against the scale: what [`Accumulator::add`] does with a
    /// [`Response`], without building one. A row with no answer at all still
    /// counts as a row (pingouin counts it too).
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
    /// use cxjourney::{Accumulator, Dimension, PyramidAccumulator, PyramidSetup};
    /// let acc = PyramidAccumulator::new(&PyramidSetup::default())?;
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
    pub(super) fn flush(&mut self) -> Result<()> {
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
        let mut rowv = [0u64; crate::survey::MAX_ITEMS];
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
        // Per row: the dimension histograms and the per-respondent index, in
        // fixed point (below 2^47 each, so 256 of them fit in a u64).
        let (mut nv, mut sum, mut sum_sq) = (0u64, 0u64, 0u128);
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
            // Branch-free: compute always, keep only when the row has an index.
            let inv = self.inv_weight.get(bits).copied().unwrap_or(0.0);
            let keep = u64::from(inv > 0.0);
            let q = index_code(acc * inv) * keep;
            nv += keep;
            sum += q;
            sum_sq += u128::from(q) * u128::from(q);
        }
        self.cells_buf = cells;
        self.index.add(nv, u128::from(sum), sum_sq)
    }
}
