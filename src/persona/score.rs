//! Persona scores: soft ramps over profile features, a documented precedence
//! for the primary persona, and the reasons behind every score.
//!
//! Every persona's score is `gate x sum`, where `sum` is a weighted sum of
//! ramps (weights add up to 1) and `gate` is one ramp for the condition the
//! definition cannot do without (two gates multiply). Each reason says how much its feature moved
//! the score: a term adds `weight x ramp`; the gate takes away
//! `(1 - gate) x sum`. The contributions add up to the score.
//!
//! | persona | gate | terms (weight) |
//! |---|---|---|
//! | surfer | orders per shopping session (rarely buys) | product views (0.25), shopping sessions (0.15), low category concentration (0.35), comparisons + reviews read + written (0.25) |
//! | researcher | category concentration (one need) x deliberation days | comparisons + reviews read (0.35), category concentration (0.4), intent: orders + checkouts + wishlist adds (0.25) |
//! | focused buyer | shopping sessions to the first purchase attempt | one session to the first purchase attempt (0.4), a short session (0.3), few views before it (0.3) |
//! | deal-driven | share of orders on an offer | orders on an offer: discounted, coupon or promotion-led, as a share (0.3) and a count (0.15: one order is weak evidence), discounted orders (0.1), promotion-led orders (0.15), coupon orders (0.05), orders on an offer on campaign days (0.05), discounted-view share: struck-through prices seen (0.2) |
//! | impulsive / one-time | one order (or a basket left at checkout) x basket growth | basket growth (0.3), unplanned-item share (0.2), offer uptake (0.2), few views before the first cart add (0.1), one order (0.1), no shopping session after it (0.1) |
//! | loyal | orders at ordinary prices (repeat) | orders (0.5), recency of the last order (0.3), advocacy: referrals + reviews written + shares + promoter NPS (0.2) |
//!
//! The weights are judgment calls, chosen so that the defining feature of each
//! persona carries the most weight; the ramps are in
//! [`PersonaConfig`] with their sources. A term whose feature the input
//! cannot carry ([`Evidence`](crate::persona::Evidence): no discount flag on
//! any product view, no promotion or coupon event anywhere) is left out and
//! the weights of the others are scaled up to add up to 1 again; its
//! [`Reason`] says so (`left_out`). The deal-driven basket features of the
//! impulsive score (offer uptake) are left out the same way without discount
//! flags.

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::model::names::named_enum;
use crate::model::{CustomerId, Persona};
use crate::persona::{BehaviourProfile, PersonaConfig, Ramp};

