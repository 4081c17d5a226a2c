//! The rule set: validation, evaluation and the guardrails.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::catalog::{ActionChannel, BuiltinAction, ChannelChoice, CustomAction};
use super::context::CustomerContext;
use super::rule::{
    CompiledRule, Cond, Guardrails, MAX_RULES, PREFILTER, Rule, action_index, fact, rule_error,
};
use crate::error::{Error, Result};
use crate::model::CustomName;
use crate::persona::{ReminderChannel, ReminderNeed};

/// An action of a rule set: a built-in action at its
/// [`index`](BuiltinAction::index), custom actions after them in the order
/// the set declares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ActionKey(pub u16);

impl From<BuiltinAction> for ActionKey {
    fn from(a: BuiltinAction) -> ActionKey {
        ActionKey(a.index() as u16)
    }
}

/// A rule of a rule set, by its position in [`RuleSet::rules`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleKey(pub u32);

/// An action sent before: the history the frequency caps count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentAction {
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// What was sent.
    pub action: ActionKey,
    /// On which channel.
    pub channel: ActionChannel,
}

/// One recommended action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The action.
    pub action: ActionKey,
    /// The channel, resolved for this customer.
    pub channel: ActionChannel,
    /// The rule that produced it.
    pub rule: RuleKey,
}

/// The guardrail that held an action back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Guardrail {
    /// The same action, or a conflicting one, came from a higher rule.
    Conflict {
        /// The rule whose action stays.
        with: RuleKey,
    },
    /// A discount for a customer whose orders are mostly discounted.
    Discount,
    /// Quiet hours on this channel.
    QuietHours,
    /// A frequency cap (its position in [`Guardrails::caps`]).
    FrequencyCap {
        /// The cap's position.
        cap: usize,
    },
}

/// An action a rule fired but a guardrail held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppressed {
    /// What would have been recommended.
    pub recommendation: Recommendation,
    /// Why it was not.
    pub by: Guardrail,
}

/// The result of evaluating a rule set for one customer: reuse one across
/// customers ([`RuleSet::evaluate_into`]) and nothing allocates once it
/// has grown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The actions, best first.
    pub actions: Vec<Recommendation>,
    /// The actions held back, in rule order.
    pub suppressed: Vec<Suppressed>,
}

impl Evaluation {
    /// The top action, if any.
    #[must_use]
    pub fn top(&self) -> Option<&Recommendation> {
        self.actions.first()
    }
}

/// A recommended action spelled out, for people and JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextAction {
    /// The action's name.
    pub action: String,
    /// Its description.
    pub description: String,
    /// The channel.
    pub channel: ActionChannel,
    /// The rule's id.
    pub rule: String,
    /// The rule's reason.
    pub reason: String,
}

/// What serializes: the rule set as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSetData {
    /// User-defined actions.
    #[serde(default)]
    pub custom_actions: Vec<CustomAction>,
    /// The rules.
    pub rules: Vec<Rule>,
    /// The guardrails.
    #[serde(default)]
    pub guardrails: Guardrails,
}

#[derive(Debug, Clone, PartialEq)]
struct Cap {
    action: Option<u16>,
    channel: Option<ActionChannel>,
    max: u32,
    window_micros: i64,
}

#[derive(Debug, Clone, PartialEq)]
struct Compiled {
    rules: Vec<CompiledRule>,
    /// Rule positions, highest priority first, ties by id.
    order: Vec<u32>,
    /// The rules' prefilters, in `order`.
    prefilters: Vec<[u64; PREFILTER]>,
    caps: Vec<Cap>,
    quiet: Option<(u8, u8, i64, u8)>,
    discount_share: f64,
    /// Per action, a bit set of the actions it conflicts with (by index).
    conflicts: Vec<Vec<u16>>,
    discount_action: Vec<bool>,
    max_actions: usize,
}

