//! Every model side by side: the configuration and the report.

use std::fmt;

use chrono::TimeDelta;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::attribution::credit::{Credit, Credits, Model};

/// Path sets from this many distinct paths up run the Markov model on a
/// second thread.
const PARALLEL_PATHS: usize = 20_000;
use crate::attribution::heuristic::{LastNonDirect, PositionBased, RuleBased};
use crate::attribution::journeys::{PathsPer, RefundPolicy};
use crate::attribution::markov::{Bootstrap, Markov, MarkovCredit, MarkovInterval};
use crate::attribution::paths::PathSet;
use crate::attribution::shapley::{
    MAX_SHAPLEY_CHANNELS, OrderedShapley, Shapley, SimplifiedShapley,
};
use crate::error::{Error, Result};
use crate::model::Currency;
use crate::model::time::secs_f64;

/// How to build paths from journeys and which models to run, with their
/// settings. Every field has a documented default.
///
/// ```
/// use chrono::TimeDelta;
/// use cxjourney::attribution::{AttributionConfig, Bootstrap, Markov, RefundPolicy};
/// let config = AttributionConfig {
///     lookback: TimeDelta::days(14),
///     refunds: RefundPolicy::Net,
///     markov: Markov::order(2),
///     bootstrap: Some(Bootstrap::default()),
///     ..AttributionConfig::default()
/// };
/// config.validate()?;
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedAttributionConfig")]
pub struct AttributionConfig {
    /// Only touches this long before a conversion (or before the end of a
    /// journey that did not convert) count (default 30 days, GA4's default
    /// conversion lookback window for acquisition events).
    #[serde(with = "crate::model::time")]
    pub lookback: TimeDelta,
    /// One path per conversion (default) or per customer.
    pub paths_per: PathsPer,
    /// What to do with orders later refunded, returned or cancelled
    /// (default: keep them, as other tools do).
    pub refunds: RefundPolicy,
    /// The time-decay half-life (default 7 days, GA's former time-decay
    /// model; mam's default is 168 hours, the same).
    #[serde(with = "crate::model::time")]
    pub half_life: TimeDelta,
    /// The last-non-direct model (which channel is direct).
    pub last_non_direct: LastNonDirect,
    /// The position-based shares (default 40/20/40).
    pub position_based: PositionBased,
    /// The Markov model (default order 1).
    pub markov: Markov,
    /// The exact Shapley value's game (default: the conversions game, whose
    /// value equals the simplified one; computed when there are at most 20
    /// channels).
    pub shapley: Shapley,
    /// Whether to report the ordered Shapley value (default no).
    pub ordered_shapley: bool,
    /// Bootstrap intervals for the Markov credit (default none).
    pub bootstrap: Option<Bootstrap>,
}

/// The serialized form of [`AttributionConfig`], validated when read
/// ([`AttributionConfig::validate`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct UncheckedAttributionConfig {
    #[serde(with = "crate::model::time")]
    lookback: TimeDelta,
    paths_per: PathsPer,
    refunds: RefundPolicy,
    #[serde(with = "crate::model::time")]
    half_life: TimeDelta,
    last_non_direct: LastNonDirect,
    position_based: PositionBased,
    markov: Markov,
    shapley: Shapley,
    ordered_shapley: bool,
    bootstrap: Option<Bootstrap>,
}

impl Default for UncheckedAttributionConfig {
    fn default() -> Self {
        let c = AttributionConfig::default();
        UncheckedAttributionConfig {
            lookback: c.lookback,
            paths_per: c.paths_per,
            refunds: c.refunds,
            half_life: c.half_life,
            last_non_direct: c.last_non_direct,
            position_based: c.position_based,
            markov: c.markov,
            shapley: c.shapley,
            ordered_shapley: c.ordered_shapley,
            bootstrap: c.bootstrap,
        }
    }
}

impl TryFrom<UncheckedAttributionConfig> for AttributionConfig {
    type Error = Error;

