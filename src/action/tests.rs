use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::error::Error;
use crate::model::{CustomerId, Dimension, Persona, Stage};
use crate::persona::{PaymentStyle, ReminderNeed};

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, 11, h, 0, 0).unwrap()
}

fn ctx(primary: Persona) -> CustomerContext {
    let mut c = CustomerContext::new(CustomerId(1));
    c.primary = Some(primary);
    c
}

fn rule_with(conditions: Vec<Condition>) -> RuleSetData {
    RuleSetData {
        custom_actions: Vec::new(),
        rules: vec![Rule {
            id: "r1".into(),
            priority: 1,
            action: "bundle".into(),
            channel: "onsite".into(),
            reason: "test".into(),
            conditions,
            allow_discount: false,
        }],
        guardrails: Guardrails::default(),
    }
}

fn invalid_rule(data: RuleSetData) -> (String, String) {
    match RuleSet::new(data) {
        Err(Error::InvalidRule { rule, reason }) => (rule, reason),
        other => panic!("expected InvalidRule, got {other:?}"),
    }
}

#[test]
fn default_rules_validate_and_round_trip() {
    let set = RuleSet::new(default_rules()).unwrap();
    assert_eq!(set.rules().len(), default_rules().rules.len());
    let json = serde_json::to_string_pretty(&set).unwrap();
    let back: RuleSet = serde_json::from_str(&json).unwrap();
    assert_eq!(back, set);
    assert_eq!(RuleSet::default(), set);
    // Every rule's action has descriptions in both languages.
    for a in BuiltinAction::ALL {
        assert!(!a.description().is_empty() && !a.description_id().is_empty());
    }
}

#[test]
fn invalid_rules_are_named() {
    let (rule, reason) = invalid_rule(rule_with(vec![Condition::PrimaryPersona {
        personas: vec!["shopaholic".into()],
    }]));
    assert_eq!(rule, "r1");
    assert!(reason.contains("shopaholic"), "{reason}");
    let (rule, reason) = invalid_rule(rule_with(vec![Condition::PersonaScore {
        persona: "loyal".into(),
        min: 1.5,
    }]));
    assert_eq!(rule, "r1");
    assert!(reason.contains("impossible threshold"), "{reason}");
    let (_, reason) = invalid_rule(rule_with(vec![Condition::CartAbandoned {
        min_hours: 10.0,
        max_hours: Some(2.0),
    }]));
    assert!(reason.contains("below"), "{reason}");
    let (_, reason) = invalid_rule(rule_with(vec![Condition::RtoRiskAtLeast { min: f64::NAN }]));
    assert!(reason.contains("impossible"), "{reason}");
    let (_, reason) = invalid_rule(rule_with(vec![Condition::Stage { stages: vec![] }]));
    assert!(reason.contains("never hold"), "{reason}");
    let mut data = rule_with(vec![]);
    data.rules[0].action = "teleport".into();
    assert!(invalid_rule(data).1.contains("teleport"));
    let mut data = rule_with(vec![]);
    data.rules.push(data.rules[0].clone());
    assert!(invalid_rule(data).1.contains("another rule"));
    // From JSON: an unknown persona names the rule.
    let json = r#"{"rules": [{"id": "vip", "priority": 5, "action": "loyalty_reward",
        "channel": "email", "reason": "x",
        "conditions": [{"type": "primary_persona", "personas": ["whale"]}]}]}"#;
    let err = serde_json::from_str::<RuleSet>(json)
        .unwrap_err()
        .to_string();
    assert!(err.contains("vip") && err.contains("whale"), "{err}");
}

#[test]
fn custom_actions_and_guardrail_config() {
    let mut data = rule_with(vec![]);
    data.custom_actions.push(CustomAction {
        name: "free_gift_wrap".into(),
        description: "Wrap the order as a gift.".into(),
        discount: false,
    });
    data.rules[0].action = "free_gift_wrap".into();
    let set = RuleSet::new(data.clone()).unwrap();
    let out = set.next_best_actions(&CustomerContext::new(CustomerId(3)), &[], at(3));
    assert_eq!(out[0].action, "free_gift_wrap");
    assert_eq!(out[0].description, "Wrap the order as a gift.");
    data.custom_actions[0].name = "bundle".into();
    assert!(RuleSet::new(data.clone()).is_err());
    let mut data = rule_with(vec![]);
    data.guardrails.caps[0].max = 0;
    assert!(matches!(
        RuleSet::new(data),
        Err(Error::InvalidConfig {
            field: "guardrails.caps.max",
            ..
        })
    ));
}