/// A validated set of rules with its guardrails, ready to evaluate.
///
/// It serializes as [`RuleSetData`] and is checked again when read back.
///
/// ```
/// use cxjourney::action::{BuiltinAction, CustomerContext, RuleSet};
/// use cxjourney::{CustomerId, Persona};
/// let rules = RuleSet::default();
/// let mut ctx = CustomerContext::new(CustomerId(7));
/// ctx.primary = Some(Persona::Researcher);
/// let now = chrono::DateTime::parse_from_rfc3339("2024-11-11T05:00:00Z").unwrap().to_utc();
/// let actions = rules.next_best_actions(&ctx, &[], now);
/// assert_eq!(actions[0].action, BuiltinAction::ComparisonAndReviews.as_str());
/// assert_eq!(actions[0].rule, "researcher_comparison");
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RuleSetData", into = "RuleSetData")]
pub struct RuleSet {
    data: RuleSetData,
    compiled: Compiled,
}

impl From<RuleSet> for RuleSetData {
    fn from(set: RuleSet) -> RuleSetData {
        set.data
    }
}

impl TryFrom<RuleSetData> for RuleSet {
    type Error = Error;
    fn try_from(data: RuleSetData) -> Result<RuleSet> {
        RuleSet::new(data)
    }
}

const MAX_CUSTOM_ACTIONS: usize = 1_024;

fn config_error(field: &'static str, value: impl ToString, reason: &'static str) -> Error {
    Error::InvalidConfig {
        field,
        value: value.to_string(),
        reason,
    }
}

