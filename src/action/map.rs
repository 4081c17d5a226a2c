//! Journey maps: stages by lanes, filled from measured evidence.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::context::{CustomerContext, RecentEvents};
use super::eval::{Evaluation, RuleSet};
use crate::log::JourneyView;
use crate::model::{Dimension, Persona, Stage};
use crate::survey::PyramidReport;

/// The map format's name, in every map's `format` field.
pub const MAP_FORMAT: &str = "cxjourney.journey_map";
/// The map format's version, in every map's `version` field. The JSON
/// Schema of version 1 is `schemas/journey_map.v1.json` in the repository.
pub const MAP_VERSION: u32 = 1;

/// How many entries each list lane keeps.
const TOP: usize = 3;

/// A journey map: the five stages, each with the lanes doing, thinking,
/// feeling (an emotion score in −2..=+2 and its evidence), touchpoints,
/// pain points and opportunities.
///
/// Serialized, it is the documented, versioned JSON format
/// (`format` = [`MAP_FORMAT`], `version` = [`MAP_VERSION`]) whose JSON
/// Schema is `schemas/journey_map.v1.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneyMap {
    /// Always [`MAP_FORMAT`].
    pub format: String,
    /// Always [`MAP_VERSION`].
    pub version: u32,
    /// The persona the map is for; `None`: everyone.
    pub persona: Option<Persona>,
    /// When the evidence was taken.
    pub as_of: DateTime<Utc>,
    /// Customers on the map.
    pub customers: u64,
    /// One entry per stage, in stage order.
    pub stages: Vec<StageLanes>,
}

/// One stage of a journey map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageLanes {
    /// The stage.
    pub stage: Stage,
    /// Customers who entered the stage.
    pub entered: u64,
    /// Customers whose current stage it is.
    pub current: u64,
    /// The emotion score in −2..=+2: the mean of the feeling evidence;
    /// `None` without evidence.
    pub emotion: Option<f64>,
    /// Doing: the most frequent touchpoint kinds in the stage.
    pub doing: Vec<Count>,
    /// Thinking: the primary personas of the customers at the stage, with
    /// the source's description of what they think.
    pub thinking: Vec<Thought>,
    /// Feeling: the evidence behind the emotion score.
    pub feeling: Vec<Feeling>,
    /// Touchpoints: the most used channels in the stage.
    pub touchpoints: Vec<Count>,
    /// Pain points, biggest first.
    pub pain_points: Vec<PainPoint>,
    /// Opportunities: the actions the rules fire most for customers at the
    /// stage.
    pub opportunities: Vec<Opportunity>,
}

/// A name with a count and its share of the stage's rows or customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    /// A touchpoint kind or channel.
    pub name: String,
    /// How many rows.
    pub count: u64,
    /// Share of the stage's rows, in [0, 1].
    pub share: f64,
}

/// A persona in the thinking lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thought {
    /// The persona.
    pub persona: Persona,
    /// Share of the stage's current customers, in [0, 1].
    pub share: f64,
    /// What they think, in the source's words.
    pub text: String,
}

/// Where a feeling component comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeelingSource {
    /// Progress: 2 − 4 × the share of the stage's customers who went no
    /// further (awareness, consideration), did not order (decision), or met
    /// trouble (retention: a failed delivery, a pending refund, an
    /// unanswered contact).
    Progress,
    /// The CX pyramid score (0..100) of the stage's dimension:
    /// (score − 50) / 25. Awareness and consideration: online experience;
    /// decision: trust; retention: fulfilment and responsive service;
    /// advocacy: emotional connection.
    Pyramid,
    /// The NPS (−100..100), at advocacy: NPS / 50.
    Nps,
}

/// One component of a stage's emotion score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feeling {
    /// Where it comes from.
    pub source: FeelingSource,
    /// The component in −2..=+2.
    pub value: f64,
    /// The measurement in words.
    pub detail: String,
}

/// What hurts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PainKind {
    /// Customers who entered the stage went no further (or did not order).
    DropOff,
    /// The slowest move to the next stage (median hours).
    SlowStep,
    /// A delivery attempt without a delivery after it.
    FailedDelivery,
    /// A return or refund.
    Refund,
    /// A support contact without an answer.
    UnansweredSupport,
}

/// A pain point of a stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PainPoint {
    /// What hurts.
    pub kind: PainKind,
    /// Customers concerned.
    pub customers: u64,
    /// Share of the stage's entered customers, in [0, 1].
    pub share: f64,
    /// The measurement in words.
    pub text: String,
}

