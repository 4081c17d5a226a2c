//! Columnar blocks of answers, filled while a file is read.

use super::columns::{CH, Col};

use crate::error::{Error, Result};
use crate::survey::Instrument;

/// A columnar block of answers to one instrument, checked and coded as rows
/// are pushed; [`PyramidAccumulator::add_block`](crate::PyramidAccumulator::add_block) then scores it with the
/// kernels alone. Filling blocks while reading a file and scoring them
/// afterwards (or on other threads, merging the accumulators) is the fastest
/// path for large data.
///
/// ```
/// use cxjourney::{Accumulator, AnswerBlock, Instrument, PyramidAccumulator, PyramidSetup};
/// let orbe = Instrument::orbe();
/// let mut block = AnswerBlock::new(orbe.clone());
/// block.push(&[Some(5u8); 12])?;
/// block.push(&[None::<u8>; 12])?;
/// assert!(block.push(&[Some(9u8); 12]).is_err());
/// assert_eq!(block.len(), 2);
/// let mut acc = PyramidAccumulator::new(&PyramidSetup::from(orbe))?;
/// acc.add_block(&block)?;
/// assert_eq!(acc.finish()?.n_rows, 2);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerBlock {
    pub(super) instrument: Instrument,
    pub(super) points: u64,
    pub(super) coding: Vec<(i64, i64)>,
    pub(super) k: usize,
    /// Chunks of 256 rows, each one column per item (the kernels' layout).
    pub(super) chunks: Vec<Vec<Col>>,
    /// Per chunk: rows with a missing answer and their masks.
    pub(super) miss: Vec<Vec<(usize, u64)>>,
    pub(super) rows: usize,
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
        let mut codes = [0u16; crate::survey::MAX_ITEMS];
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
