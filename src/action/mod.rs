//! Next best actions: rules as data over a customer context, with
//! guardrails (public as `cxjourney::action`).
//!
//! The decisions layer: it reads what the analyses found about a customer
//! and says what to do next, with the rule and the reason behind every
//! action.
//!
//! - [`BuiltinAction`]: the actions a shop takes (comparison content,
//!   first-impression content, one-click checkout, cart reminders,
//!   customer-service follow-up, vouchers, bundles, upsells, loyalty
//!   rewards, review and referral asks, proactive support, fixing the
//!   delivery promise, prepaid incentives for risky cash-on-delivery
//!   orders, win-back offers), each with a description in English and
//!   Indonesian, plus [`CustomAction`]s a user defines.
//! - [`CustomerContext`]: what the rules read. The caller fills it:
//!   [`CustomerContext::from_profile`] takes the persona
//!   [`Classification`](crate::persona::Classification), the
//!   [`BehaviourProfile`](crate::persona::BehaviourProfile) and the
//!   [`JourneyView`](crate::log::JourneyView) (stage, checkout profile,
//!   orders, [`RecentEvents`]); the weakest pyramid dimension, the RFM
//!   segment, the return-to-origin risk and the campaign-day flag are set by
//!   the caller (the value and fulfilment analyses fill the last two once
//!   they exist).
//! - [`Rule`]s as serde data: [`Condition`]s (all must hold), an id, a
//!   priority, an action, a channel ([`ChannelChoice`], which may be "the
//!   reminder channel that worked for this customer"), a reason.
//!   [`RuleSet::new`] validates them into an [`Error::InvalidRule`](crate::Error::InvalidRule)
//!   that names the rule.
//! - [`Guardrails`]: frequency caps per action and channel over the
//!   history of actions sent ([`SentAction`]), quiet hours in the shop's
//!   time zone (WIB by default), no discount for customers whose orders are
//!   mostly discounted unless the rule allows it, conflicting actions
//!   resolved by priority, a maximum number of actions.
//! - [`RuleSet::evaluate_into`]: the ranked [`Recommendation`]s and what the
//!   guardrails held back, without allocating once the output has grown;
//!   [`RuleSet::next_best_actions`] spells them out ([`NextAction`]).
//! - [`RuleSet::default`]: the default rules, documented one by one with
//!   their source.
//!
//! - [`JourneyMap`]: stages by lanes (doing, thinking, feeling,
//!   touchpoints, pain points, opportunities) with an emotion score per
//!   stage in −2..=+2, filled from measured evidence by a
//!   [`JourneyMapBuilder`], per persona or for everyone; a versioned JSON
//!   format ([`MAP_FORMAT`], [`MAP_VERSION`]) with a JSON Schema in the
//!   repository (`schemas/journey_map.v1.json`).
//!
//! Evaluation is pure: `now` is an argument, no clock is read.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use cxjourney::action::{ActionChannel, CustomerContext, RuleSet};
//! use cxjourney::{CustomerId, Persona, Stage};
//!
//! let rules = RuleSet::default();
//! let mut ctx = CustomerContext::new(CustomerId(42));
//! ctx.primary = Some(Persona::ImpulsiveOneTime);
//! ctx.stage = Some(Stage::Decision);
//! ctx.events.cart_abandoned_hours = Some(5.0);
//! // 10:00 in Jakarta (03:00 UTC): not quiet hours.
//! let now = Utc.with_ymd_and_hms(2024, 11, 11, 3, 0, 0).unwrap();
//! let actions = rules.next_best_actions(&ctx, &[], now);
//! assert_eq!(actions[0].rule, "cart_reminder");
//! assert_eq!(actions[0].channel, ActionChannel::Email);
//! assert_eq!(actions[1].rule, "impulsive_bundle");
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod catalog;
mod context;
mod defaults;
mod eval;
mod map;
mod rule;

pub use catalog::{ActionChannel, BuiltinAction, ChannelChoice, CustomAction};
pub use context::{CustomerContext, RecentEvents};
pub use defaults::default_rules;
pub use eval::{
    ActionKey, Evaluation, Guardrail, NextAction, Recommendation, RuleKey, RuleSet, RuleSetData,
    SentAction, Suppressed,
};
pub use map::{
    Count, Feeling, FeelingSource, JourneyMap, JourneyMapBuilder, MAP_FORMAT, MAP_VERSION,
    Opportunity, PainKind, PainPoint, StageLanes, Thought,
};
pub use rule::{
    Condition, FrequencyCap, Guardrails, MAX_CONDITION_DEPTH, MAX_RULES, QuietHours, Rule,
};

#[cfg(test)]
mod tests;
