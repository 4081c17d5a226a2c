//! The Markov-chain model, order 1 to 4, solved exactly.
//!
//! The chain is ChannelAttribution's (see [`Markov`]); where
//! ChannelAttribution estimates removal effects by simulating random walks,
//! this module solves the absorbing chain's linear systems, so the result
//! is exact (to 1e-13, proven, see below) and the same on every run.

mod bootstrap;
mod chain;
mod solve;

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use bootstrap::{Bootstrap, Interval, MAX_REPLICATES, MarkovInterval};

use crate::attribution::credit::{Credit, Credits, Model, named};
use crate::attribution::paths::PathSet;
use crate::error::{Error, Result};

pub(crate) use chain::Chain;
pub(crate) use solve::{Effects, Solver};

/// The highest supported order.
pub const MAX_ORDER: u8 = 4;

/// The default cap on the chain's states ([`Markov::max_states`]).
pub const DEFAULT_MAX_STATES: usize = 50_000;

/// The Markov-chain model: each channel's credit is its removal effect,
/// the share of conversions lost when the channel is taken out of the
/// journeys, normalised over the channels.
///
/// The chain is built as ChannelAttribution builds it:
///
/// 1. The states of a path are its sliding windows of `order` channels; a
///    path of at most `order` channels is one state, the whole path.
/// 2. Consecutive identical states are collapsed (for order 1,
///    `a > a > b` is `a > b`: there are no self-transitions); repeats that
///    are not consecutive stay.
/// 3. `(start) -> s1` and each `s_i -> s_{i+1}` weigh the path's
///    conversions plus non-conversions; `s_last -> (conversion)` its
///    conversions and `s_last -> (null)` its non-conversions.
///    Probabilities are the weights normalised per state.
///
/// The removal effect of channel `c` is
/// `RE_c = 1 - P(conversion | every state containing c leads to (null)) / P(conversion)`,
/// and `c` is credited `RE_c / sum_j RE_j` of the conversions. Value is
/// credited as ChannelAttribution's simulation does in expectation: a
/// conversion is worth the mean value per conversion of the paths that end
/// in the walk's last state `s`, `m_s`, so with `N` the expected visits from
/// `(start)`, `W_c = sum_s m_s p(s -> conversion) (N_s - N_s^{-c})` and `c`
/// gets `W_c / sum_j W_j` of the value.
///
/// Both probabilities come from solving the absorbing chain (the expected
/// visits `N`), not from simulation: directly for up to 256 states, and
/// iteratively with a proven error bound above (see
/// [`MarkovResult::error_bound`]). The tests check the reference set's
/// exact removal effects to 1e-9, and ChannelAttribution's simulated ones
/// within their simulation error.
///
/// ```
/// use cxjourney::attribution::{Markov, PathSet};
/// let mut paths = PathSet::new();
/// paths.add(&["search", "email"], 30, 3_000.0, 70)?;
/// paths.add(&["email"], 10, 500.0, 90)?;
/// let result = Markov::order(1).solve(&paths)?;
/// assert!((result.conversion_probability - 0.2).abs() < 1e-15);
/// // Without email no walk converts; without search only half as many do.
/// assert!((result.channels["email"].removal_effect - 1.0).abs() < 1e-12);
/// let total: f64 = result.channels.values().map(|c| c.conversions).sum();
/// assert!((total - 40.0).abs() < 1e-12);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedMarkov")]
pub struct Markov {
    /// The chain's order, 1 to [`MAX_ORDER`] (default 1).
    pub order: u8,
    /// The most states the chain may have (default
    /// [`DEFAULT_MAX_STATES`]); more is [`Error::TooMuchWork`]. An order-`k`
    /// chain of `n` channels has up to `n + n^2 + ... + n^k` states.
    pub max_states: usize,
}

impl Default for Markov {
    fn default() -> Self {
        Markov {
            order: 1,
            max_states: DEFAULT_MAX_STATES,
        }
    }
}

/// The serialized form of [`Markov`], validated when read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct UncheckedMarkov {
    order: u8,
    max_states: usize,
}

impl Default for UncheckedMarkov {
    fn default() -> Self {
        let m = Markov::default();
        UncheckedMarkov {
            order: m.order,
            max_states: m.max_states,
        }
    }
}

impl TryFrom<UncheckedMarkov> for Markov {
    type Error = Error;

    fn try_from(u: UncheckedMarkov) -> Result<Markov> {
        let m = Markov {
            order: u.order,
            max_states: u.max_states,
        };
        m.validate()?;
        Ok(m)
    }
}

/// One channel's Markov credit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MarkovCredit {
    /// The share of conversions lost without the channel.
    pub removal_effect: f64,
    /// The share of the expected conversion value lost without the channel.
    pub removal_effect_value: f64,
    /// Conversions credited (removal effects normalised over channels).
    pub conversions: f64,
    /// Value credited.
    pub value: f64,
}