    fn try_from(u: UncheckedAttributionConfig) -> Result<AttributionConfig> {
        let c = AttributionConfig {
            lookback: u.lookback,
            paths_per: u.paths_per,
            refunds: u.refunds,
            half_life: u.half_life,
            last_non_direct: u.last_non_direct,
            position_based: u.position_based,
            markov: u.markov,
            shapley: u.shapley,
            ordered_shapley: u.ordered_shapley,
            bootstrap: u.bootstrap,
        };
        c.validate()?;
        Ok(c)
    }
}

impl Default for AttributionConfig {
    fn default() -> Self {
        AttributionConfig {
            lookback: TimeDelta::days(30),
            paths_per: PathsPer::default(),
            refunds: RefundPolicy::default(),
            half_life: TimeDelta::days(7),
            last_non_direct: LastNonDirect::default(),
            position_based: PositionBased::default(),
            markov: Markov::default(),
            shapley: Shapley::default(),
            ordered_shapley: false,
            bootstrap: None,
        }
    }
}

impl AttributionConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a lookback or half-life that is not
    /// positive, an empty direct channel name, and as
    /// [`Markov::validate`] and [`Bootstrap::validate`].
    pub fn validate(&self) -> Result<()> {
        for (field, d) in [("lookback", self.lookback), ("half_life", self.half_life)] {
            if d <= TimeDelta::zero() {
                return Err(Error::InvalidConfig {
                    field,
                    value: format!("{} s", secs_f64(d)),
                    reason: "must be positive",
                });
            }
        }
        if self.last_non_direct.direct.is_empty() {
            return Err(Error::InvalidConfig {
                field: "last_non_direct.direct",
                value: String::new(),
                reason: "the direct channel needs a name",
            });
        }
        self.markov.validate()?;
        if let Some(b) = &self.bootstrap {
            b.validate()?;
        }
        Ok(())
    }
}

/// One channel's credit under every model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelReport {
    /// [`FirstTouch`](crate::attribution::FirstTouch).
    pub first_touch: Credit,
    /// [`LastTouch`](crate::attribution::LastTouch).
    pub last_touch: Credit,
    /// [`LastNonDirect`].
    pub last_non_direct: Credit,
    /// [`Linear`](crate::attribution::Linear).
    pub linear: Credit,
    /// [`PositionBased`].
    pub position_based: Credit,
    /// [`TimeDecay`](crate::attribution::TimeDecay), when every conversion
    /// came with touch times.
    pub time_decay: Option<Credit>,
    /// [`Markov`]: removal effects and credit.
    pub markov: MarkovCredit,
    /// Bootstrap intervals of the Markov credit, when asked for.
    pub markov_interval: Option<MarkovInterval>,
    /// [`SimplifiedShapley`] (equal to the classic Shapley value of the
    /// conversions game).
    pub shapley: Credit,
    /// [`Shapley`] over all coalitions with the configured game, when there
    /// are at most 20 channels.
    pub shapley_exact: Option<Credit>,
}

