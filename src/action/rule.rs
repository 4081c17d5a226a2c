//! Rules and guardrails as data (serde), and their validation into the
//! compiled form that evaluation runs.
//!
//! Names in rules (personas, stages, dimensions, actions, channels) are
//! plain strings in the data, so that a rule file with a misspelt name is
//! refused by [`RuleSet::new`](super::RuleSet::new) with an error that names
//! the rule, not by a parser that knows no rule ids.

use serde::{Deserialize, Serialize};

use super::catalog::{BuiltinAction, ChannelChoice, CustomAction};
use crate::error::{Error, Result};
use crate::model::{CheckoutType, Dimension, Persona, Stage};
use crate::persona::{PaymentStyle, ReminderNeed};

/// Rules may nest [`Condition::Not`] at most this deep.
pub const MAX_CONDITION_DEPTH: usize = 4;
/// A rule set holds at most this many rules.
pub const MAX_RULES: usize = 4_096;

/// One condition over a [`CustomerContext`](super::CustomerContext).
///
/// Serialized internally tagged by `type`, for example
/// `{"type": "persona_score", "persona": "researcher", "min": 0.5}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The persona's score is at least `min` (in [0, 1]).
    PersonaScore {
        /// A [`Persona`] name.
        persona: String,
        /// The lowest score that passes, in [0, 1].
        min: f64,
    },
    /// The primary persona is one of these (an undetermined customer has none).
    PrimaryPersona {
        /// [`Persona`] names.
        personas: Vec<String>,
    },
    /// The current stage is one of these.
    Stage {
        /// [`Stage`] names.
        stages: Vec<String>,
    },
    /// The weakest pyramid dimension (the weakest foundation) is one of these.
    WeakestDimension {
        /// [`Dimension`] names.
        dimensions: Vec<String>,
    },
    /// Most orders were checked out this way.
    Checkout {
        /// A [`CheckoutType`] name (`guest`, `registered`).
        checkout: String,
    },
    /// The preferred way of paying is one of these.
    PaymentStyle {
        /// [`PaymentStyle`] names.
        styles: Vec<String>,
    },
    /// What reminding the customer takes is one of these.
    ReminderNeed {
        /// [`ReminderNeed`] names.
        needs: Vec<String>,
    },
    /// The share of orders in which the basket grew is at least `min`.
    UpsellAtLeast {
        /// In [0, 1].
        min: f64,
    },
    /// The share of discounted orders is at least `min`.
    DiscountedShareAtLeast {
        /// In [0, 1].
        min: f64,
    },
    /// The customer has at least `min` orders.
    OrdersAtLeast {
        /// A count.
        min: u32,
    },
    /// The last order is at least `min` days ago (customers without orders fail).
    DaysSinceLastOrderAtLeast {
        /// Days, finite and not negative.
        min: f64,
    },
    /// The RFM segment (filled by the value analysis) is one of these.
    RfmSegment {
        /// Segment names, compared exactly.
        segments: Vec<String>,
    },
    /// The return-to-origin risk (in [0, 1]) is at least `min`; customers
    /// without a risk estimate fail.
    RtoRiskAtLeast {
        /// In [0, 1].
        min: f64,
    },
    /// A cart was abandoned between `min_hours` and `max_hours` ago
    /// (inclusive; no upper end when `max_hours` is absent).
    CartAbandoned {
        /// Hours, finite and not negative.
        min_hours: f64,
        /// Hours, at least `min_hours`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_hours: Option<f64>,
    },
    /// The last delivery attempt failed (no delivery after it).
    FailedDelivery,
    /// A return is waiting for its refund.
    RefundPending,
    /// The customer's last support contact has no answer yet.
    SupportUnanswered,
    /// Today is a campaign day (11.11, 12.12, ...).
    CampaignDay,
    /// The inner condition does not hold.
    Not {
        /// The condition negated.
        condition: Box<Condition>,
    },
}

/// One rule: when every condition holds, recommend `action` on `channel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A unique id, named in recommendations and errors.
    pub id: String,
    /// Higher first; ties in id order.
    pub priority: u32,
    /// A [`BuiltinAction`] name or the name of a [`CustomAction`] of the set.
    pub action: String,
    /// A [`ChannelChoice`] name.
    pub channel: String,
    /// Why, in words a marketer reads; returned with the recommendation.
    pub reason: String,
    /// All must hold (none: always).
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// Lets a discount through for customers whose orders are mostly
    /// discounted (the discount guardrail holds it back otherwise).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_discount: bool,
}

