//! Surveys: instruments and responses, the CX pyramid, and advocacy.
//!
//! - **Instrument** ([`Instrument`], [`Item`], [`Scale`], [`Response`],
//!   [`Responses`]): what was asked, on which scale, and who answered what.
//!   [`Instrument::orbe`] is the built-in ORBE scale in English and
//!   Indonesian.
//! - **Pyramid** ([`PyramidAccumulator`] -> [`PyramidReport`]): scores of the
//!   five CX dimensions in pyramid order, the CX index, the weakest
//!   foundation, and Cronbach's alpha as pingouin computes it; integer
//!   sufficient statistics, so merges are exact.
//! - **Advocacy** ([`AdvocacyAccumulator`] -> [`AdvocacyReport`]): NPS, CSAT
//!   and CES with 95% intervals, overall and by any breakdown key.
//!
//! Both accumulators implement the crate's one contract,
//! [`Accumulator`](crate::Accumulator): made from a config
//! ([`PyramidSetup`], [`AdvocacyConfig`]), fed one unit at a time (a
//! [`Response`], an [`AdvocacyAnswer`]), merged exactly, finished into a
//! report; their state serializes, so partial results cross threads,
//! processes and machines.
//!
//! Every item here is also re-exported at the crate root.

mod advocacy;
mod instrument;
mod pyramid;

pub use advocacy::{
    AdvocacyAccumulator, AdvocacyAnswer, AdvocacyConfig, AdvocacyReport, CesReport, CsatReport,
    GroupReport, NpsDifference, NpsReport, Reply,
};
pub use instrument::{
    Instrument, Item, Language, MAX_ITEMS, MAX_SCALE_POINTS, RespondentId, Response, Responses,
    Scale,
};
pub use pyramid::{
    AnswerBlock, DimensionReport, DimensionScore, IndexSummary, ItemReliability,
    MAX_DIMENSION_WEIGHT, MissingPolicy, PyramidAccumulator, PyramidConfig, PyramidReport,
    PyramidSetup, Reliability, RespondentScore,
};
