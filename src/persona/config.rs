//! The classifier's thresholds: a serde configuration whose every default
//! names its source or says that it is a judgment call.

use chrono::{Datelike, NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Persona;

/// A soft ramp: 0 at `from`, 1 at `to`, linear in between and clamped
/// outside. When `to < from` the ramp falls: small values score 1.
///
/// The ramp's threshold (where it gives 0.5) is the midpoint of the two ends.
/// Soft ramps instead of cliffs keep a customer just below a threshold close
/// to one just above it.
///
/// ```
/// use cxjourney::persona::Ramp;
/// let rising = Ramp::new(2.0, 4.0);
/// assert_eq!(rising.eval(1.0), 0.0);
/// assert_eq!(rising.eval(3.0), 0.5);
/// assert_eq!(rising.eval(9.0), 1.0);
/// let falling = Ramp::new(120.0, 45.0); // recent is good
/// assert_eq!(falling.eval(30.0), 1.0);
/// assert_eq!(falling.eval(f64::INFINITY), 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "RampRepr", into = "RampRepr")]
pub struct Ramp {
    from: f64,
    to: f64,
    /// `1 / (to - from)`, so that evaluating needs no division.
    scale: f64,
}

/// The serialized form of a [`Ramp`]: `{"from": .., "to": ..}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RampRepr {
    from: f64,
    to: f64,
}

impl From<RampRepr> for Ramp {
    fn from(r: RampRepr) -> Ramp {
        Ramp::new(r.from, r.to)
    }
}

impl From<Ramp> for RampRepr {
    fn from(r: Ramp) -> RampRepr {
        RampRepr {
            from: r.from,
            to: r.to,
        }
    }
}

impl Ramp {
    /// A ramp from `from` (score 0) to `to` (score 1).
    #[must_use]
    pub const fn new(from: f64, to: f64) -> Ramp {
        Ramp {
            from,
            to,
            scale: 1.0 / (to - from),
        }
    }

    /// The value that scores 0.
    #[must_use]
    pub const fn from(self) -> f64 {
        self.from
    }

    /// The value that scores 1.
    #[must_use]
    pub const fn to(self) -> f64 {
        self.to
    }

    /// The score of `x`, in [0, 1]. NaN scores 0; infinities score as the
    /// end they lie beyond. (A ramp with equal ends, which
    /// [`PersonaConfig::validate`] refuses, is a step just above that value.)
    #[inline]
    #[must_use]
    pub fn eval(self, x: f64) -> f64 {
        let t = (x - self.from) * self.scale;
        // `max` returns the other operand for NaN (from NaN input or inf * 0),
        // so NaN scores 0, where `clamp` would keep the NaN; both compile to
        // branch-free instructions.
        #[allow(clippy::manual_clamp)]
        let clamped = t.max(0.0).min(1.0);
        clamped
    }

    /// Where the ramp gives 0.5: the midpoint of its ends.
    #[must_use]
    pub fn threshold(self) -> f64 {
        (self.from + self.to) / 2.0
    }

    fn validate(self, field: &'static str) -> Result<()> {
        if !self.from.is_finite() || !self.to.is_finite() || self.from == self.to {
            return Err(Error::InvalidConfig {
                field,
                value: format!("{{from: {}, to: {}}}", self.from, self.to),
                reason: "both ends must be finite numbers and differ",
            });
        }
        Ok(())
    }
}

/// A recurring campaign day (a sale held every year on the same date), such
/// as 11.11 or Harbolnas on 12 December.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignDay {
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31 (29 February is allowed).
    pub day: u32,
    /// A name for reports, such as `"11.11"`.
    pub name: String,
}

impl CampaignDay {
    /// A campaign day.
    #[must_use]
    pub fn new(month: u32, day: u32, name: &str) -> CampaignDay {
        CampaignDay {
            month,
            day,
            name: name.to_owned(),
        }
    }
}

/// The campaign calendar a classification used, as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CampaignCalendar {
    /// The time zone, such as `"UTC+07:00 (WIB)"`.
    pub time_zone: String,
    /// The same as minutes east of UTC.
    pub utc_offset_minutes: i32,
    /// The recurring campaign days, `"MM-DD name"`.
    pub days: Vec<String>,
    /// Days before each campaign day that count as the campaign.
    pub lead_days: u32,
    /// Whether orders naming a campaign count as campaign orders too.
    pub from_field: bool,
}

impl std::fmt::Display for CampaignCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "campaign calendar in {}: {} days ({}), {} lead day{}{}",
            self.time_zone,
            self.days.len(),
            self.days.join(", "),
            self.lead_days,
            if self.lead_days == 1 { "" } else { "s" },
            if self.from_field {
                ", and orders naming a campaign"
            } else {
                ""
            }
        )
    }
}