named_enum! {
    /// A profile feature that a persona score is built from.
    #[non_exhaustive]
    pub enum Feature: "feature" {
        /// Orders per shopping session.
        OrdersPerSession = "orders_per_session",
        /// Product views.
        ProductViews = "product_views",
        /// Shopping sessions.
        ShoppingSessions = "shopping_sessions",
        /// Herfindahl concentration of product views by category.
        CategoryConcentration = "category_concentration",
        /// Comparisons, reviews read and reviews written.
        Engagement = "engagement",
        /// Days from the first touch to the first order (or the last touch).
        DeliberationDays = "deliberation_days",
        /// Comparisons and reviews read.
        ResearchActions = "research_actions",
        /// Orders, checkouts and wishlist adds.
        IntentActions = "intent_actions",
        /// Shopping sessions up to the first purchase attempt.
        SessionsToFirstCheckout = "sessions_to_first_checkout",
        /// Minutes of the session of the first purchase attempt.
        FirstCheckoutSessionMinutes = "first_checkout_session_minutes",
        /// Product views before the first purchase attempt.
        ViewsBeforeFirstCheckout = "views_before_first_checkout",
        /// Share of orders at discounted prices.
        DiscountedOrderShare = "discounted_order_share",
        /// Share of orders on campaign days (a profile feature no score
        /// reads since the deal-driven score takes
        /// [`Feature::CampaignDealOrderShare`]).
        CampaignOrderShare = "campaign_order_share",
        /// Share of orders bought on an offer: discounted, with a coupon, or
        /// led by a promotion.
        DealOrderShare = "deal_order_share",
        /// Share of orders led by a promotion view or click.
        PromotionOrderShare = "promotion_order_share",
        /// Share of orders with a coupon entered or applied.
        CouponOrderShare = "coupon_order_share",
        /// Share of orders bought on an offer on a campaign day.
        CampaignDealOrderShare = "campaign_deal_order_share",
        /// Orders bought on an offer.
        DealOrders = "deal_orders",
        /// Orders at ordinary prices (no discount, coupon or promotion).
        OrdinaryPriceOrders = "ordinary_price_orders",
        /// Share of product views at discounted prices.
        DiscountedViewShare = "discounted_view_share",
        /// Extra items per order.
        BasketGrowth = "basket_growth",
        /// Share of ordered items that were unplanned.
        UnplannedItemShare = "unplanned_item_share",
        /// Share of orders whose extra items were discounted or bundled.
        OfferUptake = "offer_uptake",
        /// Product views before the first add to cart.
        ViewsBeforeFirstCart = "views_before_first_cart",
        /// Completed orders.
        Orders = "orders",
        /// Shopping sessions after the last order.
        SessionsAfterLastOrder = "sessions_after_last_order",
        /// Days since the last order.
        DaysSinceLastOrder = "days_since_last_order",
        /// Referrals, reviews written, shares and a promoter NPS answer.
        AdvocacyActions = "advocacy_actions",
    }
}

/// Why a persona scored what it scored: one feature's part.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The feature.
    pub feature: Feature,
    /// Its value (`None` when the customer never did what it measures).
    pub value: Option<f64>,
    /// Where the ramp gives 0.5.
    pub threshold: f64,
    /// The value that scores 0.
    pub from: f64,
    /// The value that scores 1.
    pub to: f64,
    /// Whether this is the persona's gate (which multiplies) rather than a
    /// term (which adds).
    pub gate: bool,
    /// The term's weight (1 for the gate).
    pub weight: f64,
    /// The ramp's value in [0, 1].
    pub ramp: f64,
    /// How much it moved the score: `weight x ramp` for a term, `-(1 - ramp) x
    /// sum of terms` for the gate. The contributions add up to the score.
    pub contribution: f64,
    /// The term was left out because the input cannot carry its feature
    /// (see [`Evidence`](crate::persona::Evidence)); its weight went to the
    /// other terms and its weight, ramp and contribution are 0.
    #[serde(default)]
    pub left_out: bool,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value.map_or_else(
            || "none".to_owned(),
            |v| format!("{}", (v * 1000.0).round() / 1000.0),
        );
        if self.left_out {
            return write!(
                f,
                "{} left out: the input carries no such evidence",
                self.feature
            );
        }
        write!(
            f,
            "{}{} = {} (ramp {} -> {}): {:+.3}",
            if self.gate { "gate " } else { "" },
            self.feature,
            value,
            self.from,
            self.to,
            self.contribution
        )
    }
}

/// A score in [0, 1] for every persona.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PersonaScores(pub [f64; 6]);

impl PersonaScores {
    /// The score of one persona.
    #[must_use]
    pub fn get(&self, persona: Persona) -> f64 {
        self.0.get(persona.index()).copied().unwrap_or(0.0)
    }

    /// `(persona, score)` in [`Persona::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Persona, f64)> + '_ {
        Persona::ALL.iter().zip(self.0).map(|(p, s)| (*p, s))
    }
}