impl RuleSet {
    /// Validates and compiles a rule set.
    ///
    /// # Errors
    /// [`Error::InvalidRule`] naming the rule for a rule with an unknown
    /// name (persona, stage, dimension, action, channel), an impossible
    /// threshold (a score outside [0, 1], hours below zero, a range whose
    /// end is below its start), a condition that can never hold (an empty
    /// list), or an id used twice; [`Error::InvalidConfig`] for a custom
    /// action or guardrail that does not validate; [`Error::TooMuchWork`]
    /// for more than [`MAX_RULES`] rules or 1,024 custom actions.
    pub fn new(data: RuleSetData) -> Result<RuleSet> {
        if data.rules.len() > MAX_RULES {
            return Err(Error::TooMuchWork {
                what: "rules in a rule set",
                limit: MAX_RULES as u64,
            });
        }
        if data.custom_actions.len() > MAX_CUSTOM_ACTIONS {
            return Err(Error::TooMuchWork {
                what: "custom actions in a rule set",
                limit: MAX_CUSTOM_ACTIONS as u64,
            });
        }
        for (i, c) in data.custom_actions.iter().enumerate() {
            CustomName::new("action", &c.name, c.name.parse::<BuiltinAction>().is_ok())?;
            if data.custom_actions.iter().take(i).any(|d| d.name == c.name) {
                return Err(config_error(
                    "custom_actions.name",
                    &c.name,
                    "declared twice",
                ));
            }
        }
        let mut rules = Vec::with_capacity(data.rules.len());
        for (i, r) in data.rules.iter().enumerate() {
            if data.rules.iter().take(i).any(|s| s.id == r.id) {
                return Err(rule_error(&r.id, "the id is used by another rule"));
            }
            rules.push(r.compile(&data.custom_actions)?);
        }
        let mut order: Vec<u32> = (0..rules.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (ra, rb) = (data.rules.get(a as usize), data.rules.get(b as usize));
            let pa = ra.map_or(0, |r| r.priority);
            let pb = rb.map_or(0, |r| r.priority);
            pb.cmp(&pa)
                .then_with(|| ra.map(|r| r.id.as_str()).cmp(&rb.map(|r| r.id.as_str())))
        });
        let g = &data.guardrails;
        let n_actions = BuiltinAction::ALL.len() + data.custom_actions.len();
        let action = |field: &'static str, name: &str| {
            action_index(name, &data.custom_actions)
                .ok_or_else(|| config_error(field, name, "unknown action"))
        };
        let channel = |field: &'static str, name: &str| {
            name.parse::<ActionChannel>()
                .map_err(|_| config_error(field, name, "unknown channel"))
        };
        let mut caps = Vec::with_capacity(g.caps.len());
        for c in &g.caps {
            if c.max == 0 {
                return Err(config_error(
                    "guardrails.caps.max",
                    c.max,
                    "must be at least 1",
                ));
            }
            if !(1..=8_784).contains(&c.window_hours) {
                return Err(config_error(
                    "guardrails.caps.window_hours",
                    c.window_hours,
                    "must be 1..=8784 (a year)",
                ));
            }
            caps.push(Cap {
                action: c
                    .action
                    .as_deref()
                    .map(|a| action("guardrails.caps.action", a))
                    .transpose()?,
                channel: c
                    .channel
                    .as_deref()
                    .map(|a| channel("guardrails.caps.channel", a))
                    .transpose()?,
                max: c.max,
                window_micros: i64::from(c.window_hours) * 3_600_000_000,
            });
        }
        let quiet = match &g.quiet_hours {
            None => None,
            Some(q) => {
                if q.start_hour > 23 || q.end_hour > 23 {
                    return Err(config_error(
                        "guardrails.quiet_hours",
                        format!("{}..{}", q.start_hour, q.end_hour),
                        "hours must be 0..=23",
                    ));
                }
                if !(-18 * 60..=18 * 60).contains(&q.utc_offset_minutes) {
                    return Err(config_error(
                        "guardrails.quiet_hours.utc_offset_minutes",
                        q.utc_offset_minutes,
                        "must be within -1080..=1080 (±18 hours)",
                    ));
                }
                let mut mask = 0u8;
                for c in &q.channels {
                    mask |= 1 << channel("guardrails.quiet_hours.channels", c)?.index();
                }
                Some((
                    q.start_hour,
                    q.end_hour,
                    i64::from(q.utc_offset_minutes) * 60,
                    mask,
                ))
            }
        };
        if !(0.0..=1.0).contains(&g.mostly_discounted_share) {
            return Err(config_error(
                "guardrails.mostly_discounted_share",
                g.mostly_discounted_share,
                "must be in [0, 1]",
            ));
        }
        if !(1..=16).contains(&g.max_actions) {
            return Err(config_error(
                "guardrails.max_actions",
                g.max_actions,
                "must be 1..=16",
            ));
        }
        let mut conflicts = vec![Vec::new(); n_actions];
        for [a, b] in &g.conflicts {
            let (a, b) = (
                action("guardrails.conflicts", a)?,
                action("guardrails.conflicts", b)?,
            );
            if let Some(v) = conflicts.get_mut(a as usize) {
                v.push(b);
            }
            if let Some(v) = conflicts.get_mut(b as usize) {
                v.push(a);
            }
        }
        let discount_action = BuiltinAction::ALL
            .iter()
            .map(|a| a.is_discount())
            .chain(data.custom_actions.iter().map(|c| c.discount))
            .collect();
        let prefilters = order
            .iter()
            .filter_map(|&i| rules.get(i as usize).map(|r| r.prefilter))
            .collect();
        let compiled = Compiled {
            rules,
            order,
            prefilters,
            caps,
            quiet,
            discount_share: g.mostly_discounted_share,
            conflicts,
            discount_action,
            max_actions: usize::from(g.max_actions),
        };
        Ok(RuleSet { data, compiled })
    }

    /// A set without rules (it recommends nothing) and without guardrails.
    pub(crate) fn empty() -> RuleSet {
        let data = RuleSetData {
            custom_actions: Vec::new(),
            rules: Vec::new(),
            guardrails: Guardrails {
                caps: Vec::new(),
                quiet_hours: None,
                mostly_discounted_share: 1.0,
                conflicts: Vec::new(),
                max_actions: 3,
            },
        };
        let compiled = Compiled {
            rules: Vec::new(),
            order: Vec::new(),
            prefilters: Vec::new(),
            caps: Vec::new(),
            quiet: None,
            discount_share: 1.0,
            conflicts: vec![Vec::new(); BuiltinAction::ALL.len()],
            discount_action: BuiltinAction::ALL.iter().map(|a| a.is_discount()).collect(),
            max_actions: 3,
        };
        RuleSet { data, compiled }
    }

    /// The rules, in the order given (a [`RuleKey`] is a position here).
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.data.rules
    }

    /// The rule set as data.
    #[must_use]
    pub fn data(&self) -> &RuleSetData {
        &self.data
    }

    /// The rule of a key.
    #[must_use]
    pub fn rule(&self, key: RuleKey) -> Option<&Rule> {
        self.data.rules.get(key.0 as usize)
    }

    /// The key of an action name (built-in or custom).
    #[must_use]
    pub fn action_key(&self, name: &str) -> Option<ActionKey> {
        action_index(name, &self.data.custom_actions).map(ActionKey)
    }

    /// The name of an action.
    #[must_use]
    pub fn action_name(&self, key: ActionKey) -> Option<&str> {
        let i = usize::from(key.0);
        match BuiltinAction::ALL.get(i) {
            Some(a) => Some(a.as_str()),
            None => self
                .data
                .custom_actions
                .get(i - BuiltinAction::ALL.len())
                .map(|c| c.name.as_str()),
        }
    }

    /// The description of an action (English for the built-in ones).
    #[must_use]
    pub fn action_description(&self, key: ActionKey) -> Option<&str> {
        let i = usize::from(key.0);
        match BuiltinAction::ALL.get(i) {
            Some(a) => Some(a.description()),
            None => self
                .data
                .custom_actions
                .get(i - BuiltinAction::ALL.len())
                .map(|c| c.description.as_str()),
        }
    }

    /// Evaluates the rules for one customer at `now`, given the actions sent
    /// to them before (`history`, any order), into `out` (cleared first).
    ///
    /// Rules are tried highest priority first (ties in id order). A rule
    /// whose conditions all hold proposes its action on its channel; the
    /// proposal is held back (and listed in [`Evaluation::suppressed`])
    /// when a higher rule already chose the same or a conflicting action,
    /// when it is a discount for a mostly-discounted customer and the rule
    /// does not allow it, in quiet hours on a quiet channel, or when a
    /// frequency cap, counting the history and the actions already chosen,
    /// is full. Evaluation stops at `max_actions` actions.
    pub fn evaluate_into(
        &self,
        ctx: &CustomerContext,
        history: &[SentAction],
        now: DateTime<Utc>,
        out: &mut Evaluation,
    ) {
        out.actions.clear();
        out.suppressed.clear();
        let c = &self.compiled;
        let now_us = now.timestamp_micros();
        let quiet_mask = match c.quiet {
            Some((start, end, offset, mask)) => {
                let local = now.timestamp().saturating_add(offset);
                let hour = local.rem_euclid(86_400) / 3_600;
                let (s, e) = (i64::from(start), i64::from(end));
                let quiet = if s < e {
                    s <= hour && hour < e
                } else if s > e {
                    hour >= s || hour < e
                } else {
                    false
                };
                if quiet { mask } else { 0 }
            }
            None => 0,
        };
        let mostly_discounted = ctx.orders > 0 && ctx.discounted_order_share >= c.discount_share;
        let facts = facts(ctx);
        // 64 rules at a time: one word of the rules the facts allow, in a
        // tight loop, then only those rules are read.
        for (chunk, pre) in c.prefilters.chunks(64).enumerate() {
            let mut candidates = 0u64;
            for (i, &[a, b, m2, d]) in pre.iter().enumerate() {
                let ok = (facts & a != 0) & (facts & b != 0) & (facts & m2 != 0) & (facts & d != 0);
                candidates |= u64::from(ok) << i;
            }
            while candidates != 0 {
                let i = chunk * 64 + candidates.trailing_zeros() as usize;
                candidates &= candidates - 1;
                if out.actions.len() >= c.max_actions {
                    return;
                }
                let Some(&ri) = c.order.get(i) else {
                    continue;
                };
                self.consider(ri, ctx, history, now_us, quiet_mask, mostly_discounted, out);
            }
        }
    }

    /// Tries one rule whose prefilter passed.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn consider(
        &self,
        ri: u32,
        ctx: &CustomerContext,
        history: &[SentAction],
        now_us: i64,
        quiet_mask: u8,
        mostly_discounted: bool,
        out: &mut Evaluation,
    ) {
        let c = &self.compiled;
        {
            let Some(rule) = c.rules.get(ri as usize) else {
                return;
            };
            if !rule.conds.iter().all(|cond| cond.holds(ctx)) {
                return;
            }
            let rec = Recommendation {
                action: ActionKey(rule.action),
                channel: resolve(rule.channel, ctx),
                rule: RuleKey(ri),
            };
            let conflicts = c.conflicts.get(usize::from(rule.action));
            let by = if let Some(prev) = out.actions.iter().find(|p| {
                p.action == rec.action || conflicts.is_some_and(|v| v.contains(&p.action.0))
            }) {
                Some(Guardrail::Conflict { with: prev.rule })
            } else if mostly_discounted
                && !rule.allow_discount
                && c.discount_action.get(usize::from(rule.action)) == Some(&true)
            {
                Some(Guardrail::Discount)
            } else if quiet_mask & (1 << rec.channel.index()) != 0 {
                Some(Guardrail::QuietHours)
            } else {
                c.caps
                    .iter()
                    .position(|cap| cap_full(cap, &rec, history, &out.actions, now_us))
                    .map(|cap| Guardrail::FrequencyCap { cap })
            };
            match by {
                None => out.actions.push(rec),
                Some(by) => out.suppressed.push(Suppressed {
                    recommendation: rec,
                    by,
                }),
            }
        }
    }

    /// [`evaluate_into`](RuleSet::evaluate_into) into a new [`Evaluation`].
    #[must_use]
    pub fn evaluate(
        &self,
        ctx: &CustomerContext,
        history: &[SentAction],
        now: DateTime<Utc>,
    ) -> Evaluation {
        let mut out = Evaluation::default();
        self.evaluate_into(ctx, history, now, &mut out);
        out
    }

    /// The recommended actions spelled out: names, descriptions, rule ids
    /// and reasons, best first.
    #[must_use]
    pub fn next_best_actions(
        &self,
        ctx: &CustomerContext,
        history: &[SentAction],
        now: DateTime<Utc>,
    ) -> Vec<NextAction> {
        self.spell(&self.evaluate(ctx, history, now))
    }

    /// An evaluation's actions spelled out.
    #[must_use]
    pub fn spell(&self, evaluation: &Evaluation) -> Vec<NextAction> {
        evaluation
            .actions
            .iter()
            .filter_map(|r| {
                let rule = self.rule(r.rule)?;
                Some(NextAction {
                    action: self.action_name(r.action)?.to_owned(),
                    description: self.action_description(r.action)?.to_owned(),
                    channel: r.channel,
                    rule: rule.id.clone(),
                    reason: rule.reason.clone(),
                })
            })
            .collect()
    }
}

