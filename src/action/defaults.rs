//! The default rule set, one rule per line of practice, each with its source.

use super::eval::{RuleSet, RuleSetData};
use super::rule::{Condition, Guardrails, Rule};

fn s(v: &str) -> String {
    v.to_owned()
}

fn list(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| (*x).to_owned()).collect()
}

fn rule(
    id: &str,
    priority: u32,
    action: &str,
    channel: &str,
    reason: &str,
    conditions: Vec<Condition>,
) -> Rule {
    Rule {
        id: s(id),
        priority,
        action: s(action),
        channel: s(channel),
        reason: s(reason),
        conditions,
        allow_discount: false,
    }
}

fn primary(p: &str) -> Condition {
    Condition::PrimaryPersona {
        personas: list(&[p]),
    }
}

fn not(c: Condition) -> Condition {
    Condition::Not {
        condition: Box::new(c),
    }
}

/// The default rules as data (see [`RuleSet::default`] for the table).
#[must_use]
pub fn default_rules() -> RuleSetData {
    use Condition as C;
    let mut rules = vec![
        rule(
            "failed_delivery_support",
            100,
            "proactive_support",
            "whatsapp",
            "A delivery attempt failed: reach out before the customer has to, and arrange a second attempt.",
            vec![C::FailedDelivery],
        ),
        rule(
            "weak_fulfilment_first",
            96,
            "fix_delivery_promise",
            "operations",
            "Fulfilment is the weakest layer of the pyramid: fix the delivery promise before any marketing action.",
            vec![C::WeakestDimension {
                dimensions: list(&["fulfilment"]),
            }],
        ),
        rule(
            "weak_trust_reassurance",
            95,
            "proactive_support",
            "onsite",
            "Trust is the weakest layer of the pyramid: reassure (secure payment, return guarantee, order status) before any marketing action.",
            vec![C::WeakestDimension {
                dimensions: list(&["trust"]),
            }],
        ),
        rule(
            "refund_pending_follow_up",
            92,
            "customer_service_follow_up",
            "customer_service",
            "A return is waiting for its refund: customer service follows up on it.",
            vec![C::RefundPending],
        ),
        rule(
            "support_unanswered_follow_up",
            91,
            "customer_service_follow_up",
            "whatsapp",
            "The customer's last support contact has no answer yet.",
            vec![C::SupportUnanswered],
        ),
        rule(
            "cod_rto_prepaid",
            85,
            "prepaid_incentive",
            "onsite",
            "Pays by hand (cash on delivery) and the return-to-origin risk is high: offer an incentive to pay upfront.",
            vec![
                C::RtoRiskAtLeast { min: 0.5 },
                C::PaymentStyle {
                    styles: list(&["manual"]),
                },
            ],
        ),
        rule(
            "cart_reminder_customer_service",
            81,
            "cart_reminder",
            "customer_service",
            "Cart left behind, and this customer only buys after a call (perlu diingatkan via customer service).",
            vec![
                C::CartAbandoned {
                    min_hours: 1.0,
                    max_hours: Some(72.0),
                },
                C::ReminderNeed {
                    needs: list(&["customer_service"]),
                },
            ],
        ),
        rule(
            "cart_reminder",
            80,
            "cart_reminder",
            "preferred_reminder",
            "Cart left behind in the last three days: remind on the channel that worked for this customer before (cukup diingatkan sistem SMS dan email).",
            vec![C::CartAbandoned {
                min_hours: 1.0,
                max_hours: Some(72.0),
            }],
        ),
        Rule {
            allow_discount: true,
            ..rule(
                "deal_campaign_voucher",
                70,
                "voucher_or_discount",
                "push",
                "Deal-driven customer on a campaign day: swayed by discounts and strike-through prices (terpengaruh informasi diskon dan harga coret).",
                vec![primary("deal_driven"), C::CampaignDay],
            )
        },
        rule(
            "researcher_comparison",
            62,
            "comparison_and_reviews",
            "onsite",
            "Researcher: wants to buy, compares options and reads reviews (mencari pembanding, tidak terburu-buru beli).",
            vec![primary("researcher")],
        ),
        rule(
            "focused_one_click",
            60,
            "one_click_checkout",
            "onsite",
            "Focused buyer: knows what to buy, shops straight away (langsung belanja); remove every step between them and the order.",
            vec![primary("focused_buyer")],
        ),
        rule(
            "surfer_first_impression",
            58,
            "first_impression_content",
            "onsite",
            "Surfer: browsing, comparing references; a strong first impression, not a discount (kesan pertama yang kuat).",
            vec![primary("surfer")],
        ),
        rule(
            "impulsive_bundle",
            52,
            "bundle",
            "onsite",
            "Impulsive buyer at checkout: won over by bundles (termakan promosi paket dan diskon).",
            vec![
                primary("impulsive_one_time"),
                C::Stage {
                    stages: list(&["decision"]),
                },
            ],
        ),
        rule(
            "upsell_at_checkout",
            50,
            "upsell_cross_sell",
            "onsite",
            "At checkout, and baskets grew before (mudah termakan upselling): suggest a matching product.",
            vec![
                C::Stage {
                    stages: list(&["decision"]),
                },
                C::UpsellAtLeast { min: 0.3 },
            ],
        ),
        rule(
            "loyal_reward",
            46,
            "loyalty_reward",
            "email",
            "Loyal customer: used to buying here (sudah biasa beli); reward it.",
            vec![primary("loyal")],
        ),
        rule(
            "loyal_referral",
            45,
            "ask_for_referral",
            "email",
            "Loyal customer: often tells others (sering menceritakan pengalaman belanja); ask for a referral.",
            vec![
                primary("loyal"),
                not(C::FailedDelivery),
                not(C::RefundPending),
            ],
        ),
        rule(
            "review_after_delivery",
            30,
            "ask_for_review",
            "email",
            "Order delivered, nothing pending: ask for a review while the experience is fresh.",
            vec![
                C::Stage {
                    stages: list(&["retention"]),
                },
                C::OrdersAtLeast { min: 1 },
                not(C::FailedDelivery),
                not(C::RefundPending),
            ],
        ),
        rule(
            "win_back",
            20,
            "win_back_offer",
            "email",
            "Bought before, nothing for 60 days: a win-back offer before the customer is lost.",
            vec![
                C::OrdersAtLeast { min: 1 },
                C::DaysSinceLastOrderAtLeast { min: 60.0 },
            ],
        ),
    ];
    rules.shrink_to_fit();
    RuleSetData {
        custom_actions: Vec::new(),
        rules,
        guardrails: Guardrails::default(),
    }
}