/// Every model side by side, per channel (channels in the byte order of
/// their names), with the totals they share out.
///
/// Every model's credits add up to `conversions` and `value` (to about
/// 1e-12 relative; the property tests check 1e-9), except time decay when
/// it is absent.
///
/// ```
/// use cxjourney::attribution::{AttributionConfig, AttributionReport, PathSet};
/// let mut paths = PathSet::new();
/// paths.add(&["social", "search", "email"], 12, 1_200.0, 30)?;
/// paths.add(&["search"], 5, 250.0, 60)?;
/// paths.add(&["social"], 0, 0.0, 80)?;
/// let report = AttributionReport::from_paths(&paths, &AttributionConfig::default())?;
/// assert_eq!(report.conversions, 17);
/// let search = &report.channels["search"];
/// assert_eq!(search.last_touch.conversions, 5.0);
/// assert_eq!(search.first_touch.conversions, 5.0);
/// let markov: f64 = report.channels.values().map(|c| c.markov.value).sum();
/// assert!((markov - 1_450.0).abs() < 1e-9);
/// println!("{report}");
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionReport {
    /// Distinct paths.
    pub paths: usize,
    /// Conversions, the total every model shares out.
    pub conversions: u64,
    /// Their value.
    pub value: f64,
    /// The currency of the value, when the paths came from an event log.
    pub currency: Option<Currency>,
    /// Journeys that did not convert.
    pub nulls: u64,
    /// P(conversion) from the Markov chain's start:
    /// `conversions / (conversions + nulls)`.
    pub conversion_probability: f64,
    /// The Markov chain's order.
    pub markov_order: u8,
    /// Its number of channel states.
    pub markov_states: usize,
    /// The time-decay half-life in seconds, when time decay was computed.
    pub half_life_seconds: Option<f64>,
    /// The bootstrap's settings, when intervals were computed.
    pub bootstrap: Option<Bootstrap>,
    /// Every channel's credit under every model.
    pub channels: IndexMap<String, ChannelReport>,
    /// The ordered Shapley value by first-touch position (index 0 is
    /// position 1), when asked for.
    pub ordered_shapley: Option<IndexMap<String, Vec<Credit>>>,
}

impl AttributionReport {
    /// Runs every model on `paths` (for 20,000 distinct paths and more, the
    /// Markov model on a second thread).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] as [`AttributionConfig::validate`]; the
    /// Markov model's errors ([`Markov::solve`], [`Markov::bootstrap`]).
    /// The exact Shapley value is left out (not an error) beyond 20
    /// channels, and time decay when the paths have no touch times.
    pub fn from_paths(paths: &PathSet, config: &AttributionConfig) -> Result<AttributionReport> {
        config.validate()?;
        // The Markov model (and its bootstrap) on a second thread, the rest
        // on this one; the result does not depend on it.
        let markov_side = || -> Result<_> {
            let markov = config.markov.solve(paths)?;
            let intervals = match &config.bootstrap {
                Some(b) => Some(config.markov.bootstrap(paths, b)?),
                None => None,
            };
            Ok((markov, intervals))
        };
        let rest = || -> Result<_> {
            let rules =
                RuleBased::attribute(paths, &config.last_non_direct, &config.position_based)?;
            let shapley = SimplifiedShapley.attribute(paths)?;
            let exact = if paths.channel_count() <= MAX_SHAPLEY_CHANNELS {
                Some(config.shapley.attribute(paths)?)
            } else {
                None
            };
            let ordered = if config.ordered_shapley {
                Some(OrderedShapley.positions(paths)?)
            } else {
                None
            };
            Ok((rules, shapley, exact, ordered))
        };
        let (side, rest) = if paths.len() >= PARALLEL_PATHS {
            std::thread::scope(|s| {
                let h = s.spawn(markov_side);
                let rest = rest();
                let side = h.join().unwrap_or_else(|_| {
                    Err(Error::NumericFailure {
                        what: "the Markov model's thread panicked".to_owned(),
                    })
                });
                (side, rest)
            })
        } else {
            (markov_side(), rest())
        };
        let (markov, intervals) = side?;
        let (rules, shapley, exact, ordered) = rest?;
        let RuleBased {
            first_touch: first,
            last_touch: last,
            last_non_direct: lnd,
            linear,
            position_based: position,
            time_decay: decay,
            ..
        } = rules;
        let get = |c: &Credits, name: &str| c.get(name).copied().unwrap_or_default();
        let channels = first
            .keys()
            .map(|name| {
                let n = name.as_str();
                (
                    name.clone(),
                    ChannelReport {
                        first_touch: get(&first, n),
                        last_touch: get(&last, n),
                        last_non_direct: get(&lnd, n),
                        linear: get(&linear, n),
                        position_based: get(&position, n),
                        time_decay: decay.as_ref().map(|d| get(d, n)),
                        markov: markov.channels.get(n).copied().unwrap_or_default(),
                        markov_interval: intervals
                            .as_ref()
                            .map(|i| i.get(n).copied().unwrap_or_default()),
                        shapley: get(&shapley, n),
                        shapley_exact: exact.as_ref().map(|e| get(e, n)),
                    },
                )
            })
            .collect();
        Ok(AttributionReport {
            paths: paths.len(),
            conversions: paths.total_conversions(),
            value: paths.total_value(),
            currency: None,
            nulls: paths.total_nulls(),
            conversion_probability: markov.conversion_probability,
            markov_order: markov.order,
            markov_states: markov.states,
            half_life_seconds: decay.as_ref().and(paths.half_life()).map(secs_f64),
            bootstrap: intervals.as_ref().and(config.bootstrap),
            channels,
            ordered_shapley: ordered,
        })
    }
}