/// How sessions get their mode (after Moe 2003, "Buying, searching, or
/// browsing: differentiating between online shoppers using in-store
/// navigational clickstream", *Journal of Consumer Psychology* 13(1-2)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionModeConfig {
    /// A session that puts something in the cart, checks out or orders after
    /// viewing at most this many distinct products is directed buying.
    /// Default 3: judgment call (Moe's directed buyers look at few product
    /// pages and go straight to the purchase).
    pub directed_max_products: u32,
    /// A session with at least this many comparisons and review reads per
    /// product view (and no single-category focus) is knowledge building.
    /// Default 0.5: judgment call (Moe's knowledge builders favour
    /// information pages over product pages).
    pub knowledge_min_info_ratio: f64,
}

impl Default for SessionModeConfig {
    fn default() -> Self {
        SessionModeConfig {
            directed_max_products: 3,
            knowledge_min_info_ratio: 0.5,
        }
    }
}

/// Ramps of the surfer score: browses a lot, broadly, compares and comments,
/// rarely buys.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurferThresholds {
    /// Gate "rarely buys": orders per shopping session, from 0.34 (one order in
    /// three sessions: scores 0) to 0.1 (one in ten: scores 1). Judgment call.
    pub orders_per_session: Ramp,
    /// Product views, 8 to 25. Judgment call.
    pub product_views: Ramp,
    /// Shopping sessions, 1.5 to 4. Judgment call.
    pub shopping_sessions: Ramp,
    /// Category concentration (Herfindahl of product views by category),
    /// 0.6 down to 0.3: broad browsing scores. Judgment call (a Herfindahl
    /// below about 0.3 means views spread over four or more categories).
    pub category_concentration: Ramp,
    /// Comparisons, review reads and reviews written together, 2 to 8.
    /// Judgment call.
    pub engagement: Ramp,
}

impl Default for SurferThresholds {
    fn default() -> Self {
        SurferThresholds {
            orders_per_session: Ramp::new(0.34, 0.1),
            product_views: Ramp::new(8.0, 25.0),
            shopping_sessions: Ramp::new(1.5, 4.0),
            category_concentration: Ramp::new(0.6, 0.3),
            engagement: Ramp::new(2.0, 8.0),
        }
    }
}

/// Ramps of the researcher score: means to buy, compares and reads reviews,
/// focused on one need, over several sessions or days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResearcherThresholds {
    /// Gate "takes several sessions or days": days from the first touch to the
    /// first order (to the last touch without an order), 0.25 (six hours) to
    /// 2. Judgment call.
    pub deliberation_days: Ramp,
    /// Comparisons and review reads, 2 to 8. Judgment call.
    pub research_actions: Ramp,
    /// Category concentration, 0.35 to 0.7: one need, one category. Judgment
    /// call (Moe 2003: deliberation stays within a category).
    pub category_concentration: Ramp,
    /// Purchase intent: orders, checkouts and wishlist adds, 0 to 1.
    /// Judgment call.
    pub intent_actions: Ramp,
    /// Second gate "one need": category concentration, 0.3 to 0.5. The
    /// source's researcher "memang ingin beli barang" (really wants to buy
    /// a thing) and compares within that need; the surfer compares too but
    /// wanders ("membuang waktu"). Below 0.3 (views spread evenly over four
    /// categories or more) the customer is no researcher. The ends are a
    /// judgment call.
    pub focus_gate: Ramp,
}

impl Default for ResearcherThresholds {
    fn default() -> Self {
        ResearcherThresholds {
            deliberation_days: Ramp::new(0.25, 2.0),
            research_actions: Ramp::new(2.0, 8.0),
            category_concentration: Ramp::new(0.35, 0.7),
            intent_actions: Ramp::new(0.0, 1.0),
            focus_gate: Ramp::new(0.3, 0.5),
        }
    }
}

/// Ramps of the focused-buyer score: arrives and buys in one short session.
///
/// "Buys" is the first purchase attempt (checkout start or order): a focused
/// buyer who drops off at checkout (shipping cost, long forms) still arrived
/// knowing what to buy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FocusedThresholds {
    /// Shopping sessions up to the first purchase attempt, 2 down to 1.
    /// Source: the persona definition ("in one session").
    pub sessions_to_first_checkout: Ramp,
    /// Minutes of that session, 60 down to 20. Judgment call.
    pub first_checkout_session_minutes: Ramp,
    /// Product views before the first purchase attempt, 8 down to 3.
    /// Judgment call.
    pub views_before_first_checkout: Ramp,
    /// Gate "shops straight away": shopping sessions up to the first
    /// purchase attempt, 3 down to 1. Source: the persona definition
    /// ("masuk website langsung belanja", enters the site and shops at
    /// once); a second visit still half counts (judgment call).
    pub first_visits_gate: Ramp,
}

impl Default for FocusedThresholds {
    fn default() -> Self {
        FocusedThresholds {
            sessions_to_first_checkout: Ramp::new(2.0, 1.0),
            first_checkout_session_minutes: Ramp::new(60.0, 20.0),
            views_before_first_checkout: Ramp::new(8.0, 3.0),
            first_visits_gate: Ramp::new(3.0, 1.0),
        }
    }
}