/// The Markov model's result: removal effects and credits per channel,
/// the conversion probability and the chain itself.
#[derive(Debug, Clone, Serialize)]
pub struct MarkovResult {
    /// The chain's order.
    pub order: u8,
    /// The number of channel states.
    pub states: usize,
    /// P(conversion) from `(start)`; always the converting share of the
    /// journeys, `conversions / (conversions + nulls)`.
    pub conversion_probability: f64,
    /// The expected conversion value of one journey from `(start)`
    /// (`sum_s m_s p(s -> conversion) N_s`; the total value over the
    /// journeys).
    pub value_per_journey: f64,
    /// Every channel's removal effects and credit, by channel name.
    pub channels: IndexMap<String, MarkovCredit>,
    /// The proven bound on the relative error of the removal effects when
    /// the chain was solved iteratively; 0 when it was solved directly
    /// (Gaussian elimination, exact to rounding).
    pub error_bound: f64,
    #[serde(skip)]
    chain: Chain,
}

/// A state of the chain in [`MarkovResult::transition_matrix`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum State {
    /// Where every walk starts.
    Start,
    /// Absorbing: the journey converted.
    Conversion,
    /// Absorbing: the journey ended without converting.
    Null,
    /// A window of channels.
    Channels(Vec<String>),
}

impl fmt::Display for State {
    /// `(start)`, `(conversion)`, `(null)`, or the channels joined by `,`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Start => f.write_str("(start)"),
            State::Conversion => f.write_str("(conversion)"),
            State::Null => f.write_str("(null)"),
            State::Channels(c) => f.write_str(&c.join(",")),
        }
    }
}

impl Serialize for State {
    /// Special states as their names (`"(start)"`), channel states as an
    /// array of channel names.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            State::Channels(c) => c.serialize(s),
            other => s.collect_str(other),
        }
    }
}

/// One row of the transition matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// The state left.
    pub from: State,
    /// The state entered.
    pub to: State,
    /// The transition's probability.
    pub probability: f64,
}

impl Markov {
    /// The model of order `order` (checked when it runs: 1 to
    /// [`MAX_ORDER`]), with the default state cap.
    #[must_use]
    pub fn order(order: u8) -> Markov {
        Markov {
            order,
            ..Markov::default()
        }
    }

    /// The same model with another cap on the chain's states.
    #[must_use]
    pub fn with_max_states(self, max_states: usize) -> Markov {
        Markov { max_states, ..self }
    }

    /// Checks the order and the cap.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an order outside 1 to [`MAX_ORDER`] or a
    /// cap of 0 states.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_ORDER).contains(&self.order) {
            return Err(Error::InvalidConfig {
                field: "markov.order",
                value: self.order.to_string(),
                reason: "the Markov order must be 1, 2, 3 or 4",
            });
        }
        if self.max_states == 0 {
            return Err(Error::InvalidConfig {
                field: "markov.max_states",
                value: "0".to_owned(),
                reason: "the chain needs room for at least one state",
            });
        }
        Ok(())
    }

    /// Builds and solves the chain: removal effects, credits, the
    /// conversion probability.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] as [`Markov::validate`];
    /// [`Error::TooMuchWork`] when the chain would have more than
    /// [`Markov::max_states`] states, the path set more than 65,534
    /// channels, or the chain's walks are too long to solve within the work
    /// budget (near-closed loops of channels in a chain of more than 2,048
    /// states); [`Error::NumericFailure`] when the chain cannot be solved
    /// (a state whose walks never end, which valid paths never produce).
    pub fn solve(&self, paths: &PathSet) -> Result<MarkovResult> {
        self.solve_with(paths, Solver::Auto)
    }

    pub(crate) fn solve_with(&self, paths: &PathSet, solver: Solver) -> Result<MarkovResult> {
        self.validate()?;
        let chain = Chain::build(paths, usize::from(self.order), self.max_states, false)?;
        let effects = solve::effects(&chain, solver)?;
        let channels = credits(
            paths,
            &effects,
            paths.total_conversions() as f64,
            paths.total_value(),
        );
        Ok(MarkovResult {
            order: self.order,
            states: chain.len(),
            conversion_probability: effects.conversion_probability,
            value_per_journey: effects.value_flow,
            channels,
            error_bound: match effects.method {
                solve::Method::Direct => 0.0,
                solve::Method::Iterative { bound } => bound,
            },
            chain,
        })
    }
}

/// Credits from removal effects: conversions and value normalised over the
/// channels.
fn credits(
    paths: &PathSet,
    e: &Effects,
    total_conversions: f64,
    total_value: f64,
) -> IndexMap<String, MarkovCredit> {
    // Summed in the order of the channel names, so the result does not
    // depend on the order the channels were first seen in.
    let by_name = paths.ids_by_name();
    let at = |v: &[f64], c: u32| v.get(c as usize).copied().unwrap_or(0.0);
    let sum_re: f64 = by_name.iter().map(|&c| at(&e.removal, c)).sum();
    let sum_rv: f64 = by_name.iter().map(|&c| at(&e.removal_value, c)).sum();
    named(paths, |c| {
        let re = e.removal.get(c as usize).copied().unwrap_or(0.0);
        let rv = e.removal_value.get(c as usize).copied().unwrap_or(0.0);
        MarkovCredit {
            removal_effect: re,
            removal_effect_value: rv,
            conversions: if sum_re > 0.0 {
                re / sum_re * total_conversions
            } else {
                0.0
            },
            value: if sum_rv > 0.0 {
                rv / sum_rv * total_value
            } else {
                0.0
            },
        }
    })
}