/// At most `max` actions matching `action` and `channel` (each: any, when
/// absent) within `window_hours` before now, counting the ones being
/// recommended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrequencyCap {
    /// An action name, or any action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// An [`ActionChannel`](super::ActionChannel) name, or any channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// At least 1.
    pub max: u32,
    /// At least 1, at most a year (8,784 hours).
    pub window_hours: u32,
}

/// Hours in which no message goes out on the listed channels, in the
/// shop's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// The first quiet hour (0..=23), local time.
    pub start_hour: u8,
    /// The first hour that is no longer quiet (0..=23); before
    /// `start_hour` when the quiet hours span midnight. Equal to
    /// `start_hour`: no quiet hours.
    pub end_hour: u8,
    /// The shop's offset from UTC in minutes (WIB, Jakarta: 420).
    pub utc_offset_minutes: i32,
    /// The channels kept quiet ([`ActionChannel`](super::ActionChannel) names).
    pub channels: Vec<String>,
}

/// The guardrails every evaluation respects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    /// Frequency caps.
    #[serde(default)]
    pub caps: Vec<FrequencyCap>,
    /// Quiet hours; none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
    /// Customers with at least this share of discounted orders get no
    /// discount action unless the rule allows it (in [0, 1]; 1.0 and no
    /// orders discounted keeps everyone eligible).
    pub mostly_discounted_share: f64,
    /// Pairs of actions never recommended together: the one of the
    /// higher-priority rule stays.
    #[serde(default)]
    pub conflicts: Vec<[String; 2]>,
    /// At most this many actions per customer (1..=16).
    pub max_actions: u8,
}

impl Default for Guardrails {
    /// The default guardrails: one message of the same action per 3 days,
    /// two SMS or WhatsApp messages and three emails per week, one
    /// customer-service call per 3 days; quiet from 21:00 to 08:00 WIB on
    /// SMS, WhatsApp, push and customer service; no discount for customers
    /// whose orders are at least 60 % discounted; no review or referral ask
    /// while delivery is being fixed or service follows up; no voucher next
    /// to first-impression content; at most 3 actions.
    fn default() -> Self {
        let cap = |action: Option<&str>, channel: Option<&str>, max, window_hours| FrequencyCap {
            action: action.map(str::to_owned),
            channel: channel.map(str::to_owned),
            max,
            window_hours,
        };
        let pair = |a: &str, b: &str| [a.to_owned(), b.to_owned()];
        Guardrails {
            caps: vec![
                cap(Some("cart_reminder"), None, 1, 72),
                cap(Some("voucher_or_discount"), None, 1, 72),
                cap(Some("ask_for_review"), None, 1, 24 * 14),
                cap(Some("ask_for_referral"), None, 1, 24 * 30),
                cap(None, Some("sms"), 2, 24 * 7),
                cap(None, Some("whatsapp"), 2, 24 * 7),
                cap(None, Some("email"), 3, 24 * 7),
                cap(None, Some("push"), 3, 24 * 7),
                cap(None, Some("customer_service"), 1, 72),
            ],
            quiet_hours: Some(QuietHours {
                start_hour: 21,
                end_hour: 8,
                utc_offset_minutes: 7 * 60,
                channels: ["sms", "whatsapp", "push", "customer_service"]
                    .map(str::to_owned)
                    .to_vec(),
            }),
            mostly_discounted_share: 0.6,
            conflicts: vec![
                pair("fix_delivery_promise", "ask_for_review"),
                pair("fix_delivery_promise", "ask_for_referral"),
                pair("customer_service_follow_up", "ask_for_review"),
                pair("first_impression_content", "voucher_or_discount"),
            ],
            max_actions: 3,
        }
    }
}

// ---- compiled form ----

/// A condition with its names resolved: what evaluation runs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    Score(usize, f64),
    Primary(u8),
    Stage(u8),
    Weakest(u8),
    Checkout(CheckoutType),
    Payment(u8),
    Reminder(u8),
    Upsell(f64),
    Discounted(f64),
    Orders(u32),
    DaysSince(f64),
    Rfm(Vec<String>),
    Rto(f64),
    Cart(f64, f64),
    FailedDelivery,
    RefundPending,
    SupportUnanswered,
    CampaignDay,
    Not(Box<Cond>),
}