/// An opportunity: an action the rules fire for customers at the stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opportunity {
    /// The action's name.
    pub action: String,
    /// The rule that fired it most.
    pub rule: String,
    /// Customers it was recommended to.
    pub customers: u64,
    /// Its description.
    pub text: String,
}

#[derive(Debug, Default, Clone)]
struct StageTally {
    entered: u64,
    current: u64,
    stopped: u64,
    rows: u64,
    kinds: BTreeMap<String, u64>,
    channels: BTreeMap<String, u64>,
    personas: [u64; 6],
    /// Hours from entering this stage to entering the next one.
    to_next_hours: Vec<f64>,
    /// (action, rule) -> customers.
    fired: BTreeMap<(String, String), u64>,
}

/// Builds a [`JourneyMap`] one customer at a time.
///
/// ```
/// use chrono::{TimeZone, TimeDelta, Utc};
/// use cxjourney::action::{CustomerContext, JourneyMapBuilder, RuleSet};
/// use cxjourney::{BuiltinKind as K, CustomerId, Journey, JourneyConfig, Stage, Touchpoint};
/// let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 2, 0, 0).unwrap();
/// let c = CustomerId(1);
/// let journey = Journey::new(vec![
///     Touchpoint::new(c, t0, K::AdClick),
///     Touchpoint::new(c, t0 + TimeDelta::minutes(1), K::ProductView),
///     Touchpoint::new(c, t0 + TimeDelta::minutes(2), K::AddToCart),
/// ], &JourneyConfig::default())?;
/// let rules = RuleSet::default();
/// let as_of = t0 + TimeDelta::hours(3);
/// let mut builder = JourneyMapBuilder::new(None, as_of);
/// let mut ctx = CustomerContext::new(c);
/// ctx.stage = Some(Stage::Decision);
/// ctx.events.cart_abandoned_hours = Some(3.0);
/// let evaluation = rules.evaluate(&ctx, &[], as_of);
/// builder.add(&journey.view(), &ctx, &rules, &evaluation);
/// let map = builder.finish(None, None);
/// assert_eq!(map.stages[2].opportunities[0].action, "cart_reminder");
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct JourneyMapBuilder {
    persona: Option<Persona>,
    as_of: DateTime<Utc>,
    customers: u64,
    stages: [StageTally; 5],
    failed_delivery: u64,
    refund: u64,
    unanswered: u64,
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}

fn share(n: u64, d: u64) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn top(map: &BTreeMap<String, u64>, total: u64) -> Vec<Count> {
    let mut v: Vec<(&String, &u64)> = map.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    v.into_iter()
        .take(TOP)
        .map(|(name, &count)| Count {
            name: name.clone(),
            count,
            share: round2(share(count, total)),
        })
        .collect()
}

impl JourneyMapBuilder {
    /// A builder for the customers of one persona (`Some`) or everyone.
    #[must_use]
    pub fn new(persona: Option<Persona>, as_of: DateTime<Utc>) -> JourneyMapBuilder {
        JourneyMapBuilder {
            persona,
            as_of,
            customers: 0,
            stages: Default::default(),
            failed_delivery: 0,
            refund: 0,
            unanswered: 0,
        }
    }

    /// Adds one customer: the journey (rows after `as_of` are left out),
    /// the context the rules read and the rules' evaluation for it. A
    /// customer of another persona than the builder's is skipped.
    pub fn add(
        &mut self,
        view: &JourneyView<'_>,
        ctx: &CustomerContext,
        rules: &RuleSet,
        evaluation: &Evaluation,
    ) {
        if self.persona.is_some() && ctx.primary != self.persona {
            return;
        }
        self.customers += 1;
        let limit = self.as_of.timestamp_micros();
        let mut entered_at: [Option<i64>; 5] = [None; 5];
        for (i, row) in view.rows().enumerate() {
            if row.micros() > limit {
                break;
            }
            let Some(stage) = view.stage_of(i) else {
                continue;
            };
            let s = stage.index();
            if let Some(slot) = entered_at.get_mut(s) {
                slot.get_or_insert(row.micros());
            }
            if let Some(t) = self.stages.get_mut(s) {
                t.rows += 1;
                bump(&mut t.kinds, row.kind().as_str());
                bump(&mut t.channels, row.channel().as_str());
            }
        }
        let furthest = entered_at.iter().rposition(Option::is_some);
        let events = RecentEvents::from_view(view, self.as_of);
        let trouble = events.failed_delivery || events.refund_pending || events.support_unanswered;
        self.failed_delivery += u64::from(events.failed_delivery);
        self.unanswered += u64::from(events.support_unanswered);
        let refunded = view.rows().any(|r| {
            r.micros() <= limit
                && r.builtin_kind().is_some_and(|k| {
                    matches!(
                        k,
                        crate::model::BuiltinKind::Refund
                            | crate::model::BuiltinKind::ReturnRequested
                    )
                })
        });
        self.refund += u64::from(refunded);
        let converted = view.converted();
        for (s, at) in entered_at.iter().enumerate() {
            let Some(at) = at else { continue };
            let next = entered_at.iter().skip(s + 1).flatten().next();
            let Some(t) = self.stages.get_mut(s) else {
                continue;
            };
            t.entered += 1;
            let stopped = match Stage::ALL.get(s) {
                Some(Stage::Awareness | Stage::Consideration) => furthest == Some(s),
                Some(Stage::Decision) => !converted,
                Some(Stage::Retention) => trouble,
                _ => false,
            };
            t.stopped += u64::from(stopped);
            if let Some(next) = next {
                t.to_next_hours
                    .push(next.saturating_sub(*at) as f64 / 3_600_000_000.0);
            }
        }
        if let Some(t) = ctx.stage.and_then(|s| self.stages.get_mut(s.index())) {
            t.current += 1;
            if let Some(n) = ctx.primary.and_then(|p| t.personas.get_mut(p.index())) {
                *n += 1;
            }
            for r in &evaluation.actions {
                let (Some(action), Some(rule)) = (rules.action_name(r.action), rules.rule(r.rule))
                else {
                    continue;
                };
                let key = (action.to_owned(), rule.id.clone());
                *t.fired.entry(key).or_insert(0) += 1;
            }
        }
    }