impl fmt::Display for AttributionReport {
    /// Two tables, conversions then value, one row per channel and one
    /// column per model (the exact Shapley value only when it differs from
    /// the simplified one), then the Markov removal effects with their
    /// bootstrap intervals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} conversions worth {:.2}{} on {} distinct paths; {} journeys did not convert (P(conversion) {:.4})",
            self.conversions,
            self.value,
            self.currency.map(|c| format!(" {c}")).unwrap_or_default(),
            self.paths,
            self.nulls,
            self.conversion_probability
        )?;
        let decay = self.channels.values().any(|c| c.time_decay.is_some());
        // The exact value is shown when it says something the simplified one
        // does not (with the conversions game they are equal).
        let exact = self.channels.values().any(|c| {
            c.shapley_exact.is_some_and(|e| {
                (e.conversions - c.shapley.conversions).abs() > 1e-9 * (1.0 + e.conversions.abs())
            })
        });
        let mut heads = vec!["first", "last", "last_nd", "linear", "position"];
        if decay {
            heads.push("decay");
        }
        heads.extend(["markov", "shapley"]);
        if exact {
            heads.push("shap_ex");
        }
        let width = self
            .channels
            .keys()
            .map(String::len)
            .max()
            .unwrap_or(7)
            .max(7);
        type Pick = fn(&Credit) -> f64;
        let tables: [(&str, Pick, usize); 2] = [
            ("conversions", |c| c.conversions, 1),
            ("value", |c| c.value, 0),
        ];
        for (title, pick, digits) in tables {
            writeln!(f)?;
            write!(f, "{:<width$}", title)?;
            for h in &heads {
                write!(f, " {h:>10}")?;
            }
            writeln!(f)?;
            for (name, c) in &self.channels {
                write!(f, "{name:<width$}")?;
                let mut cells = vec![
                    c.first_touch,
                    c.last_touch,
                    c.last_non_direct,
                    c.linear,
                    c.position_based,
                ];
                if decay {
                    cells.push(c.time_decay.unwrap_or_default());
                }
                cells.push(Credit {
                    conversions: c.markov.conversions,
                    value: c.markov.value,
                });
                cells.push(c.shapley);
                if exact {
                    cells.push(c.shapley_exact.unwrap_or_default());
                }
                for cell in cells {
                    write!(f, " {:>10.digits$}", pick(&cell))?;
                }
                writeln!(f)?;
            }
        }
        let ci = self.channels.values().any(|c| c.markov_interval.is_some());
        writeln!(f)?;
        write!(f, "{:<width$} {:>10} {:>10}", "markov", "removal", "conv")?;
        if ci {
            let level = self.bootstrap.map_or(0.95, |b| b.level);
            write!(f, "   {:.0}% interval (bootstrap)", 100.0 * level)?;
        }
        writeln!(f)?;
        for (name, c) in &self.channels {
            write!(
                f,
                "{name:<width$} {:>10.4} {:>10.1}",
                c.markov.removal_effect, c.markov.conversions
            )?;
            if let Some(i) = c.markov_interval {
                write!(
                    f,
                    "   {:.1} .. {:.1}",
                    i.conversions.low, i.conversions.high
                )?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