/// Ramps of the deal-driven score: buys what is discounted.
///
/// The source (the acquisition course the crate's personas come from)
/// defines the sale- or discount-driven shopper as one who is "terpengaruh
/// informasi diskon dan harga coret, beli yang ada diskon": influenced by
/// discount information and struck-through prices, buys what is discounted.
/// So the score is carried by orders bought on an offer (a discounted price,
/// a coupon, or a promotion that led to the order); orders on campaign days
/// such as 11.11 are supporting evidence and never the gate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DealThresholds {
    /// Share of orders bought on an offer: discounted (the order or one of
    /// its cart items flagged discounted) or with a coupon entered or applied
    /// in the order's session; in an input that can show no discount, led by
    /// a promotion (see [`PersonaConfig::promotion_window`]). 0.3 to 0.7; the gate and the
    /// heaviest term (0.3). Source: the persona definition ("buys what is
    /// discounted"); the ends are a judgment call (most orders).
    pub deal_order_share: Ramp,
    /// Orders bought on an offer, 1 to 2 (term 0.15): one discounted order
    /// is weak evidence (a researcher may happen to buy at a sale price),
    /// coming back for a second one is the habit. Judgment call.
    pub deal_orders: Ramp,
    /// Share of orders at a discount (flag or coupon), 0.3 to 0.7 (term 0.1).
    /// Source: the persona definition ("struck-through prices"); the ends are
    /// a judgment call.
    pub discounted_order_share: Ramp,
    /// Share of orders on an offer led by a promotion view or click, 0.2 to
    /// 0.6 (term 0.15). Source: the persona definition ("influenced by discount
    /// information"); the ends are a judgment call.
    pub promotion_order_share: Ramp,
    /// Share of orders with a coupon entered or applied, 0 to 0.5 (term
    /// 0.05). Judgment call.
    pub coupon_order_share: Ramp,
    /// Share of orders bought on an offer on a campaign day (or in a
    /// campaign, see [`PersonaConfig::campaigns_from_field`]), 0.2 to 0.6
    /// (term 0.05): supporting evidence only. Judgment call.
    pub campaign_order_share: Ramp,
    /// Share of product views at discounted prices: struck-through prices
    /// seen ("harga coret"), 0.2 to 0.6 (term 0.2;
    /// left out when no product view of the input carries a discount flag,
    /// see [`Evidence`]). Judgment call.
    pub discounted_view_share: Ramp,
}

impl Default for DealThresholds {
    fn default() -> Self {
        DealThresholds {
            deal_order_share: Ramp::new(0.3, 0.7),
            deal_orders: Ramp::new(1.0, 2.0),
            discounted_order_share: Ramp::new(0.3, 0.7),
            promotion_order_share: Ramp::new(0.2, 0.6),
            coupon_order_share: Ramp::new(0.0, 0.5),
            campaign_order_share: Ramp::new(0.2, 0.6),
            discounted_view_share: Ramp::new(0.2, 0.6),
        }
    }
}

/// Ramps of the impulsive / one-time score: came for little, was swayed into
/// buying more, may not come back.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImpulsiveThresholds {
    /// Gate "bought more": extra items per ordering session, 0.5 to 2.
    /// Judgment call.
    pub basket_growth: Ramp,
    /// Unplanned-item share, 0.2 to 0.5. Judgment call.
    pub unplanned_item_share: Ramp,
    /// Offer uptake (share of orders whose extra items were discounted or
    /// bundled), 0 to 0.5. Judgment call.
    pub offer_uptake: Ramp,
    /// "Came for little": product views before the first add to cart, 6 down
    /// to 2. Judgment call.
    pub views_before_first_cart: Ramp,
    /// "One-time": orders, 2 down to 1, a term and a gate (no order, a
    /// basket left at checkout, counts as one-time). Source: the persona
    /// definition ("belum tentu balik lagi", may not come back); a shopper
    /// who comes back for a second order on an offer is deal-driven.
    pub orders: Ramp,
    /// "Did not come back": shopping sessions after the last order, 1 down
    /// to 0. Source: the persona definition.
    pub sessions_after_last_order: Ramp,
}

impl Default for ImpulsiveThresholds {
    fn default() -> Self {
        ImpulsiveThresholds {
            basket_growth: Ramp::new(0.5, 2.0),
            unplanned_item_share: Ramp::new(0.2, 0.5),
            offer_uptake: Ramp::new(0.0, 0.5),
            views_before_first_cart: Ramp::new(6.0, 2.0),
            orders: Ramp::new(2.0, 1.0),
            sessions_after_last_order: Ramp::new(1.0, 0.0),
        }
    }
}