/// Bits of [`facts`]: what a customer context has, one word, so that most
/// rules are rejected by a few `AND`s before their conditions are read.
pub(crate) mod fact {
    pub(crate) const PRIMARY: u32 = 0;
    pub(crate) const STAGE: u32 = 8;
    pub(crate) const WEAKEST: u32 = 16;
    pub(crate) const FAILED_DELIVERY: u64 = 1 << 24;
    pub(crate) const REFUND_PENDING: u64 = 1 << 25;
    pub(crate) const SUPPORT_UNANSWERED: u64 = 1 << 26;
    pub(crate) const CAMPAIGN_DAY: u64 = 1 << 27;
    pub(crate) const CART_OPEN: u64 = 1 << 28;
    pub(crate) const RTO_KNOWN: u64 = 1 << 29;
    pub(crate) const LAST_ORDER_KNOWN: u64 = 1 << 30;
    /// Always set: the mask of a prefilter slot that checks nothing.
    pub(crate) const ALWAYS: u64 = 1 << 63;
}

/// How many prefilter masks a rule keeps.
pub(crate) const PREFILTER: usize = 4;

/// A rule compiled: action and channel as indices.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompiledRule {
    /// Each mask must meet the context's facts (`facts & mask != 0`): a
    /// necessary condition for the rule, from its top-level conditions.
    pub(crate) prefilter: [u64; PREFILTER],
    /// The conditions the prefilter does not decide exactly.
    pub(crate) conds: Vec<Cond>,
    pub(crate) action: u16,
    pub(crate) channel: ChannelChoice,
    pub(crate) priority: u32,
    pub(crate) allow_discount: bool,
}

/// Resolves action names: built-ins first, then the set's custom actions.
pub(crate) fn action_index(name: &str, custom: &[CustomAction]) -> Option<u16> {
    if let Ok(a) = name.parse::<BuiltinAction>() {
        return u16::try_from(a.index()).ok();
    }
    let i = custom.iter().position(|c| c.name == name)?;
    u16::try_from(BuiltinAction::ALL.len() + i).ok()
}

pub(crate) fn rule_error(rule: &str, reason: impl Into<String>) -> Error {
    Error::InvalidRule {
        rule: rule.to_owned(),
        reason: reason.into(),
    }
}

fn mask<T: std::str::FromStr<Err = Error>>(
    rule: &str,
    names: &[String],
    index: impl Fn(T) -> usize,
) -> Result<u8> {
    if names.is_empty() {
        return Err(rule_error(
            rule,
            "a condition lists no values (it could never hold)",
        ));
    }
    let mut m = 0u8;
    for n in names {
        let v = n
            .parse::<T>()
            .map_err(|e| rule_error(rule, e.to_string()))?;
        m |= 1u8 << (index(v) & 7);
    }
    Ok(m)
}

fn unit(rule: &str, what: &str, v: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(rule_error(
            rule,
            format!("impossible threshold: {what} = {v} (must be in [0, 1])"),
        ))
    }
}

fn non_negative(rule: &str, what: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(rule_error(
            rule,
            format!("impossible threshold: {what} = {v} (must be finite and not negative)"),
        ))
    }
}