impl MarkovResult {
    /// The credits alone.
    #[must_use]
    pub fn credits(&self) -> Credits {
        self.channels
            .iter()
            .map(|(name, m)| {
                (
                    name.clone(),
                    Credit {
                        conversions: m.conversions,
                        value: m.value,
                    },
                )
            })
            .collect()
    }

    /// The transition matrix: `(start)` to each first state, then each
    /// state's transitions (states in canonical order: their channel names
    /// compared in turn), each row's probabilities adding up to 1.
    #[must_use]
    pub fn transition_matrix(&self) -> Vec<Transition> {
        let chain = &self.chain;
        let state = |s: usize| {
            State::Channels(
                chain
                    .state(s)
                    .iter()
                    .map(|&c| chain.names.get(c as usize).cloned().unwrap_or_default())
                    .collect(),
            )
        };
        let mut out = Vec::new();
        let total_start: f64 = chain.start_w.iter().sum();
        for (s, &w) in chain.start_w.iter().enumerate() {
            if w > 0.0 {
                out.push(Transition {
                    from: State::Start,
                    to: state(s),
                    probability: w / total_start,
                });
            }
        }
        for s in 0..chain.len() {
            let conv = chain.conv_w.get(s).copied().unwrap_or(0.0);
            let null = chain.null_w.get(s).copied().unwrap_or(0.0);
            let total: f64 = chain.out(s).map(|(_, _, w)| w).sum::<f64>() + conv + null;
            if total <= 0.0 {
                continue;
            }
            for (_, to, w) in chain.out(s) {
                if w > 0.0 {
                    out.push(Transition {
                        from: state(s),
                        to: state(to as usize),
                        probability: w / total,
                    });
                }
            }
            for (to, w) in [(State::Conversion, conv), (State::Null, null)] {
                if w > 0.0 {
                    out.push(Transition {
                        from: state(s),
                        to,
                        probability: w / total,
                    });
                }
            }
        }
        out
    }
}

impl Model for Markov {
    fn name(&self) -> &'static str {
        "markov"
    }

    /// The credits of [`Markov::solve`].
    fn attribute(&self, paths: &PathSet) -> Result<Credits> {
        Ok(self.solve(paths)?.credits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_caps_are_checked() {
        let mut paths = PathSet::new();
        paths.add(&["a", "b", "c"], 1, 1.0, 1).unwrap();
        assert!(matches!(
            Markov::order(0).solve(&paths),
            Err(Error::InvalidConfig { .. })
        ));
        assert!(matches!(
            Markov::order(5).solve(&paths),
            Err(Error::InvalidConfig { .. })
        ));
        assert!(matches!(
            Markov::order(1).with_max_states(0).solve(&paths),
            Err(Error::InvalidConfig { .. })
        ));
        assert!(matches!(
            Markov::order(1).with_max_states(2).solve(&paths),
            Err(Error::TooMuchWork { .. })
        ));
        for k in 1..=4 {
            let r = Markov::order(k).solve(&paths).unwrap();
            assert!((r.conversion_probability - 0.5).abs() < 1e-15);
        }
    }

    #[test]
    fn no_conversions_gives_zero_credit() {
        let mut paths = PathSet::new();
        paths.add(&["a", "b"], 0, 0.0, 4).unwrap();
        let r = Markov::order(2).solve(&paths).unwrap();
        assert_eq!(r.conversion_probability, 0.0);
        assert!(r.channels.values().all(|c| *c == MarkovCredit::default()));
        let empty = Markov::order(1).solve(&PathSet::new()).unwrap();
        assert!(empty.channels.is_empty());
        assert!(empty.transition_matrix().is_empty());
    }

    #[test]
    fn transition_rows_sum_to_one() {
        let mut paths = PathSet::new();
        paths.add(&["a", "b", "a"], 2, 10.0, 1).unwrap();
        paths.add(&["b"], 1, 3.0, 5).unwrap();
        let r = Markov::order(1).solve(&paths).unwrap();
        let m = r.transition_matrix();
        let mut sums: IndexMap<String, f64> = IndexMap::new();
        for t in &m {
            *sums.entry(t.from.to_string()).or_default() += t.probability;
        }
        assert_eq!(sums.len(), 3);
        for (from, s) in sums {
            assert!((s - 1.0).abs() < 1e-15, "{from}: {s}");
        }
        let json = serde_json::to_string(&m[0]).unwrap();
        assert_eq!(
            json,
            r#"{"from":"(start)","to":["a"],"probability":0.3333333333333333}"#
        );
    }
}