impl Serialize for PersonaScores {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(6))?;
        for (p, v) in self.iter() {
            m.serialize_entry(p.as_str(), &v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for PersonaScores {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = IndexMap::<Persona, f64>::deserialize(d)?;
        let mut out = [0.0; 6];
        for (p, v) in m {
            if let Some(slot) = out.get_mut(p.index()) {
                *slot = v;
            }
        }
        Ok(PersonaScores(out))
    }
}

/// The result of classifying one profile: every score and the primary persona.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// The customer.
    pub customer: CustomerId,
    /// The primary persona: the first persona of the precedence whose score
    /// passes; when none passes, the highest score (ties in [`Persona::ALL`]
    /// order, so a customer without evidence is a surfer).
    pub primary: Persona,
    /// The primary persona's score.
    pub score: f64,
    /// Whether the primary persona's score passed the pass score.
    pub passed: bool,
    /// Every persona's score.
    pub scores: PersonaScores,
    /// Too little behaviour to tell (fewer actions than
    /// [`PersonaConfig::min_actions`] and no purchase attempt): reports count the customer as
    /// undetermined; `primary` still holds the highest-scoring persona.
    #[serde(default)]
    pub undetermined: bool,
}

impl Classification {
    /// The primary persona, or `None` for an undetermined customer.
    #[must_use]
    pub fn persona(&self) -> Option<Persona> {
        (!self.undetermined).then_some(self.primary)
    }

    /// The persona name as per-customer output shows it: the primary
    /// persona's name, or `"undetermined"`.
    #[must_use]
    pub fn label(&self) -> &'static str {
        self.persona().map_or("undetermined", Persona::as_str)
    }
}

/// Whether a profile holds too little behaviour to tell: fewer actions than
/// [`PersonaConfig::min_actions`] and no purchase attempt (a checkout or an
/// order is always enough to tell).
pub(crate) fn undetermined(p: &BehaviourProfile, c: &PersonaConfig) -> bool {
    p.checkouts == 0 && p.orders == 0 && actions(p) < c.min_actions
}

/// The behaviour actions of a profile that [`PersonaConfig::min_actions`]
/// counts.
pub(crate) fn actions(p: &BehaviourProfile) -> u32 {
    [
        p.product_views,
        p.comparisons,
        p.review_reads,
        p.reviews_written,
        p.wishlist_adds,
        p.cart_adds,
        p.checkouts,
        p.orders,
        p.promotions,
        p.coupon_actions,
    ]
    .into_iter()
    .fold(0u32, u32::saturating_add)
}

/// Which impulsive and one-time signals fired (their ramp reached 0.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpulsiveSignals {
    /// Came for little: few product views before the first cart add.
    pub came_for_little: bool,
    /// Bought more: the basket grew beyond the first item.
    pub bought_more: bool,
    /// Unplanned items: items first seen minutes before they were added.
    pub unplanned_items: bool,
    /// Swayed by offers: extra items at discounted or package prices.
    pub swayed_by_offers: bool,
    /// One-time: a single order.
    pub one_time: bool,
    /// Did not come back: no shopping session after the last order.
    pub not_returned: bool,
}