#[test]
fn quiet_hours_discounts_and_caps() {
    let set = RuleSet::default();
    let mut c = ctx(Persona::DealDriven);
    c.campaign_day = true;
    c.checkout.reminder_need = Some(ReminderNeed::System);
    c.checkout.reminders_by_channel = [0, 3, 1, 0, 0];
    c.events.cart_abandoned_hours = Some(3.0);
    // 03:00 UTC = 10:00 WIB: the reminder goes on WhatsApp, the channel that worked.
    let e = set.evaluate(&c, &[], at(3));
    let spelled = set.spell(&e);
    assert_eq!(spelled[0].rule, "cart_reminder");
    assert_eq!(spelled[0].channel, ActionChannel::Whatsapp);
    assert_eq!(spelled[1].rule, "deal_campaign_voucher");
    // 15:00 UTC = 22:00 WIB: WhatsApp and push are quiet.
    let e = set.evaluate(&c, &[], at(15));
    assert!(e.actions.is_empty(), "{e:?}");
    assert!(e.suppressed.iter().all(|s| s.by == Guardrail::QuietHours));
    // A reminder sent yesterday fills the cart-reminder cap.
    let sent = SentAction {
        at: at(3) - TimeDelta::hours(20),
        action: BuiltinAction::CartReminder.into(),
        channel: ActionChannel::Whatsapp,
    };
    let e = set.evaluate(&c, &[sent], at(3));
    assert_eq!(set.spell(&e)[0].rule, "deal_campaign_voucher");
    assert!(matches!(e.suppressed[0].by, Guardrail::FrequencyCap { .. }));
    // Mostly-discounted customers get no win-back offer; the voucher rule allows it.
    let mut c = ctx(Persona::DealDriven);
    c.orders = 4;
    c.discounted_order_share = 0.9;
    c.days_since_last_order = Some(90.0);
    c.campaign_day = true;
    let e = set.evaluate(&c, &[], at(3));
    let rules: Vec<_> = set.spell(&e).into_iter().map(|a| a.rule).collect();
    assert_eq!(rules, ["deal_campaign_voucher"]);
    assert_eq!(e.suppressed[0].by, Guardrail::Discount);
}

#[test]
fn fulfilment_before_marketing_and_customer_service_reminders() {
    let set = RuleSet::default();
    let mut c = ctx(Persona::Loyal);
    c.weakest_dimension = Some(Dimension::Fulfilment);
    c.orders = 3;
    c.stage = Some(Stage::Retention);
    let out = set.next_best_actions(&c, &[], at(3));
    let rules: Vec<_> = out.iter().map(|a| a.rule.as_str()).collect();
    assert_eq!(rules, ["weak_fulfilment_first", "loyal_reward"]);
    let mut c = ctx(Persona::Researcher);
    c.checkout.reminder_need = Some(ReminderNeed::CustomerService);
    c.checkout.payment_style = Some(PaymentStyle::Manual);
    c.events.cart_abandoned_hours = Some(30.0);
    let out = set.next_best_actions(&c, &[], at(3));
    assert_eq!(out[0].rule, "cart_reminder_customer_service");
    assert_eq!(out[0].channel, ActionChannel::CustomerService);
    assert_eq!(out[1].rule, "researcher_comparison");
    c.rto_risk = Some(0.8);
    assert_eq!(
        set.next_best_actions(&c, &[], at(3))[0].rule,
        "cod_rto_prepaid"
    );
}

// ---- properties ----

fn arb_ctx() -> impl Strategy<Value = CustomerContext> {
    (
        (
            prop::option::of(0..6usize),
            prop::option::of(0..5usize),
            prop::option::of(0..5usize),
            prop::array::uniform6(0.0..=1.0f64),
            0..5u32,
            0.0..=1.0f64,
        ),
        (
            prop::option::of(0.0..200.0f64),
            any::<[bool; 4]>(),
            prop::option::of(0.0..=1.0f64),
            prop::option::of(0..3usize),
            prop::option::of(0..3usize),
            prop::array::uniform5(0..3u32),
            0.0..=1.0f64,
            prop::option::of(0.0..400.0f64),
        ),
    )
        .prop_map(
            |(
                (primary, stage, weak, scores, orders, disc),
                (cart, flags, rto, need, style, reminders, upsell, days),
            )| {
                let mut c = CustomerContext::new(CustomerId(9));
                c.primary = primary.and_then(|i| Persona::ALL.get(i).copied());
                c.stage = stage.and_then(|i| Stage::ALL.get(i).copied());
                c.weakest_dimension = weak.and_then(|i| Dimension::ALL.get(i).copied());
                c.scores = scores;
                c.orders = orders;
                c.discounted_order_share = disc;
                c.events.cart_abandoned_hours = cart;
                c.events.failed_delivery = flags[0];
                c.events.refund_pending = flags[1];
                c.events.support_unanswered = flags[2];
                c.campaign_day = flags[3];
                c.rto_risk = rto;
                c.checkout.reminder_need = need.and_then(|i| ReminderNeed::ALL.get(i).copied());
                c.checkout.payment_style = style.and_then(|i| PaymentStyle::ALL.get(i).copied());
                c.checkout.reminders_by_channel = reminders;
                c.checkout.upsell_susceptibility = upsell;
                c.days_since_last_order = days.filter(|_| orders > 0);
                c
            },
        )
}