    /// The map, with the pyramid's dimension scores and the NPS as
    /// feeling evidence when given.
    #[must_use]
    pub fn finish(self, pyramid: Option<&PyramidReport>, nps: Option<f64>) -> JourneyMap {
        let slowest = self
            .stages
            .iter()
            .enumerate()
            .filter_map(|(s, t)| median(&t.to_next_hours).map(|m| (s, m)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let mut stages = Vec::with_capacity(5);
        for (s, (stage, t)) in Stage::ALL.iter().zip(&self.stages).enumerate() {
            let mut feeling = Vec::new();
            let mut pain = Vec::new();
            let stop = share(t.stopped, t.entered);
            if t.entered > 0 && *stage != Stage::Advocacy {
                let what = match stage {
                    Stage::Decision => "did not order",
                    Stage::Retention => "met trouble after ordering",
                    _ => "went no further",
                };
                feeling.push(Feeling {
                    source: FeelingSource::Progress,
                    value: round2(2.0 - 4.0 * stop),
                    detail: format!(
                        "{:.0}% of the {} customers who entered {} {}",
                        100.0 * stop,
                        t.entered,
                        stage,
                        what
                    ),
                });
                if *stage != Stage::Retention && t.stopped > 0 {
                    pain.push(PainPoint {
                        kind: PainKind::DropOff,
                        customers: t.stopped,
                        share: round2(stop),
                        text: format!("{:.0}% {what} after entering {stage}", 100.0 * stop),
                    });
                }
            }
            if *stage == Stage::Retention {
                for (kind, n, what) in [
                    (
                        PainKind::FailedDelivery,
                        self.failed_delivery,
                        "a failed delivery attempt",
                    ),
                    (PainKind::Refund, self.refund, "a return or refund"),
                    (
                        PainKind::UnansweredSupport,
                        self.unanswered,
                        "an unanswered support contact",
                    ),
                ] {
                    if n > 0 {
                        pain.push(PainPoint {
                            kind,
                            customers: n,
                            share: round2(share(n, t.entered)),
                            text: format!("{n} customers with {what}"),
                        });
                    }
                }
            }
            if let Some((slow, hours)) = slowest.filter(|(slow, _)| *slow == s) {
                let next = Stage::ALL
                    .get(slow + 1)
                    .map_or("the next stage", |n| n.as_str());
                pain.push(PainPoint {
                    kind: PainKind::SlowStep,
                    customers: t.to_next_hours.len() as u64,
                    share: round2(share(t.to_next_hours.len() as u64, t.entered)),
                    text: format!(
                        "the slowest step: median {:.1} hours from {stage} to {next}",
                        hours
                    ),
                });
            }
            pain.sort_by(|a, b| {
                b.share
                    .total_cmp(&a.share)
                    .then(a.customers.cmp(&b.customers))
            });
            pain.truncate(TOP);
            if let Some(report) = pyramid {
                let dims: &[Dimension] = match stage {
                    Stage::Awareness | Stage::Consideration => &[Dimension::OnlineExperience],
                    Stage::Decision => &[Dimension::Trust],
                    Stage::Retention => &[Dimension::Fulfilment, Dimension::ResponsiveService],
                    Stage::Advocacy => &[Dimension::EmotionalConnection],
                };
                for d in dims {
                    if let Some(score) = report
                        .dimensions
                        .get(d)
                        .and_then(|r| r.score_0_100)
                        .filter(|s| s.is_finite())
                    {
                        feeling.push(Feeling {
                            source: FeelingSource::Pyramid,
                            value: round2(((score - 50.0) / 25.0).clamp(-2.0, 2.0)),
                            detail: format!("CX pyramid {d}: {score:.1} of 100"),
                        });
                    }
                }
            }
            if let (Stage::Advocacy, Some(nps)) = (stage, nps.filter(|n| n.is_finite())) {
                feeling.push(Feeling {
                    source: FeelingSource::Nps,
                    value: round2((nps / 50.0).clamp(-2.0, 2.0)),
                    detail: format!("NPS {nps:.1}"),
                });
            }
            let emotion = (!feeling.is_empty()).then(|| {
                round2(feeling.iter().map(|f| f.value).sum::<f64>() / feeling.len() as f64)
            });
            let mut thinking: Vec<Thought> = Persona::ALL
                .iter()
                .zip(t.personas)
                .filter(|(_, n)| *n > 0)
                .map(|(p, n)| Thought {
                    persona: *p,
                    share: round2(share(n, t.current)),
                    text: p.description_id().to_owned(),
                })
                .collect();
            thinking.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.persona.cmp(&b.persona)));
            thinking.truncate(TOP);
            // Per action: customers, and the rule that fired it most.
            let mut by_action: BTreeMap<&str, (u64, &str, u64)> = BTreeMap::new();
            for ((action, rule), &n) in &t.fired {
                let e = by_action
                    .entry(action.as_str())
                    .or_insert((0, rule.as_str(), 0));
                e.0 += n;
                if n > e.2 {
                    e.1 = rule.as_str();
                    e.2 = n;
                }
            }
            let mut opportunities: Vec<Opportunity> = by_action
                .into_iter()
                .map(|(action, (n, rule, _))| Opportunity {
                    action: action.to_owned(),
                    rule: rule.to_owned(),
                    customers: n,
                    text: action
                        .parse::<super::BuiltinAction>()
                        .map_or_else(|_| action.to_owned(), |a| a.description().to_owned()),
                })
                .collect();
            opportunities
                .sort_by(|a, b| b.customers.cmp(&a.customers).then(a.action.cmp(&b.action)));
            opportunities.truncate(TOP);
            stages.push(StageLanes {
                stage: *stage,
                entered: t.entered,
                current: t.current,
                emotion,
                doing: top(&t.kinds, t.rows),
                thinking,
                feeling,
                touchpoints: top(&t.channels, t.rows),
                pain_points: pain,
                opportunities,
            });
        }
        JourneyMap {
            format: MAP_FORMAT.to_owned(),
            version: MAP_VERSION,
            persona: self.persona,
            as_of: self.as_of,
            customers: self.customers,
            stages,
        }
    }
}

fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let mid = s.len() / 2;
    if s.len() % 2 == 1 {
        s.get(mid).copied()
    } else {
        Some((s.get(mid - 1)? + s.get(mid)?) / 2.0)
    }
}

impl std::fmt::Display for JourneyMap {
    /// The map as text, one block per stage.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = self.persona.map_or("everyone", Persona::as_str);
        writeln!(
            f,
            "journey map for {who}: {} customers, as of {}",
            self.customers, self.as_of
        )?;
        for s in &self.stages {
            let emotion = s.emotion.map_or("n/a".to_owned(), |e| format!("{e:+.2}"));
            writeln!(
                f,
                "{} (entered {}, now {}), emotion {emotion}",
                s.stage, s.entered, s.current
            )?;
            let names = |v: &[Count]| {
                v.iter()
                    .map(|c| format!("{} {:.0}%", c.name, 100.0 * c.share))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            writeln!(f, "  doing:         {}", names(&s.doing))?;
            writeln!(
                f,
                "  thinking:      {}",
                s.thinking
                    .iter()
                    .map(|t| format!("{} {:.0}%", t.persona, 100.0 * t.share))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            for fe in &s.feeling {
                writeln!(f, "  feeling:       {:+.2} {}", fe.value, fe.detail)?;
            }
            writeln!(f, "  touchpoints:   {}", names(&s.touchpoints))?;
            for p in &s.pain_points {
                writeln!(f, "  pain point:    {}", p.text)?;
            }
            for o in &s.opportunities {
                writeln!(
                    f,
                    "  opportunity:   {} for {} customers (rule {})",
                    o.action, o.customers, o.rule
                )?;
            }
        }
        Ok(())
    }
}