fn cap_full(
    cap: &Cap,
    rec: &Recommendation,
    history: &[SentAction],
    chosen: &[Recommendation],
    now_us: i64,
) -> bool {
    let hit = |a: ActionKey, ch: ActionChannel| {
        cap.action.is_none_or(|x| x == a.0) && cap.channel.is_none_or(|x| x == ch)
    };
    if !hit(rec.action, rec.channel) {
        return false;
    }
    let since = now_us.saturating_sub(cap.window_micros);
    let sent = history
        .iter()
        .filter(|s| hit(s.action, s.channel) && s.at.timestamp_micros() > since)
        .count();
    let planned = chosen.iter().filter(|p| hit(p.action, p.channel)).count();
    (sent + planned) as u64 >= u64::from(cap.max)
}

/// The context's facts word (see [`fact`]).
#[inline]
fn facts(ctx: &CustomerContext) -> u64 {
    let mut f = fact::ALWAYS;
    let bit = |on: bool, b: u64| if on { b } else { 0 };
    if let Some(p) = ctx.primary {
        f |= 1 << (fact::PRIMARY + p.index() as u32);
    }
    if let Some(s) = ctx.stage {
        f |= 1 << (fact::STAGE + s.index() as u32);
    }
    if let Some(d) = ctx.weakest_dimension {
        f |= 1 << (fact::WEAKEST + d.index() as u32);
    }
    let e = &ctx.events;
    f | bit(e.failed_delivery, fact::FAILED_DELIVERY)
        | bit(e.refund_pending, fact::REFUND_PENDING)
        | bit(e.support_unanswered, fact::SUPPORT_UNANSWERED)
        | bit(ctx.campaign_day, fact::CAMPAIGN_DAY)
        | bit(e.cart_abandoned_hours.is_some(), fact::CART_OPEN)
        | bit(ctx.rto_risk.is_some(), fact::RTO_KNOWN)
        | bit(ctx.days_since_last_order.is_some(), fact::LAST_ORDER_KNOWN)
}