impl Condition {
    pub(crate) fn compile(&self, rule: &str, depth: usize) -> Result<Cond> {
        Ok(match self {
            Condition::PersonaScore { persona, min } => {
                let p = persona
                    .parse::<Persona>()
                    .map_err(|e| rule_error(rule, e.to_string()))?;
                Cond::Score(p.index(), unit(rule, "persona_score.min", *min)?)
            }
            Condition::PrimaryPersona { personas } => {
                Cond::Primary(mask::<Persona>(rule, personas, Persona::index)?)
            }
            Condition::Stage { stages } => Cond::Stage(mask::<Stage>(rule, stages, Stage::index)?),
            Condition::WeakestDimension { dimensions } => {
                Cond::Weakest(mask::<Dimension>(rule, dimensions, Dimension::index)?)
            }
            Condition::Checkout { checkout } => Cond::Checkout(
                checkout
                    .parse()
                    .map_err(|e: Error| rule_error(rule, e.to_string()))?,
            ),
            Condition::PaymentStyle { styles } => {
                Cond::Payment(mask::<PaymentStyle>(rule, styles, PaymentStyle::index)?)
            }
            Condition::ReminderNeed { needs } => {
                Cond::Reminder(mask::<ReminderNeed>(rule, needs, ReminderNeed::index)?)
            }
            Condition::UpsellAtLeast { min } => {
                Cond::Upsell(unit(rule, "upsell_at_least.min", *min)?)
            }
            Condition::DiscountedShareAtLeast { min } => {
                Cond::Discounted(unit(rule, "discounted_share_at_least.min", *min)?)
            }
            Condition::OrdersAtLeast { min } => Cond::Orders(*min),
            Condition::DaysSinceLastOrderAtLeast { min } => Cond::DaysSince(non_negative(
                rule,
                "days_since_last_order_at_least.min",
                *min,
            )?),
            Condition::RfmSegment { segments } => {
                if segments.is_empty() {
                    return Err(rule_error(
                        rule,
                        "rfm_segment lists no segments (it could never hold)",
                    ));
                }
                Cond::Rfm(segments.clone())
            }
            Condition::RtoRiskAtLeast { min } => {
                Cond::Rto(unit(rule, "rto_risk_at_least.min", *min)?)
            }
            Condition::CartAbandoned {
                min_hours,
                max_hours,
            } => {
                let lo = non_negative(rule, "cart_abandoned.min_hours", *min_hours)?;
                let hi = match max_hours {
                    Some(h) => non_negative(rule, "cart_abandoned.max_hours", *h)?,
                    None => f64::INFINITY,
                };
                if hi < lo {
                    return Err(rule_error(
                        rule,
                        format!(
                            "impossible threshold: cart_abandoned.max_hours = {hi} is below min_hours = {lo}"
                        ),
                    ));
                }
                Cond::Cart(lo, hi)
            }
            Condition::FailedDelivery => Cond::FailedDelivery,
            Condition::RefundPending => Cond::RefundPending,
            Condition::SupportUnanswered => Cond::SupportUnanswered,
            Condition::CampaignDay => Cond::CampaignDay,
            Condition::Not { condition } => {
                if depth >= MAX_CONDITION_DEPTH {
                    return Err(rule_error(
                        rule,
                        format!("conditions nest deeper than {MAX_CONDITION_DEPTH}"),
                    ));
                }
                Cond::Not(Box::new(condition.compile(rule, depth + 1)?))
            }
        })
    }
}

impl Rule {
    pub(crate) fn compile(&self, custom: &[CustomAction]) -> Result<CompiledRule> {
        let id = self.id.as_str();
        if id.is_empty() {
            return Err(rule_error(id, "a rule needs an id"));
        }
        let action = action_index(&self.action, custom).ok_or_else(|| {
            rule_error(
                id,
                format!(
                    "unknown action {:?} (a built-in action or a custom action of the set)",
                    self.action
                ),
            )
        })?;
        let channel = self
            .channel
            .parse::<ChannelChoice>()
            .map_err(|e| rule_error(id, e.to_string()))?;
        let conds = self
            .conditions
            .iter()
            .map(|c| c.compile(id, 0))
            .collect::<Result<Vec<_>>>()?;
        let mut prefilter = [fact::ALWAYS; PREFILTER];
        let mut slots = prefilter.iter_mut();
        let mut residual = Vec::new();
        for c in conds {
            // Conditions the facts word decides exactly need no second look.
            let exact = !matches!(c, Cond::Cart(..) | Cond::Rto(_) | Cond::DaysSince(_));
            let mask = match &c {
                Cond::Primary(m) => u64::from(*m) << fact::PRIMARY,
                Cond::Stage(m) => u64::from(*m) << fact::STAGE,
                Cond::Weakest(m) => u64::from(*m) << fact::WEAKEST,
                Cond::FailedDelivery => fact::FAILED_DELIVERY,
                Cond::RefundPending => fact::REFUND_PENDING,
                Cond::SupportUnanswered => fact::SUPPORT_UNANSWERED,
                Cond::CampaignDay => fact::CAMPAIGN_DAY,
                Cond::Cart(..) => fact::CART_OPEN,
                Cond::Rto(_) => fact::RTO_KNOWN,
                Cond::DaysSince(_) => fact::LAST_ORDER_KNOWN,
                _ => {
                    residual.push(c);
                    continue;
                }
            };
            match slots.next() {
                Some(slot) => {
                    *slot = mask;
                    if !exact {
                        residual.push(c);
                    }
                }
                None => residual.push(c),
            }
        }
        Ok(CompiledRule {
            prefilter,
            conds: residual,
            action,
            channel,
            priority: self.priority,
            allow_discount: self.allow_discount,
        })
    }
}