/// Ramps of the loyal score: comes back and buys at ordinary prices,
/// recently, tells others.
///
/// The source defines the loyal customer as one who is "sudah biasa beli di
/// ecommerce tersebut, sering menceritakan pengalaman belanja di ecommerce
/// tersebut": used to buying at this shop, often tells others about it.
/// Against the deal-driven shopper ("beli yang ada diskon", buys what is
/// discounted), loyalty is coming back when there is no offer: the orders
/// counted here are the orders at ordinary prices (not discounted, no
/// coupon, not led by a promotion). A repeat buyer whose repeat orders are
/// mostly on offer is deal-driven, not loyal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoyalThresholds {
    /// Gate "buys again without an offer": orders at ordinary prices, 1 to 2.
    /// Source: the persona definition (a repeat buyer has at least two
    /// orders; loyalty does not need an offer).
    pub repeat_gate: Ramp,
    /// Orders (all of them: the habit of buying here), 2 to 4. Judgment
    /// call.
    pub orders: Ramp,
    /// Days since the last order, 120 down to 45. Judgment call (about a
    /// quarter of a year, the usual horizon of RFM recency scores).
    pub days_since_last_order: Ramp,
    /// Advocacy actions (referrals sent, reviews written, an NPS of 9 or 10),
    /// 0 to 1. Source: the persona definition ("often tells others").
    pub advocacy_actions: Ramp,
}

impl Default for LoyalThresholds {
    fn default() -> Self {
        LoyalThresholds {
            repeat_gate: Ramp::new(1.0, 2.0),
            orders: Ramp::new(2.0, 4.0),
            days_since_last_order: Ramp::new(120.0, 45.0),
            advocacy_actions: Ramp::new(0.0, 1.0),
        }
    }
}

/// Which optional signals the input can carry at all.
///
/// Many event logs cannot carry some of the evidence the scores read: GA4
/// and Segment put no discount flag on a product view, a shop without
/// coupons logs no coupon events. A term whose feature is unknown for the
/// whole input is left out of its score and its weight spread over the other
/// terms (the explanation marks it), so a missing column never lowers a
/// score. [`Evidence::of_log`] finds out from a log; the default assumes
/// every signal can be present (the right choice when scoring one customer
/// of a shop whose data is known to carry them).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use cxjourney::log::EventLog;
/// use cxjourney::persona::Evidence;
/// use cxjourney::{BuiltinKind as K, CustomerId, JourneyConfig, Touchpoint};
/// let t = Utc.with_ymd_and_hms(2025, 3, 3, 10, 0, 0).unwrap();
/// let rows = [
///     Touchpoint::new(CustomerId(1), t, K::ProductView).with_product("a"),
///     Touchpoint::new(CustomerId(1), t, K::OrderCompleted).with_discounted(true),
/// ];
/// let log = EventLog::from_touchpoints(&rows, &JourneyConfig::default())?;
/// let e = Evidence::of_log(&log);
/// assert!(e.discount_flags && !e.view_discount_flags && !e.promotions && !e.coupons);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Evidence {
    /// Some row carries a discount flag (`discounted` true).
    pub discount_flags: bool,
    /// Some product view carries a discount flag.
    pub view_discount_flags: bool,
    /// Some row is a promotion view or click.
    pub promotions: bool,
    /// Some row is a coupon event (entered, applied, denied or removed).
    pub coupons: bool,
}

impl Default for Evidence {
    /// Every signal can be present.
    fn default() -> Self {
        Evidence::ALL
    }
}

impl Evidence {
    /// Every signal can be present.
    pub const ALL: Evidence = Evidence {
        discount_flags: true,
        view_discount_flags: true,
        promotions: true,
        coupons: true,
    };

    /// What a list of touchpoints carries (as [`Evidence::of_log`]).
    #[must_use]
    pub fn of_touchpoints(touchpoints: &[crate::model::Touchpoint]) -> Evidence {
        use crate::model::BuiltinKind as K;
        let mut e = Evidence {
            discount_flags: false,
            view_discount_flags: false,
            promotions: false,
            coupons: false,
        };
        for t in touchpoints {
            let kind = t.kind.builtin();
            if t.discounted {
                e.discount_flags = true;
                e.view_discount_flags |= kind == Some(K::ProductView);
            }
            e.promotions |= matches!(kind, Some(K::PromotionView | K::PromotionClick));
            e.coupons |= matches!(
                kind,
                Some(K::CouponEntered | K::CouponApplied | K::CouponDenied | K::CouponRemoved)
            );
        }
        e
    }

    /// What a log carries: one pass over its kind and discount columns.
    #[must_use]
    pub fn of_log(log: &crate::log::EventLog) -> Evidence {
        use crate::model::BuiltinKind as K;
        let kinds = &log.cols.kind;
        let flags = &log.cols.discounted;
        let code = |k: K| u16::try_from(k.index()).unwrap_or(u16::MAX);
        let view = code(K::ProductView);
        let (pv, pc) = (code(K::PromotionView), code(K::PromotionClick));
        let coupons = [
            code(K::CouponEntered),
            code(K::CouponApplied),
            code(K::CouponDenied),
            code(K::CouponRemoved),
        ];
        let mut e = Evidence {
            discount_flags: false,
            view_discount_flags: false,
            promotions: false,
            coupons: false,
        };
        for (&k, &d) in kinds.iter().zip(flags) {
            if d {
                e.discount_flags = true;
                e.view_discount_flags |= k == view;
            }
        }
        for &k in kinds {
            e.promotions |= k == pv || k == pc;
            e.coupons |= coupons.contains(&k);
        }
        e
    }
}

