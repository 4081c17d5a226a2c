//! The return-to-origin (RTO) risk score: see [`RtoScorer`].

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fulfilment::order::{Facts, NONE};
use crate::model::PaymentMethod;

/// The points of each factor. See [`RtoScorer`] for the defaults and
/// their reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RtoWeights {
    /// Points for cash on delivery. Default 3.
    pub cash_on_delivery: i32,
    /// Points for the buyer's first order. Default 1.
    pub first_order: i32,
    /// Points per earlier return to origin of the buyer. Default 2.
    pub per_past_rto: i32,
    /// The most points past returns to origin add. Default 4.
    pub max_past_rto: i32,
    /// Points by days to the first delivery attempt: the entry with the
    /// largest `min_days` at or below the delay applies. Default: 3 days 1
    /// point, 5 days 2 points.
    pub attempt_delay: Vec<DelayPoints>,
    /// An order above this multiple of the mean value of the buyer's earlier
    /// orders gets [`high_value`](Self::high_value) points. Default 2.0.
    pub high_value_ratio: f64,
    /// Points for a high-value order. Default 1.
    pub high_value: i32,
    /// Points per area, for orders whose [`RtoInput::area`] is given.
    /// Default: none.
    pub area: IndexMap<String, i32>,
}

/// Points from a delay on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelayPoints {
    /// Days from the order to the first delivery attempt, at least.
    pub min_days: f64,
    /// The points.
    pub points: i32,
}

impl Default for RtoWeights {
    fn default() -> Self {
        RtoWeights {
            cash_on_delivery: 3,
            first_order: 1,
            per_past_rto: 2,
            max_past_rto: 4,
            attempt_delay: vec![
                DelayPoints {
                    min_days: 3.0,
                    points: 1,
                },
                DelayPoints {
                    min_days: 5.0,
                    points: 2,
                },
            ],
            high_value_ratio: 2.0,
            high_value: 1,
            area: IndexMap::new(),
        }
    }
}

/// A band of risk: orders with at least `min_points` (and fewer than the
/// next band's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtoBand {
    /// The band's name.
    pub name: String,
    /// The fewest points in the band.
    pub min_points: i32,
}

/// The weights and the bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields, default)]
pub struct RtoConfig {
    /// The points per factor.
    pub weights: RtoWeights,
    /// The bands, by ascending `min_points`; the first takes every score
    /// below the second. Default: low 0, medium 3, high 5.
    pub bands: Vec<RtoBand>,
}

impl Default for RtoConfig {
    fn default() -> Self {
        let band = |name: &str, min_points| RtoBand {
            name: name.to_owned(),
            min_points,
        };
        RtoConfig {
            weights: RtoWeights::default(),
            bands: vec![band("low", 0), band("medium", 3), band("high", 5)],
        }
    }
}

/// The most bands.
pub const MAX_BANDS: usize = 64;

// A configuration read from JSON is checked as `validate` checks it.
impl Serialize for RtoConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        RtoConfig::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for RtoConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let c = RtoConfig::deserialize(d)?;
        c.validate().map_err(serde::de::Error::custom)?;
        Ok(c)
    }
}

impl RtoConfig {
    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for no band or more than [`MAX_BANDS`],
    /// bands not strictly ascending or with an empty or repeated name, a
    /// delay or ratio that is not a finite non-negative number, or more than
    /// 64 delay steps.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, value: String, reason: &'static str| Error::InvalidConfig {
            field,
            value,
            reason,
        };
        if self.bands.is_empty() || self.bands.len() > MAX_BANDS {
            return Err(bad(
                "rto.bands",
                self.bands.len().to_string(),
                "between 1 and 64 bands",
            ));
        }
        for (i, b) in self.bands.iter().enumerate() {
            if b.name.trim().is_empty() || self.bands.iter().take(i).any(|a| a.name == b.name) {
                return Err(bad(
                    "rto.bands",
                    b.name.clone(),
                    "names are non-empty and distinct",
                ));
            }
            if i > 0
                && self
                    .bands
                    .get(i - 1)
                    .is_some_and(|a| a.min_points >= b.min_points)
            {
                return Err(bad(
                    "rto.bands",
                    b.min_points.to_string(),
                    "bands ascend strictly by min_points",
                ));
            }
        }
        let w = &self.weights;
        if w.attempt_delay.len() > 64 {
            return Err(bad(
                "rto.weights.attempt_delay",
                w.attempt_delay.len().to_string(),
                "at most 64 steps",
            ));
        }
        for d in &w.attempt_delay {
            if !(d.min_days.is_finite() && d.min_days >= 0.0) {
                return Err(bad(
                    "rto.weights.attempt_delay",
                    d.min_days.to_string(),
                    "days are finite and non-negative",
                ));
            }
        }
        if !(w.high_value_ratio.is_finite() && w.high_value_ratio >= 0.0) {
            return Err(bad(
                "rto.weights.high_value_ratio",
                w.high_value_ratio.to_string(),
                "a finite non-negative ratio",
            ));
        }
        Ok(())
    }

    /// The band of `points`: the last band whose `min_points` it reaches
    /// (the first band for fewer points than any).
    #[must_use]
    pub fn band_of(&self, points: i32) -> usize {
        self.bands
            .iter()
            .rposition(|b| points >= b.min_points)
            .unwrap_or(0)
    }
}