impl ImpulsiveSignals {
    /// The names of the signals that fired.
    #[must_use]
    pub fn fired(&self) -> Vec<&'static str> {
        [
            (self.came_for_little, "came_for_little"),
            (self.bought_more, "bought_more"),
            (self.unplanned_items, "unplanned_items"),
            (self.swayed_by_offers, "swayed_by_offers"),
            (self.one_time, "one_time"),
            (self.not_returned, "not_returned"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// A classification with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The classification.
    pub classification: Classification,
    /// The reasons of every persona's score, in [`Persona::ALL`] order.
    pub reasons: IndexMap<Persona, Vec<Reason>>,
    /// Which impulsive and one-time signals fired.
    pub impulsive_signals: ImpulsiveSignals,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.classification;
        writeln!(
            f,
            "customer {}: {} (score {:.2}{})",
            c.customer,
            c.primary,
            c.score,
            if c.passed {
                ""
            } else {
                ", below the pass score"
            }
        )?;
        for (p, s) in c.scores.iter() {
            writeln!(f, "  {:<20} {s:.2}", p.as_str())?;
        }
        if let Some(rs) = self.reasons.get(&c.primary) {
            writeln!(f, "  because:")?;
            for r in rs {
                writeln!(f, "    {r}")?;
            }
        }
        let fired = self.impulsive_signals.fired();
        if !fired.is_empty() {
            writeln!(f, "  impulsive / one-time signals: {}", fired.join(", "))?;
        }
        Ok(())
    }
}

/// Receives the parts of a score; the quiet sink compiles away.
pub(crate) trait Sink {
    fn term(&mut self, feature: Feature, value: Option<f64>, ramp: Ramp, weight: f64, r: f64);
    fn gate(&mut self, feature: Feature, value: Option<f64>, ramp: Ramp, g: f64, sum: f64);
    fn left_out(&mut self, feature: Feature, value: Option<f64>, ramp: Ramp);
}

pub(crate) struct Quiet;

impl Sink for Quiet {
    #[inline(always)]
    fn term(&mut self, _: Feature, _: Option<f64>, _: Ramp, _: f64, _: f64) {}
    #[inline(always)]
    fn gate(&mut self, _: Feature, _: Option<f64>, _: Ramp, _: f64, _: f64) {}
    #[inline(always)]
    fn left_out(&mut self, _: Feature, _: Option<f64>, _: Ramp) {}
}

#[derive(Default)]
pub(crate) struct Record(pub Vec<Reason>);

impl Sink for Record {
    fn term(&mut self, feature: Feature, value: Option<f64>, ramp: Ramp, weight: f64, r: f64) {
        self.0.push(Reason {
            feature,
            value,
            threshold: ramp.threshold(),
            from: ramp.from(),
            to: ramp.to(),
            gate: false,
            weight,
            ramp: r,
            contribution: weight * r,
            left_out: false,
        });
    }
    fn left_out(&mut self, feature: Feature, value: Option<f64>, ramp: Ramp) {
        self.0.push(Reason {
            feature,
            value,
            threshold: ramp.threshold(),
            from: ramp.from(),
            to: ramp.to(),
            gate: false,
            weight: 0.0,
            ramp: 0.0,
            contribution: 0.0,
            left_out: true,
        });
    }
    fn gate(&mut self, feature: Feature, value: Option<f64>, ramp: Ramp, g: f64, sum: f64) {
        self.0.push(Reason {
            feature,
            value,
            threshold: ramp.threshold(),
            from: ramp.from(),
            to: ramp.to(),
            gate: true,
            weight: 1.0,
            ramp: g,
            contribution: -(1.0 - g) * sum,
            left_out: false,
        });
    }
}

/// Accumulates one persona's score.
struct Acc<'s, S: Sink> {
    sink: &'s mut S,
    sum: f64,
}

impl<'s, S: Sink> Acc<'s, S> {
    #[inline(always)]
    fn new(sink: &'s mut S) -> Self {
        Acc { sink, sum: 0.0 }
    }

    #[inline(always)]
    fn term(&mut self, feature: Feature, value: Option<f64>, ramp: Ramp, weight: f64) {
        let r = ramp.eval(value.unwrap_or(f64::NAN));
        self.sum += weight * r;
        self.sink.term(feature, value, ramp, weight, r);
    }

    /// Terms of which some may be unknown for the whole input, with their
    /// weights spread over the known ones ([`Spread`]).
    #[inline(always)]
    fn terms<const N: usize>(
        &mut self,
        spread: &Spread<N>,
        terms: [(Feature, Option<f64>, Ramp); N],
    ) {
        for ((feature, value, ramp), (&weight, &known)) in terms
            .into_iter()
            .zip(spread.weights.iter().zip(&spread.known))
        {
            if known {
                self.term(feature, value, ramp, weight);
            } else {
                self.sink.left_out(feature, value, ramp);
            }
        }
    }

    /// A first gate of two: scales the sum so far; the last gate is
    /// [`Acc::gate`]. The contributions still add up to the score.
    #[inline(always)]
    fn and_gate(&mut self, feature: Feature, value: Option<f64>, ramp: Ramp) {
        let g = ramp.eval(value.unwrap_or(f64::NAN));
        self.sink.gate(feature, value, ramp, g, self.sum);
        self.sum *= g;
    }