/// The channel of a choice for this customer.
pub(crate) fn resolve(choice: ChannelChoice, ctx: &CustomerContext) -> ActionChannel {
    match choice {
        ChannelChoice::Onsite => ActionChannel::Onsite,
        ChannelChoice::Sms => ActionChannel::Sms,
        ChannelChoice::Whatsapp => ActionChannel::Whatsapp,
        ChannelChoice::Email => ActionChannel::Email,
        ChannelChoice::Push => ActionChannel::Push,
        ChannelChoice::CustomerService => ActionChannel::CustomerService,
        ChannelChoice::Operations => ActionChannel::Operations,
        ChannelChoice::PreferredReminder => {
            if ctx.checkout.reminder_need == Some(ReminderNeed::CustomerService) {
                return ActionChannel::CustomerService;
            }
            let by = &ctx.checkout.reminders_by_channel;
            let mut best: Option<(usize, u32)> = None;
            for (i, &n) in by.iter().enumerate() {
                if n > 0 && best.is_none_or(|(_, b)| n > b) {
                    best = Some((i, n));
                }
            }
            match best.and_then(|(i, _)| ReminderChannel::ALL.get(i)) {
                Some(ReminderChannel::Sms) => ActionChannel::Sms,
                Some(ReminderChannel::Whatsapp) => ActionChannel::Whatsapp,
                Some(ReminderChannel::Push) => ActionChannel::Push,
                Some(ReminderChannel::CustomerService) => ActionChannel::CustomerService,
                Some(ReminderChannel::Email) | None => ActionChannel::Email,
            }
        }
    }
}

