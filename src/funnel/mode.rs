//! The rules that decide which events count towards a funnel: ClickHouse's
//! `windowFunnel` modes and first-entry anchoring, as typed options.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where a customer's conversion window starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchoring {
    /// Every step-1 event restarts the chain from that event; the customer's
    /// level is the best any chain reached. This is ClickHouse's
    /// `windowFunnel` (a later step 1 *overwrites* the start of level 1).
    #[default]
    Latest,
    /// The window starts at the customer's first step-1 event and later step-1
    /// events do not re-anchor it; every later step is the earliest one that
    /// fits. This is how Mixpanel and PostHog count a customer in a funnel.
    First,
}

/// The semantics of a funnel: anchoring and ClickHouse's `windowFunnel` modes.
///
/// The default is ClickHouse's `windowFunnel(window)` without options. Every
/// flag carries ClickHouse's name and meaning (source:
/// `src/AggregateFunctions/AggregateFunctionWindowFunnel.cpp` in
/// ClickHouse/ClickHouse, and the `windowFunnel` documentation). Events are
/// ordered by `(time, step index)`: at the same second the lower step comes
/// first, whatever the input order; in `strict_order`, events that match no
/// step come before matching ones at the same second.
///
/// | flag | ClickHouse rule | example (steps A, B, C; window 1 h) |
/// |---|---|---|
/// | none | the largest m with events e1..em in order, e_i matching step i, `t(em) - t(e1) <= window` | A, B, B, C → 3 |
/// | `strict_deduplication` | a repeat of a step already reached (not step 1) stops the scan | A, B, B, C → 2 |
/// | `strict_order` | after the first A, an event matching no step, or a step whose predecessor is not reached, stops the scan | A, x, B → 1; A, C, B → 1 |
/// | `strict_increase` | a step must come strictly later than the previous one | A and B in the same second → 1 |
/// | `strict_once` | an event matching several steps counts for one of them only, and every chain is tracked, not just the latest | see [`FunnelMode::strict_once`] |
/// | `allow_reentry` (needs `strict_order`) | a step whose predecessor is not reached is skipped instead of stopping the scan | A, C, B, C → 3 |
///
/// [`Anchoring::First`] (Mixpanel, PostHog) differs from ClickHouse when a
/// later step 1 would give a better chain: A(0 s), A(3000 s), B(4000 s) with a
/// 1-hour window is level 2 in ClickHouse (the second A restarts the chain) and
/// level 1 with first-entry anchoring (B is 4000 s after the first A).
///
/// Every row of the table, checked (steps 1, 2, 3 = A, B, C; step 0 = an
/// event that matches no step; times in seconds):
///
/// ```
/// use chrono::TimeDelta;
/// use cxjourney::funnel::{FunnelMode, WindowFunnel};
/// let level = |mode: &str, events: &[(i64, u8)]| -> cxjourney::Result<u8> {
///     let f = WindowFunnel::new(3, TimeDelta::hours(1), mode.parse()?)?;
///     f.level(&mut events.to_vec())
/// };
/// let abbc = [(0, 1), (10, 2), (20, 2), (30, 3)];
/// assert_eq!(level("default", &abbc)?, 3);
/// assert_eq!(level("strict_deduplication", &abbc)?, 2);
/// assert_eq!(level("default", &[(0, 1), (5, 0), (10, 2)])?, 2);
/// assert_eq!(level("strict_order", &[(0, 1), (5, 0), (10, 2)])?, 1);
/// assert_eq!(level("strict_order", &[(0, 1), (5, 3), (10, 2)])?, 1);
/// assert_eq!(level("strict_order,allow_reentry", &[(0, 1), (5, 3), (10, 2), (20, 3)])?, 3);
/// assert_eq!(level("default", &[(0, 1), (0, 2)])?, 2);
/// assert_eq!(level("strict_increase", &[(0, 1), (0, 2)])?, 1);
/// // a later A restarts the chain in ClickHouse, not with first-entry anchoring
/// let late = [(0, 1), (3000, 1), (4000, 2)];
/// assert_eq!(level("default", &late)?, 2);
/// assert_eq!(level("first_entry", &late)?, 1);
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// Modes parse from ClickHouse's option names:
///
/// ```
/// use cxjourney::funnel::FunnelMode;
/// let mode: FunnelMode = "strict_order,allow_reentry".parse()?;
/// assert!(mode.strict_order && mode.allow_reentry);
/// assert_eq!(mode.to_string(), "strict_order,allow_reentry");
/// assert_eq!(FunnelMode::default().to_string(), "default");
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(clippy::struct_excessive_bools)]
pub struct FunnelMode {
    /// Where the window starts. Default: [`Anchoring::Latest`] (ClickHouse).
    pub anchoring: Anchoring,
    /// ClickHouse `strict_deduplication`: when an event for step k >= 2
    /// arrives while step k is already reached, stop and return the level
    /// reached so far. A repeated step 1 restarts the chain instead.
    pub strict_deduplication: bool,
    /// ClickHouse `strict_order`: events that match no step are kept; once
    /// step 1 was seen, such an event stops the scan, and so does a step whose
    /// predecessor is not reached (the result is the number of steps reached
    /// before the first gap).
    pub strict_order: bool,
    /// ClickHouse `strict_increase`: step k counts only when strictly later
    /// than the step k-1 it follows.
    pub strict_increase: bool,
    /// ClickHouse `strict_once`: an event that matches several steps is used
    /// at most once in a chain, and every chain is followed (not just the one
    /// from the latest step 1). Without it, one event that matches steps 1 and
    /// 2 fills both. ClickHouse keeps every partial chain (a number that can
    /// grow with the square of the customer's events); the crate computes the
    /// same level without keeping them, in time linear in the events (plus a
    /// small matching for each second in which one event matches several
    /// steps), and reports the chain that first reached the level (of those
    /// completed by that event, the one with the latest step 1).
    pub strict_once: bool,
    /// ClickHouse `allow_reentry` (requires `strict_order`): a step whose
    /// predecessor is not reached is skipped instead of ending the scan.
    /// Events that match no step still end it.
    pub allow_reentry: bool,
}