    #[inline(always)]
    fn gate(self, feature: Feature, value: Option<f64>, ramp: Ramp) -> f64 {
        let g = ramp.eval(value.unwrap_or(f64::NAN));
        self.sink.gate(feature, value, ramp, g, self.sum);
        (g * self.sum).clamp(0.0, 1.0)
    }
}

/// The weights of terms of which some may be unknown for the whole input
/// ([`Evidence`](crate::persona::Evidence)): the known ones share the total
/// weight of all. They depend on the configuration only, so a
/// [`Classifier`](crate::persona::Classifier) computes them once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Spread<const N: usize> {
    /// The weight of each term, 0 for one left out.
    weights: [f64; N],
    /// Whether the input can carry each term's feature.
    known: [bool; N],
}

impl<const N: usize> Spread<N> {
    fn new(weights: [f64; N], known: [bool; N]) -> Spread<N> {
        let (mut all, mut sum_known) = (0.0, 0.0);
        for (&w, &k) in weights.iter().zip(&known) {
            all += w;
            if k {
                sum_known += w;
            }
        }
        // All known: the weights stay exactly as written.
        let scale = if sum_known == all {
            1.0
        } else if sum_known > 0.0 {
            all / sum_known
        } else {
            0.0
        };
        let mut out = [0.0; N];
        for ((o, &w), &k) in out.iter_mut().zip(&weights).zip(&known) {
            if k {
                *o = w * scale;
            }
        }
        Spread {
            weights: out,
            known,
        }
    }
}

/// The term weights of a configuration that depend on its evidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Weights {
    /// Deal-driven: deal-order share, deal orders, discounted-order share,
    /// promotion-order share, coupon-order share, campaign deal-order share,
    /// discounted-view share.
    deal: Spread<7>,
    /// Impulsive / one-time: basket growth, unplanned-item share, offer
    /// uptake, views before the first cart add, orders, sessions after the
    /// last order.
    impulsive: Spread<6>,
}

impl Weights {
    pub(crate) fn new(c: &PersonaConfig) -> Weights {
        let e = &c.evidence;
        let offers = e.discount_flags || e.promotions || e.coupons;
        Weights {
            deal: Spread::new(
                [0.3, 0.15, 0.1, 0.15, 0.05, 0.05, 0.2],
                [
                    offers,
                    offers,
                    e.discount_flags || e.coupons,
                    e.promotions,
                    e.coupons,
                    offers,
                    e.view_discount_flags,
                ],
            ),
            impulsive: Spread::new(
                [0.3, 0.2, 0.2, 0.1, 0.1, 0.1],
                [true, true, e.discount_flags, true, true, true],
            ),
        }
    }
}

#[inline(always)]
fn n(x: u32) -> Option<f64> {
    Some(f64::from(x))
}

#[inline(always)]
fn on(x: Option<u32>) -> Option<f64> {
    x.map(f64::from)
}