/// Everything the persona classifier can be told.
///
/// ```
/// use cxjourney::persona::{CampaignDay, PersonaConfig};
/// let mut config = PersonaConfig::default();
/// config.campaign_days.push(CampaignDay::new(7, 25, "payday"));
/// config.validate()?;
/// let json = serde_json::to_string(&config).unwrap();
/// assert_eq!(serde_json::from_str::<PersonaConfig>(&json).unwrap(), config);
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// Deserializing validates ([`PersonaConfig::validate`]), and every
/// configuration that validates reads back from its own JSON (windows up to
/// `TimeDelta::MAX` included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PersonaConfigData")]
pub struct PersonaConfig {
    /// An item added to the cart at most this long after the customer first
    /// saw it is unplanned. Default 10 minutes: the crate's specification
    /// (issue 4); a judgment call. Serialized as seconds.
    #[serde(with = "crate::model::time")]
    pub unplanned_window: TimeDelta,
    /// A touchpoint on SMS, WhatsApp, email, push or customer service at most
    /// this long before an order (and after the previous order) counts as a
    /// reminder that preceded it. Default 48 hours: judgment call. Serialized
    /// as seconds.
    #[serde(with = "crate::model::time")]
    pub reminder_window: TimeDelta,
    /// A promotion click (`select_promotion`, Segment "Promotion Clicked")
    /// at most this long before an order led to the order; so did a promotion view or click in the order's own
    /// session. A promotion view outside the session (a banner impression, a
    /// pushed message) shows exposure, not influence, and does not count.
    /// Default 24 hours: judgment call. Serialized as seconds.
    #[serde(with = "crate::model::time")]
    pub promotion_window: TimeDelta,
    /// Recurring campaign days. Default: the twin dates 1.1 to 12.12 (the
    /// monthly marketplace sales of Indonesia; judgment call), of which 11.11
    /// and 12.12 (Harbolnas, Hari Belanja Online Nasional, held on 12
    /// December) are named in the persona definition.
    pub campaign_days: Vec<CampaignDay>,
    /// Days before a campaign day that count as the campaign (shoppers fill
    /// their carts the evening before a midnight sale). Default 1: judgment
    /// call.
    pub campaign_lead_days: u32,
    /// The time zone of the campaign calendar and of calendar days, as
    /// minutes east of UTC. Default 420: UTC+7, WIB (Waktu Indonesia Barat,
    /// western Indonesia, where the national campaign days start at local
    /// midnight); judgment call for the crate's home market. A shop in
    /// Makassar (WITA) sets 480, one in Jayapura (WIT) 540.
    pub utc_offset_minutes: i32,
    /// Whether an order whose touchpoint names a campaign (the `campaign`
    /// field) also counts as a campaign order, besides the calendar. Default
    /// true: judgment call (a shop's own campaigns are not on the calendar).
    pub campaigns_from_field: bool,
    /// A customer with fewer behaviour actions than this (product views,
    /// comparisons, reviews read or written, wishlist and cart adds,
    /// checkouts, orders, promotion and coupon events) is reported as
    /// undetermined rather than given the highest score, unless they started
    /// a checkout or ordered: one view in one session says too little about a
    /// shopper, a purchase attempt says enough. Default 3: judgment call. Set
    /// 0 to always get the highest score.
    pub min_actions: u32,
    /// Which optional signals the input carries ([`Evidence::of_log`]);
    /// terms whose feature the input cannot carry are left out. Default:
    /// every signal can be present.
    pub evidence: Evidence,
    /// Session modes.
    pub session_modes: SessionModeConfig,
    /// A persona passes when its score is at least this. Default 0.5, the
    /// midpoint of the ramps: judgment call.
    pub pass_score: f64,
    /// Which persona is primary when several pass, first wins. Default:
    /// impulsive / one-time, deal-driven, loyal, focused buyer, researcher,
    /// surfer. The rule is "the more specific evidence wins": impulsive needs
    /// a basket grown by offers, which deal-driven and focused ignore.
    /// Deal-driven comes before loyal by the source's definitions: the
    /// deal-driven shopper "beli yang ada diskon" (buys what is discounted)
    /// while the loyal one "sudah biasa beli di ecommerce tersebut" (is used
    /// to buying at the shop); a repeat buyer whose orders are mostly on an
    /// offer comes for the offer, and loyalty is coming back without one (the
    /// loyal score counts only orders at ordinary prices, so both pass only
    /// for a customer with both kinds of orders). Loyal needs repeat orders,
    /// which focused ignores; focused needs a purchase in the first short
    /// session; researcher needs long deliberation focused on one need, which
    /// surfer ignores. Judgment call.
    pub precedence: Vec<Persona>,
    /// The lowest NPS answer that makes a promoter. Default 9: source, the Net
    /// Promoter Score (Reichheld 2003, promoters answer 9 or 10).
    pub promoter_nps: u8,
    /// Surfer ramps.
    pub surfer: SurferThresholds,
    /// Researcher ramps.
    pub researcher: ResearcherThresholds,
    /// Focused-buyer ramps.
    pub focused_buyer: FocusedThresholds,
    /// Deal-driven ramps.
    pub deal_driven: DealThresholds,
    /// Impulsive / one-time ramps.
    pub impulsive_one_time: ImpulsiveThresholds,
    /// Loyal ramps.
    pub loyal: LoyalThresholds,
}