/// What the score of one order reads, all known before it ships.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RtoInput {
    /// Paid on delivery.
    pub cash_on_delivery: bool,
    /// The buyer's first order.
    pub first_order: bool,
    /// The buyer's earlier orders that came back to origin (by the time of
    /// this order).
    pub past_rtos: u32,
    /// Planned days from the order to the first delivery attempt.
    pub days_to_first_attempt: Option<f64>,
    /// This order's value over the mean value of the buyer's earlier orders
    /// (`None` without earlier valued orders).
    pub value_ratio: Option<f64>,
    /// The delivery area, if known (matched against [`RtoWeights::area`]).
    pub area: Option<String>,
}

/// A factor of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RtoFactor {
    /// Paid on delivery.
    CashOnDelivery,
    /// The buyer's first order.
    FirstOrder,
    /// The buyer's earlier returns to origin.
    PastRto,
    /// Days to the first delivery attempt.
    AttemptDelay,
    /// An order value high for the buyer.
    HighValue,
    /// The delivery area.
    Area,
}

impl RtoFactor {
    /// Every factor, in the order of the module docs.
    pub const ALL: [RtoFactor; 6] = [
        RtoFactor::CashOnDelivery,
        RtoFactor::FirstOrder,
        RtoFactor::PastRto,
        RtoFactor::AttemptDelay,
        RtoFactor::HighValue,
        RtoFactor::Area,
    ];

    /// The snake_case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RtoFactor::CashOnDelivery => "cash_on_delivery",
            RtoFactor::FirstOrder => "first_order",
            RtoFactor::PastRto => "past_rto",
            RtoFactor::AttemptDelay => "attempt_delay",
            RtoFactor::HighValue => "high_value",
            RtoFactor::Area => "area",
        }
    }
}

impl fmt::Display for RtoFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order's risk: the points, the band, and every factor that added
/// points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RtoScore {
    /// The sum of the points.
    pub points: i32,
    /// The band's name.
    pub band: String,
    /// The factors that added (or took) points, in factor order.
    pub reasons: Vec<(RtoFactor, i32)>,
}

impl fmt::Display for RtoScore {
    /// `5 points (high): cash_on_delivery +3, first_order +1, attempt_delay +1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} points ({})", self.points, self.band)?;
        for (i, (factor, p)) in self.reasons.iter().enumerate() {
            write!(f, "{}{factor} {p:+}", if i == 0 { ": " } else { ", " })?;
        }
        Ok(())
    }
}