/// The score of one persona.
#[inline(always)]
pub(crate) fn score<S: Sink>(
    persona: Persona,
    p: &BehaviourProfile,
    c: &PersonaConfig,
    w: &Weights,
    sink: &mut S,
) -> f64 {
    let mut a = Acc::new(sink);
    match persona {
        Persona::Surfer => {
            let t = &c.surfer;
            a.term(
                Feature::ProductViews,
                n(p.product_views),
                t.product_views,
                0.25,
            );
            a.term(
                Feature::ShoppingSessions,
                n(p.shopping_sessions),
                t.shopping_sessions,
                0.15,
            );
            a.term(
                Feature::CategoryConcentration,
                p.category_concentration,
                t.category_concentration,
                0.35,
            );
            let engagement = p
                .comparisons
                .saturating_add(p.review_reads)
                .saturating_add(p.reviews_written);
            a.term(Feature::Engagement, n(engagement), t.engagement, 0.25);
            let ops = f64::from(p.orders) / f64::from(p.shopping_sessions.max(1));
            a.gate(Feature::OrdersPerSession, Some(ops), t.orders_per_session)
        }
        Persona::Researcher => {
            let t = &c.researcher;
            a.term(
                Feature::ResearchActions,
                n(p.comparisons.saturating_add(p.review_reads)),
                t.research_actions,
                0.35,
            );
            a.term(
                Feature::CategoryConcentration,
                p.category_concentration,
                t.category_concentration,
                0.4,
            );
            let intent = p
                .orders
                .saturating_add(p.checkouts)
                .saturating_add(p.wishlist_adds);
            a.term(Feature::IntentActions, n(intent), t.intent_actions, 0.25);
            // "Ingin beli barang": one need, so views stay in few categories;
            // broad browsing over weeks is the surfer's.
            a.and_gate(
                Feature::CategoryConcentration,
                p.category_concentration,
                t.focus_gate,
            );
            a.gate(
                Feature::DeliberationDays,
                Some(p.deliberation_days),
                t.deliberation_days,
            )
        }
        Persona::FocusedBuyer => {
            let t = &c.focused_buyer;
            a.term(
                Feature::SessionsToFirstCheckout,
                on(p.sessions_to_first_checkout),
                t.sessions_to_first_checkout,
                0.4,
            );
            a.term(
                Feature::FirstCheckoutSessionMinutes,
                p.first_checkout_session_minutes,
                t.first_checkout_session_minutes,
                0.3,
            );
            a.term(
                Feature::ViewsBeforeFirstCheckout,
                on(p.views_before_first_checkout),
                t.views_before_first_checkout,
                0.3,
            );
            // "Masuk website langsung belanja": the purchase attempt comes in
            // the first visits, not after weeks of browsing.
            a.gate(
                Feature::SessionsToFirstCheckout,
                on(p.sessions_to_first_checkout),
                t.first_visits_gate,
            )
        }
        Persona::DealDriven => {
            let t = &c.deal_driven;
            let bought = p.orders > 0;
            let share = |x: f64| bought.then_some(x);
            let views = (p.product_views > 0).then_some(p.discounted_view_share);
            // Weights and evidence in `Weights::new`.
            a.terms(
                &w.deal,
                [
                    (
                        Feature::DealOrderShare,
                        share(p.deal_order_share),
                        t.deal_order_share,
                    ),
                    (
                        Feature::DealOrders,
                        share(f64::from(p.deal_orders)),
                        t.deal_orders,
                    ),
                    (
                        Feature::DiscountedOrderShare,
                        share(p.discounted_order_share),
                        t.discounted_order_share,
                    ),
                    (
                        Feature::PromotionOrderShare,
                        share(p.promotion_order_share),
                        t.promotion_order_share,
                    ),
                    (
                        Feature::CouponOrderShare,
                        share(p.coupon_order_share),
                        t.coupon_order_share,
                    ),
                    (
                        Feature::CampaignDealOrderShare,
                        share(p.campaign_deal_order_share),
                        t.campaign_order_share,
                    ),
                    (Feature::DiscountedViewShare, views, t.discounted_view_share),
                ],
            );
            a.gate(
                Feature::DealOrderShare,
                share(p.deal_order_share),
                t.deal_order_share,
            )
        }
        Persona::ImpulsiveOneTime => {
            let t = &c.impulsive_one_time;
            // An order, or a basket taken to checkout and left: the basket
            // features are measured on either (see `BehaviourProfile`).
            let bought = p.orders > 0 || p.abandoned_baskets > 0;
            let share = |x: f64| bought.then_some(x);
            // Weights and evidence in `Weights::new`.
            a.terms(
                &w.impulsive,
                [
                    (
                        Feature::BasketGrowth,
                        share(p.basket_growth),
                        t.basket_growth,
                    ),
                    (
                        Feature::UnplannedItemShare,
                        share(p.unplanned_item_share),
                        t.unplanned_item_share,
                    ),
                    (Feature::OfferUptake, share(p.bundle_uptake), t.offer_uptake),
                    (
                        Feature::ViewsBeforeFirstCart,
                        on(p.views_before_first_cart),
                        t.views_before_first_cart,
                    ),
                    (
                        Feature::Orders,
                        (p.orders > 0).then_some(f64::from(p.orders)),
                        t.orders,
                    ),
                    (
                        Feature::SessionsAfterLastOrder,
                        on(p.sessions_after_last_order),
                        t.sessions_after_last_order,
                    ),
                ],
            );
            // "Belum tentu balik lagi": a second order on an offer is the
            // deal-driven shopper's habit, not a one-time sway.
            a.and_gate(
                Feature::Orders,
                (p.orders > 0).then_some(f64::from(p.orders)).or(Some(0.0)),
                t.orders,
            );
            a.gate(
                Feature::BasketGrowth,
                share(p.basket_growth),
                t.basket_growth,
            )
        }
        Persona::Loyal => {
            let t = &c.loyal;
            a.term(Feature::Orders, n(p.orders), t.orders, 0.5);
            a.term(
                Feature::DaysSinceLastOrder,
                p.days_since_last_order,
                t.days_since_last_order,
                0.3,
            );
            let promoter = p.nps.is_some_and(|s| s >= c.promoter_nps);
            let advocacy = p
                .referrals_sent
                .saturating_add(p.reviews_written)
                .saturating_add(p.shares)
                .saturating_add(u32::from(promoter));
            a.term(
                Feature::AdvocacyActions,
                n(advocacy),
                t.advocacy_actions,
                0.2,
            );
            a.gate(
                Feature::OrdinaryPriceOrders,
                n(p.ordinary_orders),
                t.repeat_gate,
            )
        }
    }
}