/// Formerly the most partial chains `strict_once` kept for one customer
/// before the computation stopped with an error. `strict_once` no longer
/// keeps partial chains (its work is linear in the customer's events), so
/// nothing is capped by this number any more.
#[deprecated(note = "strict_once no longer keeps partial chains; nothing is capped")]
pub const MAX_STRICT_ONCE_CHAINS: usize = 1 << 20;

impl FunnelMode {
    /// ClickHouse `windowFunnel(window)` with no option.
    #[must_use]
    pub fn clickhouse() -> Self {
        FunnelMode::default()
    }

    /// ClickHouse `windowFunnel(window, 'strict_order')`.
    #[must_use]
    pub fn strict_order() -> Self {
        FunnelMode {
            strict_order: true,
            ..FunnelMode::default()
        }
    }

    /// ClickHouse `windowFunnel(window, 'strict_deduplication')`.
    #[must_use]
    pub fn strict_deduplication() -> Self {
        FunnelMode {
            strict_deduplication: true,
            ..FunnelMode::default()
        }
    }

    /// ClickHouse `windowFunnel(window, 'strict_increase')`.
    #[must_use]
    pub fn strict_increase() -> Self {
        FunnelMode {
            strict_increase: true,
            ..FunnelMode::default()
        }
    }

    /// ClickHouse `windowFunnel(window, 'strict_once')`.
    ///
    /// With steps `A` and `A or B` (one event can match both), the events A, B
    /// give level 2 in every mode, but a lone A gives level 2 without
    /// `strict_once` (the one event fills both steps) and level 1 with it.
    #[must_use]
    pub fn strict_once() -> Self {
        FunnelMode {
            strict_once: true,
            ..FunnelMode::default()
        }
    }

    /// First-entry anchoring, as Mixpanel and PostHog count: the window starts
    /// at the first step-1 event and is not re-anchored.
    #[must_use]
    pub fn first_entry() -> Self {
        FunnelMode {
            anchoring: Anchoring::First,
            ..FunnelMode::default()
        }
    }

    /// Checks the combination.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `allow_reentry` is set without
    /// `strict_order` (ClickHouse refuses it too), or when `strict_once` is
    /// combined with first-entry anchoring (ClickHouse has no such mode).
    pub fn validate(&self) -> Result<()> {
        if self.allow_reentry && !self.strict_order {
            return Err(Error::InvalidConfig {
                field: "mode.allow_reentry",
                value: self.to_string(),
                reason: "allow_reentry requires strict_order, as in ClickHouse",
            });
        }
        if self.strict_once && self.anchoring == Anchoring::First {
            return Err(Error::InvalidConfig {
                field: "mode.strict_once",
                value: self.to_string(),
                reason: "strict_once is a ClickHouse mode and needs latest anchoring",
            });
        }
        Ok(())
    }

    fn flags(&self) -> [(&'static str, bool); 6] {
        [
            ("first_entry", self.anchoring == Anchoring::First),
            ("strict_deduplication", self.strict_deduplication),
            ("strict_order", self.strict_order),
            ("strict_increase", self.strict_increase),
            ("strict_once", self.strict_once),
            ("allow_reentry", self.allow_reentry),
        ]
    }
}

impl std::fmt::Display for FunnelMode {
    /// The flags as ClickHouse spells them, comma separated, or `default`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .flags()
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| *name)
            .collect();
        if names.is_empty() {
            f.write_str("default")
        } else {
            f.write_str(&names.join(","))
        }
    }
}

impl std::str::FromStr for FunnelMode {
    type Err = Error;

    /// Parses `default` or a comma-separated list of ClickHouse option names
    /// (plus `first_entry`), then validates the combination.
    fn from_str(s: &str) -> Result<Self> {
        let mut mode = FunnelMode::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "default" => {}
                "first_entry" => mode.anchoring = Anchoring::First,
                "strict_deduplication" => mode.strict_deduplication = true,
                "strict_order" => mode.strict_order = true,
                "strict_increase" => mode.strict_increase = true,
                "strict_once" => mode.strict_once = true,
                "allow_reentry" => mode.allow_reentry = true,
                other => {
                    return Err(Error::invalid_name(
                        "funnel mode",
                        other,
                        [
                            "default",
                            "first_entry",
                            "strict_deduplication",
                            "strict_order",
                            "strict_increase",
                            "strict_once",
                            "allow_reentry",
                        ],
                    ));
                }
            }
        }
        mode.validate()?;
        Ok(mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for s in [
            "default",
            "strict_order",
            "strict_deduplication",
            "strict_increase",
            "strict_once",
            "strict_order,allow_reentry",
            "first_entry,strict_increase",
        ] {
            let m: FunnelMode = s.parse().unwrap();
            assert_eq!(m.to_string(), s);
        }
        assert!("allow_reentry".parse::<FunnelMode>().is_err());
        assert!("strict".parse::<FunnelMode>().is_err());
        assert!("first_entry,strict_once".parse::<FunnelMode>().is_err());
    }
}