/// Scores orders with an [`RtoConfig`]: the return-to-origin (RTO) risk of
/// an order before it ships, as transparent additive points, each with its
/// reason, and bands of points.
///
/// # Points (defaults, [`RtoWeights::default`])
///
/// | factor | points | why |
/// |---|---|---|
/// | cash on delivery | 3 | the buyer has paid nothing and can refuse the parcel at the door; the dominant driver of RTO in cash-on-delivery markets |
/// | first order | 1 | no track record: a new buyer's address and intent are unproven |
/// | past returns to origin | 2 each, at most 4 | a buyer who refused parcels before is the strongest personal signal |
/// | days to the first delivery attempt | 1 from 3 days, 2 from 5 days | the longer the wait, the more buyers change their mind or buy elsewhere |
/// | order value against the buyer's history | 1 above twice the mean of their earlier orders | an unusually large cash-on-delivery order is more often refused (or fake) |
/// | area | as given per area (none by default) | couriers' failed-delivery rates differ by region; the log has no area column, so this comes from the caller ([`RtoInput::area`]) |
///
/// The weights are round numbers that order the factors as the trade
/// describes them, not fitted values: they are meant to be read, argued with
/// and changed ([`RtoWeights`] is data, serde). The calibration table of
/// [`FulfilmentReport::rto_calibration`](crate::fulfilment::FulfilmentReport::rto_calibration)
/// shows how each band fared on your own orders; fit your weights to it.
///
/// # Bands (defaults)
///
/// `low` 0-2 points, `medium` 3-4, `high` 5 and more. Cash on delivery alone
/// (3 points) makes an order `medium`; `low` holds prepaid orders with at
/// most minor signals; `high` needs cash on delivery and at least two more
/// points, or a prepaid order from a buyer with a history of returns to
/// origin and more.
///
/// On the sample shop (2,400 customers, seed 42; the tour prints it) the
/// bands come out at 2.3%, 9.5% and 10.7% observed RTO. The sample shop
/// plants one driver of RTO only, the payment method (12% of cash-on-delivery
/// orders come back, 2% of prepaid ones), so the calibration there confirms
/// the cash-on-delivery weight and shows no lift from the other factors (the
/// report's per-factor table says so): their weights need real data.
///
/// # What is known before an order ships
///
/// Everything the score reads is known when the parcel is handed to the
/// courier: the payment method, whether the buyer ordered before, the RTOs of
/// their earlier orders that had come back by the time of this order, the
/// value of their earlier orders, and the planned days to the first
/// delivery attempt. On a log (historical orders), the first
/// `delivery_attempt` row stands for the courier's plan (else the promised
/// delivery time); the outcome itself (delivered or back to origin) is never
/// read.
///
/// ```
/// use cxjourney::fulfilment::{RtoConfig, RtoInput, RtoScorer};
/// let scorer = RtoScorer::new(RtoConfig::default())?;
/// let score = scorer.score(&RtoInput {
///    cash_on_delivery: true,
///    first_order: true,
///    days_to_first_attempt: Some(3.5),
///    ..RtoInput::default()
/// });
/// assert_eq!(score.points, 5);
/// assert_eq!(score.band, "high");
/// assert_eq!(
///    score.to_string(),
///    "5 points (high): cash_on_delivery +3, first_order +1, attempt_delay +1"
/// );
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RtoScorer {
    config: RtoConfig,
}