/// Which impulsive and one-time signals fired for a profile.
pub(crate) fn impulsive_signals(p: &BehaviourProfile, c: &PersonaConfig) -> ImpulsiveSignals {
    let t = &c.impulsive_one_time;
    let fired = |v: Option<f64>, r: Ramp| r.eval(v.unwrap_or(f64::NAN)) >= 0.5;
    let bought = p.orders > 0 || p.abandoned_baskets > 0;
    ImpulsiveSignals {
        came_for_little: fired(on(p.views_before_first_cart), t.views_before_first_cart),
        bought_more: bought && fired(Some(p.basket_growth), t.basket_growth),
        unplanned_items: bought && fired(Some(p.unplanned_item_share), t.unplanned_item_share),
        swayed_by_offers: bought && fired(Some(p.bundle_uptake), t.offer_uptake),
        one_time: p.orders > 0 && fired(n(p.orders), t.orders),
        not_returned: fired(on(p.sessions_after_last_order), t.sessions_after_last_order),
    }
}

/// Picks the primary persona from the scores.
#[inline]
pub(crate) fn primary(scores: &[f64; 6], precedence: &[Persona; 6], pass: f64) -> (Persona, bool) {
    // The first that passes, without a branch per persona: walked from the
    // back, each passing persona replaces the pick.
    let mut pick = None;
    for &p in precedence.iter().rev() {
        let passes = scores.get(p.index()).is_some_and(|&s| s >= pass);
        pick = if passes { Some(p) } else { pick };
    }
    if let Some(p) = pick {
        return (p, true);
    }
    let mut best = Persona::Surfer;
    let mut best_score = f64::NEG_INFINITY;
    for (&p, &s) in Persona::ALL.iter().zip(scores) {
        let better = s > best_score;
        best = if better { p } else { best };
        best_score = if better { s } else { best_score };
    }
    (best, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_then_highest() {
        let prec = crate::persona::config::DEFAULT_PRECEDENCE;
        let s = [0.9, 0.0, 0.6, 0.0, 0.0, 0.55];
        assert_eq!(primary(&s, &prec, 0.5), (Persona::Loyal, true));
        let s = [0.2, 0.3, 0.1, 0.0, 0.0, 0.3];
        assert_eq!(primary(&s, &prec, 0.5), (Persona::Researcher, false));
        assert_eq!(primary(&[0.0; 6], &prec, 0.5), (Persona::Surfer, false));
    }

    #[test]
    fn unknown_evidence_is_left_out_and_its_weight_spread() {
        let mut p = BehaviourProfile::empty(CustomerId(1), chrono::DateTime::UNIX_EPOCH);
        p.orders = 4;
        p.product_views = 8;
        p.deal_order_share = 1.0;
        p.discounted_order_share = 1.0;
        p.promotion_order_share = 1.0;
        p.deal_orders = 4;
        // No view-level flags, no coupons in this input: the two terms whose
        // features cannot be seen must not hold the score down.
        let known = PersonaConfig::default();
        let mut blind = PersonaConfig::default();
        blind.evidence.view_discount_flags = false;
        blind.evidence.coupons = false;
        let all = score(
            Persona::DealDriven,
            &p,
            &known,
            &Weights::new(&known),
            &mut Quiet,
        );
        let spread = score(
            Persona::DealDriven,
            &p,
            &blind,
            &Weights::new(&blind),
            &mut Quiet,
        );
        assert!((all - 0.7).abs() < 1e-12, "{all}");
        assert!((spread - 0.7 / 0.75).abs() < 1e-12, "{spread}");
        let mut rec = Record::default();
        let s = score(
            Persona::DealDriven,
            &p,
            &blind,
            &Weights::new(&blind),
            &mut rec,
        );
        let left: Vec<Feature> = rec
            .0
            .iter()
            .filter(|r| r.left_out)
            .map(|r| r.feature)
            .collect();
        assert_eq!(
            left,
            [Feature::CouponOrderShare, Feature::DiscountedViewShare]
        );
        let sum: f64 = rec.0.iter().map(|r| r.contribution).sum();
        assert!((s - sum).abs() < 1e-12);
        assert!(rec.0.iter().any(|r| r.to_string().contains("left out")));
        // Nothing about offers at all: the persona cannot be seen.
        blind.evidence = crate::persona::Evidence {
            discount_flags: false,
            view_discount_flags: false,
            promotions: false,
            coupons: false,
        };
        assert_eq!(
            score(
                Persona::DealDriven,
                &p,
                &blind,
                &Weights::new(&blind),
                &mut Quiet
            ),
            0.0
        );
    }

    #[test]
    fn campaign_days_alone_never_make_a_deal_shopper() {
        let mut p = BehaviourProfile::empty(CustomerId(1), chrono::DateTime::UNIX_EPOCH);
        p.orders = 3;
        p.campaign_order_share = 1.0;
        assert_eq!(
            score(
                Persona::DealDriven,
                &p,
                &PersonaConfig::default(),
                &Weights::new(&PersonaConfig::default()),
                &mut Quiet
            ),
            0.0
        );
    }

    #[test]
    fn contributions_add_up() {
        let c = PersonaConfig::default();
        let mut p = BehaviourProfile::empty(CustomerId(1), chrono::DateTime::UNIX_EPOCH);
        p.orders = 3;
        p.shopping_sessions = 3;
        p.days_since_last_order = Some(50.0);
        p.reviews_written = 1;
        p.product_views = 10;
        p.category_concentration = Some(0.5);
        for &persona in Persona::ALL {
            let mut rec = Record::default();
            let s = score(persona, &p, &c, &Weights::new(&c), &mut rec);
            let sum: f64 = rec.0.iter().map(|r| r.contribution).sum();
            assert!((s - sum).abs() < 1e-12, "{persona}: {s} vs {sum}");
            assert_eq!(s, score(persona, &p, &c, &Weights::new(&c), &mut Quiet));
        }
    }
}