impl Default for RuleSet {
    /// The default rule set, highest priority first:
    ///
    /// | rule | when | action (channel) | source |
    /// |---|---|---|---|
    /// | `failed_delivery_support` (100) | a delivery attempt failed | proactive support (WhatsApp) | first-attempt delivery and two-way contact as services (source 1) |
    /// | `weak_fulfilment_first` (96) | fulfilment is the weakest pyramid dimension | fix the delivery promise (operations) | the pyramid's base layer comes first (source 3) |
    /// | `weak_trust_reassurance` (95) | trust is the weakest dimension | proactive support (on site) | building trust before loyalty (source 3) |
    /// | `refund_pending_follow_up` (92) | a return waits for its refund | customer-service follow-up | post-purchase experience (source 1) |
    /// | `support_unanswered_follow_up` (91) | a support contact has no answer | customer-service follow-up (WhatsApp) | responsive service (source 3, 4) |
    /// | `cod_rto_prepaid` (85) | RTO risk ≥ 0.5 and pays by hand | prepaid incentive (on site), discount allowed | reducing RTO (source 1) |
    /// | `cart_reminder_customer_service` (81) | cart left 1–72 h ago, buys after a call | cart reminder (customer service) | "perlu diingatkan via customer service" (source 2) |
    /// | `cart_reminder` (80) | cart left 1–72 h ago | cart reminder (the reminder channel that worked before, else email) | "cukup diingatkan sistem SMS dan email" (source 2) |
    /// | `deal_campaign_voucher` (70) | deal-driven on a campaign day | voucher (push), discount allowed | "terpengaruh informasi diskon dan harga coret" (source 2) |
    /// | `researcher_comparison` (62) | researcher | comparison and reviews (on site) | "mencari pembanding, tidak terburu-buru beli" (source 2) |
    /// | `focused_one_click` (60) | focused buyer | one-click checkout (on site) | "langsung belanja"; checkout without registering (source 2) |
    /// | `surfer_first_impression` (58) | surfer | first-impression content (on site), never with a voucher | "kesan pertama yang kuat" (source 4) |
    /// | `impulsive_bundle` (52) | impulsive buyer at the decision stage | bundle (on site) | "termakan promosi paket dan diskon" (source 2) |
    /// | `upsell_at_checkout` (50) | decision stage, upsell susceptibility ≥ 0.3 | upsell or cross-sell (on site) | "mudah termakan upselling" (source 2); upsell and cross-sell (source 1) |
    /// | `loyal_reward` (46) | loyal | loyalty reward (email) | loyalty programmes (source 4) |
    /// | `loyal_referral` (45) | loyal, no failed delivery or pending refund | ask for a referral (email) | "merekomendasikan tanpa disuruh" (source 2); advocacy (source 4) |
    /// | `review_after_delivery` (30) | retention stage with an order, nothing pending | ask for a review (email) | advocacy (source 4) |
    /// | `win_back` (20) | ordered before, last order ≥ 60 days ago | win-back offer (email) | "belum tentu balik lagi jika tidak ada penawaran serupa" (source 2) |
    ///
    /// With the default [`Guardrails`]. Sources: 1 "customer experience as
    /// the growth driver of e-commerce", 2 "Ecommerce Customer Acquisition",
    /// 3 the online CX pyramid, 4 the customer journey (Indonesian
    /// articles; the crate's README lists them).
    fn default() -> Self {
        // The default rules are checked by a test; should they ever fail
        // validation the set is empty rather than a panic.
        RuleSet::new(default_rules()).unwrap_or_else(|_| RuleSet::empty())
    }
}
