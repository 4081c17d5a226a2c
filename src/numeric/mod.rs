//! Shared numeric building blocks, private to the crate: moments that merge,
//! t and F quantiles and the Wilson interval ([`stats`]), exact quantiles
//! ([`quantile`]) and the seeded generator ([`Rng`]).
//!
//! They are not this crate's public API. Where a type from here appears in a
//! public signature, the analysis that exposes it re-exports it (for example
//! `cxjourney::funnel::DurationSummary`), and `cxjourney::sample::Rng` is the
//! public name of the generator.
//!
//! Architecture invariant: nothing here imports an analysis, the substrate or
//! `sample`; only `crate::error`.

pub(crate) mod quantile;
pub(crate) mod stats;

mod rng;

pub use rng::Rng;