impl RtoScorer {
    /// A scorer.
    ///
    /// # Errors
    /// As [`RtoConfig::validate`].
    pub fn new(config: RtoConfig) -> Result<RtoScorer> {
        config.validate()?;
        Ok(RtoScorer { config })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &RtoConfig {
        &self.config
    }

    /// The points of each factor for `input` (0 for factors that do not
    /// apply), in [`RtoFactor::ALL`] order.
    #[must_use]
    pub fn points(&self, input: &RtoInput) -> [i32; 6] {
        points_of(&self.config, input)
    }

    /// The score of one order.
    #[must_use]
    pub fn score(&self, input: &RtoInput) -> RtoScore {
        let points = self.points(input);
        let total = points.iter().fold(0i32, |a, &p| a.saturating_add(p));
        RtoScore {
            points: total,
            band: self
                .config
                .bands
                .get(self.config.band_of(total))
                .map(|b| b.name.clone())
                .unwrap_or_default(),
            reasons: RtoFactor::ALL
                .iter()
                .zip(points)
                .filter(|(_, p)| *p != 0)
                .map(|(f, p)| (*f, p))
                .collect(),
        }
    }
}

/// The points of each factor (see [`RtoScorer::points`]).
pub(crate) fn points_of(config: &RtoConfig, input: &RtoInput) -> [i32; 6] {
    let w = &config.weights;
    let delay = input.days_to_first_attempt.map_or(0, |d| {
        w.attempt_delay
            .iter()
            .filter(|s| d >= s.min_days)
            .max_by(|a, b| a.min_days.total_cmp(&b.min_days))
            .map_or(0, |s| s.points)
    });
    let past = i64::from(input.past_rtos).saturating_mul(i64::from(w.per_past_rto));
    let past = past.min(i64::from(w.max_past_rto));
    [
        if input.cash_on_delivery {
            w.cash_on_delivery
        } else {
            0
        },
        if input.first_order { w.first_order } else { 0 },
        i32::try_from(past).unwrap_or(0),
        delay,
        match input.value_ratio {
            Some(r) if r > w.high_value_ratio => w.high_value,
            _ => 0,
        },
        input
            .area
            .as_ref()
            .and_then(|a| w.area.get(a))
            .copied()
            .unwrap_or(0),
    ]
}

/// The inputs of each of a customer's orders (in placement order) as known
/// before it shipped: `facts` are the customer's orders sorted by
/// placement.
pub(crate) fn inputs(facts: &[Facts], out: &mut Vec<RtoInput>) {
    out.clear();
    let past = past_rtos(facts);
    let mut value_sum: i128 = 0;
    let mut valued = 0u32;
    for (i, f) in facts.iter().enumerate() {
        let planned = if f.first_attempt != NONE {
            f.first_attempt
        } else {
            f.promised
        };
        // In 128 bits: times over chrono's whole range differ by more than
        // i64 holds (finding 15-A5).
        let days = (planned != NONE)
            .then(|| (i128::from(planned) - i128::from(f.placed)) as f64 / 86_400e6);
        let value_ratio = (f.value != NONE && valued > 0 && value_sum > 0)
            .then(|| f.value as f64 / (value_sum as f64 / f64::from(valued)));
        out.push(RtoInput {
            cash_on_delivery: f.payment() == Some(PaymentMethod::CashOnDelivery),
            first_order: i == 0,
            past_rtos: past.get(i).copied().unwrap_or(0),
            days_to_first_attempt: days,
            value_ratio,
            area: None,
        });
        if f.value != NONE {
            value_sum += i128::from(f.value);
            valued += 1;
        }
    }
}

/// For each order, how many earlier orders had come back to origin by the
/// time it was placed: a Fenwick tree over the orders, filled as the
/// returns' times pass (n log n, for customers with very many orders too).
fn past_rtos(facts: &[Facts]) -> Vec<u32> {
    let n = facts.len();
    let mut events: Vec<(i64, usize)> = facts
        .iter()
        .enumerate()
        .filter(|(_, f)| f.rto != NONE)
        .map(|(j, f)| (f.rto, j))
        .collect();
    let mut out = vec![0u32; n];
    if events.is_empty() {
        return out;
    }
    events.sort_unstable();
    let mut tree = vec![0u32; n + 1];
    let mut next = 0;
    for (i, f) in facts.iter().enumerate() {
        while let Some(&(t, j)) = events.get(next)
            && t <= f.placed
        {
            let mut k = j + 1;
            while let Some(x) = tree.get_mut(k) {
                *x += 1;
                k += k & k.wrapping_neg();
            }
            next += 1;
        }
        // Earlier orders: positions 1..=i of the tree.
        let (mut k, mut sum) = (i, 0u32);
        while k > 0 {
            sum += tree.get(k).copied().unwrap_or(0);
            k &= k - 1;
        }
        if let Some(o) = out.get_mut(i) {
            *o = sum;
        }
    }
    out
}

/// One order's RTO risk as it stood before the order shipped, and what came
/// of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRisk {
    /// The order id.
    pub order: String,
    /// When it was placed.
    pub placed_at: chrono::DateTime<chrono::Utc>,
    /// What the score read.
    pub input: RtoInput,
    /// The score.
    pub score: RtoScore,
    /// `Some(true)` when it came back to origin, `Some(false)` when it was
    /// delivered, `None` while neither (or cancelled).
    pub returned_to_origin: Option<bool>,
}