/// A [`PersonaConfig`] as deserialized, before it is validated.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct PersonaConfigData {
    #[serde(with = "crate::model::time")]
    unplanned_window: TimeDelta,
    #[serde(with = "crate::model::time")]
    reminder_window: TimeDelta,
    #[serde(with = "crate::model::time")]
    promotion_window: TimeDelta,
    campaign_days: Vec<CampaignDay>,
    campaign_lead_days: u32,
    utc_offset_minutes: i32,
    campaigns_from_field: bool,
    min_actions: u32,
    evidence: Evidence,
    session_modes: SessionModeConfig,
    pass_score: f64,
    precedence: Vec<Persona>,
    promoter_nps: u8,
    surfer: SurferThresholds,
    researcher: ResearcherThresholds,
    focused_buyer: FocusedThresholds,
    deal_driven: DealThresholds,
    impulsive_one_time: ImpulsiveThresholds,
    loyal: LoyalThresholds,
}

impl Default for PersonaConfigData {
    fn default() -> Self {
        let c = PersonaConfig::default();
        PersonaConfigData {
            unplanned_window: c.unplanned_window,
            reminder_window: c.reminder_window,
            promotion_window: c.promotion_window,
            campaign_days: c.campaign_days,
            campaign_lead_days: c.campaign_lead_days,
            utc_offset_minutes: c.utc_offset_minutes,
            campaigns_from_field: c.campaigns_from_field,
            min_actions: c.min_actions,
            evidence: c.evidence,
            session_modes: c.session_modes,
            pass_score: c.pass_score,
            precedence: c.precedence,
            promoter_nps: c.promoter_nps,
            surfer: c.surfer,
            researcher: c.researcher,
            focused_buyer: c.focused_buyer,
            deal_driven: c.deal_driven,
            impulsive_one_time: c.impulsive_one_time,
            loyal: c.loyal,
        }
    }
}

impl TryFrom<PersonaConfigData> for PersonaConfig {
    type Error = Error;

    fn try_from(d: PersonaConfigData) -> Result<PersonaConfig> {
        let c = PersonaConfig {
            unplanned_window: d.unplanned_window,
            reminder_window: d.reminder_window,
            promotion_window: d.promotion_window,
            campaign_days: d.campaign_days,
            campaign_lead_days: d.campaign_lead_days,
            utc_offset_minutes: d.utc_offset_minutes,
            campaigns_from_field: d.campaigns_from_field,
            min_actions: d.min_actions,
            evidence: d.evidence,
            session_modes: d.session_modes,
            pass_score: d.pass_score,
            precedence: d.precedence,
            promoter_nps: d.promoter_nps,
            surfer: d.surfer,
            researcher: d.researcher,
            focused_buyer: d.focused_buyer,
            deal_driven: d.deal_driven,
            impulsive_one_time: d.impulsive_one_time,
            loyal: d.loyal,
        };
        c.validate()?;
        Ok(c)
    }
}

/// The default precedence (see [`PersonaConfig::precedence`]).
pub const DEFAULT_PRECEDENCE: [Persona; 6] = [
    Persona::ImpulsiveOneTime,
    Persona::DealDriven,
    Persona::Loyal,
    Persona::FocusedBuyer,
    Persona::Researcher,
    Persona::Surfer,
];

impl Default for PersonaConfig {
    fn default() -> Self {
        let mut campaign_days: Vec<CampaignDay> = (1..=12)
            .map(|m| CampaignDay::new(m, m, &format!("{m}.{m}")))
            .collect();
        if let Some(d) = campaign_days.last_mut() {
            d.name = "12.12 harbolnas".to_owned();
        }
        PersonaConfig {
            unplanned_window: TimeDelta::minutes(10),
            reminder_window: TimeDelta::hours(48),
            promotion_window: TimeDelta::hours(24),
            campaign_days,
            campaign_lead_days: 1,
            utc_offset_minutes: 420,
            campaigns_from_field: true,
            min_actions: 3,
            evidence: Evidence::ALL,
            session_modes: SessionModeConfig::default(),
            pass_score: 0.5,
            precedence: DEFAULT_PRECEDENCE.to_vec(),
            promoter_nps: 9,
            surfer: SurferThresholds::default(),
            researcher: ResearcherThresholds::default(),
            focused_buyer: FocusedThresholds::default(),
            deal_driven: DealThresholds::default(),
            impulsive_one_time: ImpulsiveThresholds::default(),
            loyal: LoyalThresholds::default(),
        }
    }
}