fn arb_history() -> impl Strategy<Value = Vec<SentAction>> {
    prop::collection::vec((0..15u16, 0..7usize, 0..(24 * 20i64)), 0..8).prop_map(|v| {
        v.into_iter()
            .map(|(a, ch, h)| SentAction {
                at: at(0) - TimeDelta::hours(h) + TimeDelta::hours(12),
                action: ActionKey(a),
                channel: ActionChannel::ALL[ch],
            })
            .collect()
    })
}

fn arb_condition() -> impl Strategy<Value = Condition> {
    prop_oneof![
        (0..6usize).prop_map(|i| Condition::PrimaryPersona {
            personas: vec![Persona::ALL[i].to_string()]
        }),
        (0..5usize).prop_map(|i| Condition::Stage {
            stages: vec![Stage::ALL[i].to_string()]
        }),
        Just(Condition::CampaignDay),
        Just(Condition::FailedDelivery),
        (0.0..=1.0f64).prop_map(|min| Condition::UpsellAtLeast { min }),
    ]
}

/// Checks every guardrail on an evaluation.
fn check_guardrails(
    set: &RuleSet,
    c: &CustomerContext,
    history: &[SentAction],
    now: DateTime<Utc>,
    e: &Evaluation,
) -> Result<(), TestCaseError> {
    let g = &set.data().guardrails;
    prop_assert!(e.actions.len() <= usize::from(g.max_actions));
    let local_hour = (now + TimeDelta::minutes(420)).format("%H").to_string();
    let local_hour: u8 = local_hour.parse().unwrap();
    let quiet = !(8..21).contains(&local_hour);
    for (i, r) in e.actions.iter().enumerate() {
        let name = set.action_name(r.action).unwrap();
        let rule = set.rule(r.rule).unwrap();
        if quiet {
            prop_assert!(!matches!(
                r.channel,
                ActionChannel::Sms
                    | ActionChannel::Whatsapp
                    | ActionChannel::Push
                    | ActionChannel::CustomerService
            ));
        }
        let discount = name
            .parse::<BuiltinAction>()
            .is_ok_and(BuiltinAction::is_discount);
        if discount && c.orders > 0 && c.discounted_order_share >= g.mostly_discounted_share {
            prop_assert!(
                rule.allow_discount,
                "{name} to a mostly-discounted customer"
            );
        }
        for other in e.actions.iter().take(i) {
            let o = set.action_name(other.action).unwrap();
            prop_assert_ne!(o, name);
            prop_assert!(
                !g.conflicts
                    .iter()
                    .any(|[a, b]| (a == o && b == name) || (a == name && b == o))
            );
        }
    }
    for cap in &g.caps {
        let hit = |a: ActionKey, ch: ActionChannel| {
            cap.action
                .as_deref()
                .is_none_or(|x| Some(x) == set.action_name(a))
                && cap.channel.as_deref().is_none_or(|x| x == ch.as_str())
        };
        let since = now - TimeDelta::hours(i64::from(cap.window_hours));
        let sent = history
            .iter()
            .filter(|s| s.at > since && hit(s.action, s.channel))
            .count();
        let planned = e
            .actions
            .iter()
            .filter(|r| hit(r.action, r.channel))
            .count();
        if planned > 0 {
            prop_assert!(sent + planned <= cap.max as usize, "cap {cap:?} exceeded");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn evaluation_is_deterministic_and_guarded(
        c in arb_ctx(), history in arb_history(), hour in 0..24u32
    ) {
        let set = RuleSet::default();
        let now = at(hour);
        let e = set.evaluate(&c, &history, now);
        let mut again = Evaluation::default();
        set.evaluate_into(&c, &history, now, &mut again);
        prop_assert_eq!(&e, &again);
        let mut shuffled = history.clone();
        shuffled.reverse();
        prop_assert_eq!(&e, &set.evaluate(&c, &shuffled, now));
        let back: RuleSet = serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
        prop_assert_eq!(&e, &back.evaluate(&c, &history, now));
        check_guardrails(&set, &c, &history, now, &e)?;
    }

    #[test]
    fn a_lower_rule_never_changes_the_top_action(
        c in arb_ctx(), history in arb_history(), hour in 0..24u32,
        action in 0..15usize, channel in 0..8usize, below in 1..50u32,
        conditions in prop::collection::vec(arb_condition(), 0..3), allow in any::<bool>(),
    ) {
        let set = RuleSet::default();
        let now = at(hour);
        let e = set.evaluate(&c, &history, now);
        let Some(top) = e.top() else { return Ok(()) };
        let top_rule = set.rule(top.rule).unwrap();
        let Some(priority) = top_rule.priority.checked_sub(below) else { return Ok(()) };
        let mut data = set.data().clone();
        data.rules.push(Rule {
            id: "zz_added".into(),
            priority,
            action: BuiltinAction::ALL[action].to_string(),
            channel: ChannelChoice::ALL[channel].to_string(),
            reason: "added".into(),
            conditions,
            allow_discount: allow,
        });
        let bigger = RuleSet::new(data).unwrap();
        let e2 = bigger.evaluate(&c, &history, now);
        prop_assert_eq!(e2.top(), Some(top));
        check_guardrails(&bigger, &c, &history, now, &e2)?;
    }
}