/// The RTO risk of each order of a journey (placement order), from what was
/// known before it shipped.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use cxjourney::fulfilment::{RtoConfig, RtoScorer, order_risks};
/// use cxjourney::log::EventLog;
/// use cxjourney::{BuiltinKind as K, CustomerId, JourneyConfig, PaymentMethod, Touchpoint};
/// let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 9, 0, 0).unwrap();
/// let at = |h: i64| t0 + TimeDelta::hours(h);
/// let cod = |h: i64, o: &str| {
///    Touchpoint::new(CustomerId(1), at(h), K::OrderCompleted)
///        .with_order(o)
///        .with_payment(PaymentMethod::CashOnDelivery)
/// };
/// let log = EventLog::from_touchpoints(
///    [
///        cod(0, "a"),
///        Touchpoint::new(CustomerId(1), at(30), K::DeliveryAttempt).with_order("a"),
///        Touchpoint::new(CustomerId(1), at(120), K::Returned).with_order("a"),
///        cod(200, "b"),
///        Touchpoint::new(CustomerId(1), at(300), K::DeliveryAttempt).with_order("b"),
///    ],
///    &JourneyConfig::default(),
/// )?;
/// let scorer = RtoScorer::new(RtoConfig::default())?;
/// let risks = order_risks(&log.journeys().next().unwrap(), &scorer);
/// // a: cash on delivery, first order.
/// assert_eq!((risks[0].score.points, risks[0].returned_to_origin), (4, Some(true)));
/// // b: cash on delivery, a past RTO, 4 days to the first attempt; not resolved yet.
/// assert_eq!(risks[1].score.points, 3 + 2 + 1);
/// assert_eq!(risks[1].score.band, "high");
/// assert_eq!(risks[1].returned_to_origin, None);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[must_use]
pub fn order_risks(journey: &crate::log::JourneyView<'_>, scorer: &RtoScorer) -> Vec<OrderRisk> {
    let mut scratch = crate::fulfilment::order::OrderScratch::default();
    scratch.read(journey, &crate::fulfilment::order::WrongItem::default());
    let mut ins = Vec::new();
    inputs(&scratch.orders, &mut ins);
    scratch
        .orders
        .iter()
        .zip(ins)
        .map(|(f, input)| OrderRisk {
            order: journey
                .log()
                .orders()
                .value(f.key)
                .unwrap_or_default()
                .to_owned(),
            placed_at: crate::fulfilment::order::time(f.placed).unwrap_or_default(),
            score: scorer.score(&input),
            input,
            returned_to_origin: if f.rto != NONE {
                Some(true)
            } else if f.delivered != NONE {
                Some(false)
            } else {
                None
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_add_up_with_reasons() {
        let s = RtoScorer::new(RtoConfig::default()).unwrap();
        let all = RtoInput {
            cash_on_delivery: true,
            first_order: false,
            past_rtos: 5,
            days_to_first_attempt: Some(6.0),
            value_ratio: Some(2.5),
            area: Some("x".into()),
        };
        let score = s.score(&all);
        assert_eq!(score.points, 3 + 4 + 2 + 1);
        assert_eq!(score.band, "high");
        assert_eq!(score.reasons.len(), 4);
        assert_eq!(s.score(&RtoInput::default()).band, "low");
        assert_eq!(s.score(&RtoInput::default()).points, 0);
        let mut c = RtoConfig::default();
        c.weights.area.insert("x".into(), -1);
        let s = RtoScorer::new(c).unwrap();
        assert_eq!(s.score(&all).points, 9);
        assert_eq!(s.config().band_of(-5), 0);
    }

    #[test]
    fn past_returns_count_only_earlier_orders_back_by_then() {
        let order = |placed: i64, rto: i64| {
            let mut f = Facts::new_for_tests(placed);
            f.rto = rto;
            f
        };
        // Order 0 back at 5, order 1 (placed 3) back at 20, order 2 at 10,
        // order 3 at 30.
        let facts = [order(0, 5), order(3, 20), order(10, NONE), order(30, NONE)];
        assert_eq!(past_rtos(&facts), [0, 0, 1, 2]);
        let mut inputs_out = Vec::new();
        inputs(&facts, &mut inputs_out);
        assert!(inputs_out[0].first_order && !inputs_out[1].first_order);
        assert_eq!(inputs_out[3].past_rtos, 2);
    }

    #[test]
    fn bad_configs_are_refused() {
        let mut c = RtoConfig::default();
        c.bands.swap(0, 1);
        assert!(RtoScorer::new(c).is_err());
        let mut c = RtoConfig::default();
        c.bands.clear();
        assert!(c.validate().is_err());
        let mut c = RtoConfig::default();
        c.weights.high_value_ratio = f64::NAN;
        assert!(c.validate().is_err());
        let mut c = RtoConfig::default();
        c.weights.attempt_delay[0].min_days = -1.0;
        assert!(c.validate().is_err());
        let json =
            r#"{"weights": {"cash_on_delivery": 5}, "bands": [{"name": "all", "min_points": 0}]}"#;
        let c: RtoConfig = serde_json::from_str(json).unwrap();
        assert_eq!(c.weights.first_order, 1);
        assert!(c.validate().is_ok());
        assert!(serde_json::from_str::<RtoConfig>(r#"{"weight": {}}"#).is_err());
    }
}