impl PersonaConfig {
    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the field when a window is negative, a
    /// campaign day is not a calendar date, the lead exceeds 31 days, the time
    /// zone is beyond +-18 hours, `pass_score` is outside (0, 1], the
    /// precedence is not each persona exactly once, `promoter_nps` exceeds 10,
    /// `knowledge_min_info_ratio` is not a finite non-negative number, or a
    /// ramp has non-finite or equal ends.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, value: String, reason: &'static str| {
            Err(Error::InvalidConfig {
                field,
                value,
                reason,
            })
        };
        if self.unplanned_window < TimeDelta::zero() {
            return bad(
                "unplanned_window",
                self.unplanned_window.to_string(),
                "must not be negative",
            );
        }
        if self.promotion_window < TimeDelta::zero() {
            return bad(
                "promotion_window",
                self.promotion_window.to_string(),
                "must not be negative",
            );
        }
        if self.reminder_window < TimeDelta::zero() {
            return bad(
                "reminder_window",
                self.reminder_window.to_string(),
                "must not be negative",
            );
        }
        for d in &self.campaign_days {
            if NaiveDate::from_ymd_opt(2024, d.month, d.day).is_none() {
                return bad(
                    "campaign_days",
                    format!("{}.{} ({})", d.month, d.day, d.name),
                    "month must be 1-12 and day a date of that month",
                );
            }
        }
        if self.campaign_lead_days > 31 {
            return bad(
                "campaign_lead_days",
                self.campaign_lead_days.to_string(),
                "at most 31",
            );
        }
        if self.utc_offset_minutes.unsigned_abs() > 18 * 60 {
            return bad(
                "utc_offset_minutes",
                self.utc_offset_minutes.to_string(),
                "between -1080 and 1080",
            );
        }
        if !(self.pass_score > 0.0 && self.pass_score <= 1.0) {
            return bad(
                "pass_score",
                self.pass_score.to_string(),
                "must be in (0, 1]",
            );
        }
        let mut seen = [false; 6];
        for p in &self.precedence {
            if let Some(s) = seen.get_mut(p.index()) {
                *s = true;
            }
        }
        if self.precedence.len() != 6 || seen.iter().any(|s| !s) {
            return bad(
                "precedence",
                format!(
                    "{:?}",
                    self.precedence
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                ),
                "must list each of the six personas exactly once",
            );
        }
        if self.promoter_nps > 10 {
            return bad("promoter_nps", self.promoter_nps.to_string(), "at most 10");
        }
        let r = self.session_modes.knowledge_min_info_ratio;
        if !(r.is_finite() && r >= 0.0) {
            return bad(
                "session_modes.knowledge_min_info_ratio",
                r.to_string(),
                "must be a finite number >= 0",
            );
        }
        let s = &self.surfer;
        let rs = &self.researcher;
        let f = &self.focused_buyer;
        let d = &self.deal_driven;
        let i = &self.impulsive_one_time;
        let l = &self.loyal;
        for (ramp, field) in [
            (s.orders_per_session, "surfer.orders_per_session"),
            (s.product_views, "surfer.product_views"),
            (s.shopping_sessions, "surfer.shopping_sessions"),
            (s.category_concentration, "surfer.category_concentration"),
            (s.engagement, "surfer.engagement"),
            (rs.deliberation_days, "researcher.deliberation_days"),
            (rs.research_actions, "researcher.research_actions"),
            (
                rs.category_concentration,
                "researcher.category_concentration",
            ),
            (rs.intent_actions, "researcher.intent_actions"),
            (rs.focus_gate, "researcher.focus_gate"),
            (f.first_visits_gate, "focused_buyer.first_visits_gate"),
            (d.deal_orders, "deal_driven.deal_orders"),
            (
                f.sessions_to_first_checkout,
                "focused_buyer.sessions_to_first_checkout",
            ),
            (
                f.first_checkout_session_minutes,
                "focused_buyer.first_checkout_session_minutes",
            ),
            (
                f.views_before_first_checkout,
                "focused_buyer.views_before_first_checkout",
            ),
            (d.deal_order_share, "deal_driven.deal_order_share"),
            (
                d.discounted_order_share,
                "deal_driven.discounted_order_share",
            ),
            (d.promotion_order_share, "deal_driven.promotion_order_share"),
            (d.coupon_order_share, "deal_driven.coupon_order_share"),
            (d.campaign_order_share, "deal_driven.campaign_order_share"),
            (d.discounted_view_share, "deal_driven.discounted_view_share"),
            (i.basket_growth, "impulsive_one_time.basket_growth"),
            (
                i.unplanned_item_share,
                "impulsive_one_time.unplanned_item_share",
            ),
            (i.offer_uptake, "impulsive_one_time.offer_uptake"),
            (
                i.views_before_first_cart,
                "impulsive_one_time.views_before_first_cart",
            ),
            (i.orders, "impulsive_one_time.orders"),
            (
                i.sessions_after_last_order,
                "impulsive_one_time.sessions_after_last_order",
            ),
            (l.repeat_gate, "loyal.repeat_gate"),
            (l.orders, "loyal.orders"),
            (l.days_since_last_order, "loyal.days_since_last_order"),
            (l.advocacy_actions, "loyal.advocacy_actions"),
        ] {
            ramp.validate(field)?;
        }
        Ok(())
    }

    /// The campaign calendar this configuration classifies with, for
    /// reports.
    #[must_use]
    pub fn calendar(&self) -> CampaignCalendar {
        let m = self.utc_offset_minutes;
        let sign = if m < 0 { '-' } else { '+' };
        let a = m.unsigned_abs();
        let mut time_zone = format!("UTC{sign}{:02}:{:02}", a / 60, a % 60);
        match m {
            420 => time_zone.push_str(" (WIB)"),
            480 => time_zone.push_str(" (WITA)"),
            540 => time_zone.push_str(" (WIT)"),
            _ => {}
        }
        CampaignCalendar {
            time_zone,
            utc_offset_minutes: m,
            days: self
                .campaign_days
                .iter()
                .map(|d| format!("{:02}-{:02} {}", d.month, d.day, d.name))
                .collect(),
            lead_days: self.campaign_lead_days,
            from_field: self.campaigns_from_field,
        }
    }

    /// A table of calendar days (month 1-12, day 1-31) that count as campaign
    /// days, lead days included.
    pub(crate) fn campaign_table(&self) -> [[bool; 32]; 13] {
        let mut table = [[false; 32]; 13];
        for d in &self.campaign_days {
            // 2024 is a leap year, so 29 February is a date.
            let Some(date) = NaiveDate::from_ymd_opt(2024, d.month, d.day) else {
                continue;
            };
            for lead in 0..=i64::from(self.campaign_lead_days) {
                if let Some(day) = date.checked_sub_signed(TimeDelta::days(lead)) {
                    if let Some(cell) = table
                        .get_mut(day.month() as usize)
                        .and_then(|row| row.get_mut(day.day() as usize))
                    {
                        *cell = true;
                    }
                }
            }
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_round_trip() {
        let c = PersonaConfig::default();
        c.validate().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<PersonaConfig>(&json).unwrap(), c);
        let partial: PersonaConfig = serde_json::from_str(r#"{"pass_score": 0.6}"#).unwrap();
        assert_eq!(partial.pass_score, 0.6);
        assert!(serde_json::from_str::<PersonaConfig>(r#"{"pass_scor": 0.6}"#).is_err());
        // Issue 15, finding 6: deserializing validates.
        let e = serde_json::from_str::<PersonaConfig>(r#"{"utc_offset_minutes": -2147483648}"#)
            .unwrap_err();
        assert!(e.to_string().contains("-2147483648"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let mut c = PersonaConfig::default();
        c.precedence.pop();
        assert!(matches!(
            c.validate(),
            Err(Error::InvalidConfig {
                field: "precedence",
                ..
            })
        ));
        let mut c = PersonaConfig::default();
        c.loyal.orders = Ramp::new(2.0, 2.0);
        assert!(matches!(
            c.validate(),
            Err(Error::InvalidConfig {
                field: "loyal.orders",
                ..
            })
        ));
        let mut c = PersonaConfig::default();
        c.campaign_days.push(CampaignDay::new(2, 30, "x"));
        assert!(matches!(
            c.validate(),
            Err(Error::InvalidConfig {
                field: "campaign_days",
                ..
            })
        ));
        let c = PersonaConfig {
            pass_score: f64::NAN,
            ..PersonaConfig::default()
        };
        assert!(c.validate().is_err());
        // Issue 15, finding 6: `abs()` of i32::MIN overflowed.
        let c = PersonaConfig {
            utc_offset_minutes: i32::MIN,
            ..PersonaConfig::default()
        };
        assert!(matches!(
            c.validate(),
            Err(Error::InvalidConfig {
                field: "utc_offset_minutes",
                ..
            })
        ));
    }

    #[test]
    fn campaign_table_includes_lead_days() {
        let t = PersonaConfig::default().campaign_table();
        assert!(t[11][11] && t[11][10] && !t[11][9]);
        assert!(t[1][1] && t[12][31] && !t[12][30]); // 1.1's lead day is 31 December
    }

    #[test]
    fn ramps_are_clamped_and_total() {
        let r = Ramp::new(0.0, 2.0);
        assert_eq!(r.eval(f64::NAN), 0.0);
        assert_eq!(r.eval(-1.0), 0.0);
        assert_eq!(r.eval(1.0), 0.5);
        assert_eq!(r.threshold(), 1.0);
        assert_eq!(Ramp::new(1.0, 1.0).eval(1.5), 1.0);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"from":0.0,"to":2.0}"#);
        assert_eq!(serde_json::from_str::<Ramp>(&json).unwrap(), r);
    }
}