impl Cond {
    #[inline]
    pub(crate) fn holds(&self, ctx: &CustomerContext) -> bool {
        let bit = |m: u8, i: usize| m & (1u8 << (i & 7)) != 0;
        match self {
            Cond::Score(i, min) => ctx.scores.get(*i).is_some_and(|s| s >= min),
            Cond::Primary(m) => ctx.primary.is_some_and(|p| bit(*m, p.index())),
            Cond::Stage(m) => ctx.stage.is_some_and(|s| bit(*m, s.index())),
            Cond::Weakest(m) => ctx.weakest_dimension.is_some_and(|d| bit(*m, d.index())),
            Cond::Checkout(t) => ctx.checkout.checkout == Some(*t),
            Cond::Payment(m) => ctx
                .checkout
                .payment_style
                .is_some_and(|s| bit(*m, s.index())),
            Cond::Reminder(m) => ctx
                .checkout
                .reminder_need
                .is_some_and(|s| bit(*m, s.index())),
            Cond::Upsell(min) => ctx.checkout.upsell_susceptibility >= *min,
            Cond::Discounted(min) => ctx.discounted_order_share >= *min,
            Cond::Orders(min) => ctx.orders >= *min,
            Cond::DaysSince(min) => ctx.days_since_last_order.is_some_and(|d| d >= *min),
            Cond::Rfm(v) => ctx
                .rfm_segment
                .as_deref()
                .is_some_and(|s| v.iter().any(|x| x == s)),
            Cond::Rto(min) => ctx.rto_risk.is_some_and(|r| r >= *min),
            Cond::Cart(lo, hi) => ctx
                .events
                .cart_abandoned_hours
                .is_some_and(|h| h >= *lo && h <= *hi),
            Cond::FailedDelivery => ctx.events.failed_delivery,
            Cond::RefundPending => ctx.events.refund_pending,
            Cond::SupportUnanswered => ctx.events.support_unanswered,
            Cond::CampaignDay => ctx.campaign_day,
            Cond::Not(c) => !c.holds(ctx),
        }
    }
}
