//! The behaviour profile: everything the classifier needs about one customer,
//! computed in one pass over the journey's touchpoints up to `as_of`.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc};
use serde::{Deserialize, Serialize};

use std::hash::BuildHasher;

use crate::hash::SeededState;
use crate::journey::Journey;
use crate::model::{BuiltinKind as K, Channel, CheckoutType, CustomerId, Touchpoint};
use crate::persona::checkout::{CheckoutProfile, ReminderChannel};
use crate::persona::session::{SessionModeCounts, SessionStats, is_shopping};
use crate::persona::{PersonaConfig, SessionModeConfig};

const DAY: f64 = 86_400.0;

/// What one customer did, up to a date: the features personas are scored on.
///
/// Built by [`Classifier::profile`](crate::persona::Classifier::profile) or,
/// for many journeys, a reused [`Profiler`]. "Shopping sessions" are sessions
/// with at least one browsing or buying touchpoint (a kind whose default stage
/// is consideration or decision); sessions of deliveries, messages or surveys
/// alone do not count as visits. Shares are 0 when their denominator is 0;
/// optional values are `None` when the event they measure from never
/// happened.
// The layout puts the fields that classification reads in the first three
// cache lines, so classifying a large batch of ready profiles reads less memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[repr(C, align(64))]
pub struct BehaviourProfile {
    /// The customer.
    pub customer: CustomerId,
    /// Herfindahl index of product views by category (1 = one category);
    /// `None` without categorised views.
    pub category_concentration: Option<f64>,
    /// Minutes of the session of the first purchase attempt.
    pub first_checkout_session_minutes: Option<f64>,
    /// Days from the last order to `as_of`.
    pub days_since_last_order: Option<f64>,
    /// Days from the first touch to the first order, or to the last touch
    /// when there is no order: how long the customer took.
    pub deliberation_days: f64,
    /// Share of orders with discounted prices (the order or one of its cart
    /// items marked discounted).
    pub discounted_order_share: f64,
    /// Share of orders on campaign days (lead days included).
    pub campaign_order_share: f64,
    /// Share of product views at discounted or strike-through prices.
    pub discounted_view_share: f64,
    /// Basket growth: extra items (beyond the first) per order.
    pub basket_growth: f64,
    /// Share of ordered items that were unplanned: an item beyond the first of
    /// its ordering session, first seen at most the unplanned window before
    /// it was added. The first item is what the customer came for.
    pub unplanned_item_share: f64,
    /// Bundle and discount uptake: share of orders whose extra items were at
    /// discounted (package or strike-through) prices.
    pub bundle_uptake: f64,
    /// Product detail views.
    pub product_views: u32,
    /// Sessions with browsing or buying.
    pub shopping_sessions: u32,
    /// Side-by-side comparisons.
    pub comparisons: u32,
    /// Reviews read.
    pub review_reads: u32,
    /// Reviews written.
    pub reviews_written: u32,
    /// Completed orders.
    pub orders: u32,
    /// Checkouts started.
    pub checkouts: u32,
    /// Wishlist adds.
    pub wishlist_adds: u32,
    /// Referrals sent.
    pub referrals_sent: u32,
    /// Products or carts shared.
    pub shares: u32,
    /// Shopping sessions up to and including the first purchase attempt
    /// (checkout start or order).
    pub sessions_to_first_checkout: Option<u32>,
    /// Product views before the first purchase attempt.
    pub views_before_first_checkout: Option<u32>,
    /// Product views before the first add to cart.
    pub views_before_first_cart: Option<u32>,
    /// Shopping sessions after the session of the last order.
    pub sessions_after_last_order: Option<u32>,
    /// The customer's latest NPS answer (0-10) when known. Touchpoints carry
    /// no scores; set it with [`BehaviourProfile::with_nps`].
    pub nps: Option<u8>,
    /// Product views per shopping session.
    pub views_per_session: f64,
    /// Share of product views (with a product id) that revisit a product
    /// already viewed.
    pub repeat_view_ratio: f64,
    /// The channel of the first touchpoint.
    pub acquisition: Channel,
    /// Days from the first touch to the first order.
    pub days_to_first_order: Option<f64>,
    /// Days from the first touch to `as_of`.
    pub tenure_days: f64,
    /// Median days between consecutive orders (two orders or more).
    pub median_order_gap_days: Option<f64>,
    /// Upsell uptake: share of orders whose basket grew with an unplanned or
    /// discounted item or after checkout began.
    pub upsell_uptake: f64,
    /// Checkout, payment and reminders.
    pub checkout: CheckoutProfile,
    /// Touchpoints after this instant were left out.
    pub as_of: DateTime<Utc>,
    /// Touchpoints up to `as_of`.
    pub touchpoints: u32,
    /// Sessions (of the journey's session gap) up to `as_of`.
    pub sessions: u32,
    /// Shopping sessions by mode (Moe 2003).
    pub session_modes: SessionModeCounts,
    /// Distinct calendar days with a touchpoint (shop's time zone).
    pub active_days: u32,
    /// Distinct campaign days with a touchpoint.
    pub campaign_days_active: u32,
    /// Distinct products touched (viewed, compared, carted, ...).
    pub distinct_products: u32,
    /// Distinct categories among product views.
    pub distinct_categories: u32,
    /// Cart adds.
    pub cart_adds: u32,
    /// Promotions viewed or clicked.
    pub promotions: u32,
    /// When the first touchpoint happened.
    pub first_touch_at: Option<DateTime<Utc>>,
    /// Shopping sessions up to and including the one of the first order.
    pub sessions_to_first_order: Option<u32>,
    /// When the first order was completed.
    pub first_order_at: Option<DateTime<Utc>>,
    /// When the last order was completed.
    pub last_order_at: Option<DateTime<Utc>>,
    /// Items ordered: cart adds in each ordering session before its order, at
    /// least one per order.
    pub ordered_items: u32,
    /// Contacts with customer service started by the customer.
    pub support_contacts: u32,
}

impl BehaviourProfile {
    /// A profile of a customer with no touchpoints.
    #[must_use]
    pub fn empty(customer: CustomerId, as_of: DateTime<Utc>) -> BehaviourProfile {
        BehaviourProfile {
            customer,
            as_of,
            touchpoints: 0,
            sessions: 0,
            shopping_sessions: 0,
            session_modes: SessionModeCounts::default(),
            active_days: 0,
            campaign_days_active: 0,
            product_views: 0,
            views_per_session: 0.0,
            distinct_products: 0,
            distinct_categories: 0,
            category_concentration: None,
            repeat_view_ratio: 0.0,
            discounted_view_share: 0.0,
            comparisons: 0,
            review_reads: 0,
            wishlist_adds: 0,
            cart_adds: 0,
            checkouts: 0,
            promotions: 0,
            first_touch_at: None,
            acquisition: Channel::DIRECT,
            sessions_to_first_order: None,
            days_to_first_order: None,
            deliberation_days: 0.0,
            sessions_to_first_checkout: None,
            first_checkout_session_minutes: None,
            views_before_first_checkout: None,
            views_before_first_cart: None,
            orders: 0,
            first_order_at: None,
            last_order_at: None,
            tenure_days: 0.0,
            days_since_last_order: None,
            median_order_gap_days: None,
            discounted_order_share: 0.0,
            campaign_order_share: 0.0,
            ordered_items: 0,
            basket_growth: 0.0,
            unplanned_item_share: 0.0,
            bundle_uptake: 0.0,
            upsell_uptake: 0.0,
            sessions_after_last_order: None,
            referrals_sent: 0,
            reviews_written: 0,
            shares: 0,
            support_contacts: 0,
            nps: None,
            checkout: CheckoutProfile::default(),
        }
    }

    /// Sets the customer's NPS answer (values above 10 are clamped to 10).
    #[must_use]
    pub fn with_nps(mut self, nps: u8) -> BehaviourProfile {
        self.nps = Some(nps.min(10));
        self
    }
}

/// The parts of [`PersonaConfig`] the profile pass needs, precomputed.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    unplanned: TimeDelta,
    reminder: TimeDelta,
    offset_secs: i64,
    campaign: [[bool; 32]; 13],
    modes: SessionModeConfig,
}

impl Compiled {
    pub(crate) fn new(c: &PersonaConfig) -> Compiled {
        Compiled {
            unplanned: c.unplanned_window,
            reminder: c.reminder_window,
            offset_secs: i64::from(c.utc_offset_minutes) * 60,
            campaign: c.campaign_table(),
            modes: c.session_modes.clone(),
        }
    }

    /// The calendar date of an instant in the shop's time zone, from the UTC
    /// date and time of day (cheaper than converting to a timestamp).
    #[inline]
    fn local_date(&self, at: &DateTime<Utc>) -> Option<NaiveDate> {
        // `naive_utc` reads the stored value; `date_naive` would add the
        // (zero) offset of `Utc` at a cost.
        let utc = at.naive_utc();
        let date = utc.date();
        let secs = i64::from(utc.time().num_seconds_from_midnight()) + self.offset_secs;
        if secs >= 86_400 {
            date.succ_opt()
        } else if secs < 0 {
            date.pred_opt()
        } else {
            Some(date)
        }
    }

    fn is_campaign_date(&self, date: NaiveDate) -> bool {
        self.campaign
            .get(date.month() as usize)
            .and_then(|r| r.get(date.day() as usize))
            .copied()
            .unwrap_or(false)
    }
}

/// One slot of a [`KeyTable`].
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    epoch: u32,
    /// Index of the touchpoint whose key this is.
    tp: u32,
    hash: u64,
    views: u32,
    /// The last session (1-based) in which the key was viewed.
    session: u32,
}

/// A small open-addressing table from product or category keys to counts,
/// cleared in O(1) between journeys by bumping an epoch. Keys are read from
/// the journey's touchpoints, so it owns no strings.
#[derive(Debug, Clone, Default)]
struct KeyTable {
    slots: Vec<Slot>,
    used: Vec<u32>,
    epoch: u32,
    /// The address and length of the last key looked up and its slot: runs of
    /// touchpoints with the same product or category skip the hashing.
    last: Option<(usize, usize, usize)>,
    /// Product and category ids come from input: the table's own random seed
    /// (`crate::hash`), so crafted ids cannot collide; the quality variant
    /// because slots are picked by the hash's low bits.
    seed: SeededState,
}

#[derive(Clone, Copy)]
enum Field {
    Product,
    Category,
}

impl Field {
    #[inline]
    fn of(self, t: &Touchpoint) -> Option<&str> {
        match self {
            Field::Product => t.product.as_ref().map(|p| p.as_str()),
            Field::Category => t.category.as_ref().map(|c| c.as_str()),
        }
    }
}

impl KeyTable {
    fn begin(&mut self) {
        self.used.clear();
        self.last = None;
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            for s in &mut self.slots {
                s.epoch = 0;
            }
            self.epoch = 1;
        }
        if self.slots.is_empty() {
            self.slots = vec![Slot::default(); 64];
        }
    }

    fn grow(&mut self) {
        self.last = None;
        let cap = self.slots.len().max(32) * 2;
        let old: Vec<Slot> = self
            .used
            .iter()
            .filter_map(|&i| self.slots.get(i as usize).copied())
            .collect();
        self.slots = vec![Slot::default(); cap];
        self.used.clear();
        let mask = cap - 1;
        for s in old {
            let mut i = (s.hash as usize) & mask;
            loop {
                match self.slots.get_mut(i) {
                    Some(slot) if slot.epoch == self.epoch => i = (i + 1) & mask,
                    Some(slot) => {
                        *slot = s;
                        self.used.push(i as u32);
                        break;
                    }
                    None => break,
                }
            }
        }
    }

    /// The slot of the key of `tps[idx]`, inserted (with `tp = idx`, the
    /// first touch of the key) when new. `None` when the touchpoint has no
    /// such key.
    #[inline]
    fn entry(&mut self, tps: &[Touchpoint], idx: usize, field: Field) -> Option<&mut Slot> {
        let key = field.of(tps.get(idx)?)?;
        let addr = key.as_ptr() as usize;
        if let Some((a, n, i)) = self.last {
            // The same text in memory (all keys of one journey are alive).
            if a == addr && n == key.len() {
                return self.slots.get_mut(i);
            }
        }
        if (self.used.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let h = self.seed.hash_one(key);
        let mask = self.slots.len() - 1;
        let mut i = (h as usize) & mask;
        loop {
            let slot = self.slots.get(i)?;
            if slot.epoch != self.epoch {
                break;
            }
            if slot.hash == h {
                let other = tps.get(slot.tp as usize).and_then(|t| field.of(t));
                // Ids from one catalogue usually share their text: compare
                // addresses first, the bytes only when they differ.
                if other.is_some_and(|o| std::ptr::eq(o, key) || o == key) {
                    self.last = Some((addr, key.len(), i));
                    return self.slots.get_mut(i);
                }
            }
            i = (i + 1) & mask;
        }
        self.used.push(i as u32);
        self.last = Some((addr, key.len(), i));
        let epoch = self.epoch;
        let slot = self.slots.get_mut(i)?;
        *slot = Slot {
            epoch,
            tp: u32::try_from(idx).unwrap_or(u32::MAX),
            hash: h,
            views: 0,
            session: 0,
        };
        Some(slot)
    }

    fn live(&self) -> impl Iterator<Item = &Slot> {
        self.used.iter().filter_map(|&i| self.slots.get(i as usize))
    }
}

/// The cart of the current session since its last order.
#[derive(Debug, Clone, Copy, Default)]
struct Basket {
    items: u32,
    unplanned: u32,
    discounted_extra: bool,
    any_discounted: bool,
    checkout_started: bool,
    after_checkout: bool,
    payment: Option<crate::model::PaymentMethod>,
}

/// Builds [`BehaviourProfile`]s, reusing its scratch space from one journey to
/// the next (no allocation per journey once warm).
///
/// ```
/// use cxjourney::persona::Classifier;
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::{Journey, JourneyConfig};
/// let shop = SampleShop::generate(&SampleConfig { customers: 20, ..SampleConfig::default() })?;
/// let as_of = shop.touchpoints.last().map(|t| t.at).unwrap();
/// let journeys = Journey::group(shop.touchpoints, &JourneyConfig::default())?;
/// let classifier = Classifier::default();
/// let mut profiler = classifier.profiler();
/// for j in &journeys {
///     let profile = profiler.profile(j, as_of);
///     let c = classifier.classify(&profile);
///     assert!(c.score >= 0.0 && c.score <= 1.0);
/// }
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Profiler<'c> {
    compiled: &'c Compiled,
    scratch: Scratch,
}

#[derive(Debug, Clone, Default)]
struct Scratch {
    products: KeyTable,
    categories: KeyTable,
    order_times: Vec<i64>,
    gaps: Vec<f64>,
}

impl<'c> Profiler<'c> {
    pub(crate) fn new(compiled: &'c Compiled) -> Profiler<'c> {
        Profiler {
            compiled,
            scratch: Scratch::default(),
        }
    }

    /// The profile of a journey from its touchpoints at or before `as_of`.
    /// A journey that starts after `as_of` gives an empty profile
    /// (`touchpoints == 0`).
    pub fn profile(&mut self, journey: &Journey, as_of: DateTime<Utc>) -> BehaviourProfile {
        build(journey, as_of, self.compiled, &mut self.scratch)
    }
}

#[allow(clippy::too_many_lines)]
fn build(
    journey: &Journey,
    as_of: DateTime<Utc>,
    c: &Compiled,
    s: &mut Scratch,
) -> BehaviourProfile {
    let tps = journey.touchpoints();
    let mut p = BehaviourProfile::empty(journey.customer(), as_of);
    let Some(first) = tps.first().filter(|t| t.at <= as_of) else {
        return p;
    };
    s.products.begin();
    s.categories.begin();
    s.order_times.clear();
    p.first_touch_at = Some(first.at);
    p.acquisition = first.channel.clone();
    let first_secs = first.at.timestamp();
    // Index of the last touchpoint counted (kept as an index: copying the
    // timestamp every time costs a store-forwarding stall).
    let mut last_idx = 0usize;

    // The current calendar day in the shop's time zone.
    let mut cur_day: Option<Option<NaiveDate>> = None;
    let mut day_is_campaign = false;
    let mut last_reminder: [Option<DateTime<Utc>>; 5] = [None; 5];
    let mut prev_order: Option<DateTime<Utc>> = None;
    let mut registered = false;
    let mut cs_reminded = false;
    let mut attempt_session: Option<u32> = None;
    let mut last_order_session: u32 = 0;
    let mut viewed_with_product = 0u32;
    let mut categorised_views = 0u32;
    let mut discounted_views = 0u32;
    let mut discounted_orders = 0u32;
    let mut campaign_orders = 0u32;
    let mut unplanned_items = 0u32;
    let mut offer_orders = 0u32;
    let mut upsell_orders = 0u32;

    // Touchpoints are in time order: stop at the first one after `as_of`
    // (a linear stop rather than a binary search, which would jump around
    // memory that is about to be read in order anyway).
    let mut done = false;
    for session in journey.sessions() {
        if done || session.started_at > as_of {
            break;
        }
        let end = session.end;
        p.sessions += 1;
        let sess_no = p.sessions;
        let mut ss = SessionStats::default();
        let mut basket = Basket::default();
        let sess_first = tps.get(session.start).map(|t| t.at);
        let mut sess_last = session.start;
        for idx in session.start..end {
            let Some(t) = tps.get(idx) else { break };
            if t.at > as_of {
                done = true;
                break;
            }
            let at = t.at;
            sess_last = idx;
            p.touchpoints += 1;
            let day = c.local_date(&at);
            if cur_day != Some(day) {
                cur_day = Some(day);
                p.active_days += 1;
                day_is_campaign = day.is_some_and(|d| c.is_campaign_date(d));
                if day_is_campaign {
                    p.campaign_days_active += 1;
                }
            }
            let Some(kind) = t.kind.builtin() else {
                continue;
            };
            if let Some(rc) = ReminderChannel::of(&t.channel) {
                if !matches!(kind, K::SupportContact | K::OrderCompleted) {
                    if let Some(r) = last_reminder.get_mut(rc.index()) {
                        *r = Some(at);
                    }
                }
            }
            ss.shopping |= is_shopping(kind);
            match kind {
                K::ProductView => {
                    p.product_views += 1;
                    ss.product_views += 1;
                    if t.discounted {
                        discounted_views += 1;
                    }
                    if let Some(slot) = s.products.entry(tps, idx, Field::Product) {
                        viewed_with_product += 1;
                        slot.views += 1;
                        if slot.session != sess_no {
                            slot.session = sess_no;
                            ss.distinct_products += 1;
                        }
                    }
                    if let Some(slot) = s.categories.entry(tps, idx, Field::Category) {
                        categorised_views += 1;
                        slot.views += 1;
                        if slot.session != sess_no {
                            slot.session = sess_no;
                            ss.distinct_categories += 1;
                        }
                    }
                }
                K::Comparison => {
                    p.comparisons += 1;
                    ss.info += 1;
                    s.products.entry(tps, idx, Field::Product);
                }
                K::ReviewRead => {
                    p.review_reads += 1;
                    ss.info += 1;
                    s.products.entry(tps, idx, Field::Product);
                }
                K::WishlistAdd => {
                    p.wishlist_adds += 1;
                    s.products.entry(tps, idx, Field::Product);
                }
                K::AddToCart | K::WishlistAddToCart => {
                    p.cart_adds += 1;
                    ss.purchase = true;
                    if p.views_before_first_cart.is_none() {
                        p.views_before_first_cart = Some(p.product_views);
                    }
                    let first_seen = s
                        .products
                        .entry(tps, idx, Field::Product)
                        .map(|slot| slot.tp as usize)
                        .and_then(|i| tps.get(i))
                        .map(|f| f.at);
                    basket.items += 1;
                    basket.any_discounted |= t.discounted;
                    if basket.items > 1 {
                        if first_seen.is_some_and(|f| at - f <= c.unplanned) {
                            basket.unplanned += 1;
                        }
                        basket.discounted_extra |= t.discounted;
                        basket.after_checkout |= basket.checkout_started;
                    }
                }
                K::CheckoutStart => {
                    p.checkouts += 1;
                    ss.purchase = true;
                    basket.checkout_started = true;
                    if p.sessions_to_first_checkout.is_none() {
                        p.sessions_to_first_checkout = Some(p.shopping_sessions + 1);
                        p.views_before_first_checkout = Some(p.product_views);
                        attempt_session = Some(sess_no);
                    }
                }
                K::PaymentInfo if t.payment.is_some() => basket.payment = t.payment,
                K::Registration | K::Login => registered = true,
                K::PromotionView | K::PromotionClick => p.promotions += 1,
                K::ReferralSent => p.referrals_sent += 1,
                K::ReviewWritten => p.reviews_written += 1,
                K::Share | K::CartShare => p.shares += 1,
                K::SupportContact => p.support_contacts += 1,
                K::OrderCompleted => {
                    ss.purchase = true;
                    if p.sessions_to_first_checkout.is_none() {
                        p.sessions_to_first_checkout = Some(p.shopping_sessions + 1);
                        p.views_before_first_checkout = Some(p.product_views);
                        attempt_session = Some(sess_no);
                    }
                    let secs = at.timestamp();
                    p.orders += 1;
                    let items = basket.items.max(1);
                    p.ordered_items += items;
                    unplanned_items += basket.unplanned;
                    if basket.discounted_extra {
                        offer_orders += 1;
                    }
                    if basket.unplanned > 0 || basket.discounted_extra || basket.after_checkout {
                        upsell_orders += 1;
                    }
                    if t.discounted || basket.any_discounted {
                        discounted_orders += 1;
                    }
                    if day_is_campaign {
                        campaign_orders += 1;
                    }
                    if p.first_order_at.is_none() {
                        p.first_order_at = Some(t.at);
                        p.sessions_to_first_order = Some(p.shopping_sessions + 1);
                        p.days_to_first_order = Some((secs - first_secs) as f64 / DAY);
                    }
                    p.last_order_at = Some(t.at);
                    last_order_session = p.shopping_sessions + 1;
                    s.order_times.push(secs);
                    // Checkout type and payment.
                    let ct = t
                        .checkout
                        .or(registered.then_some(CheckoutType::Registered));
                    let co = &mut p.checkout;
                    match ct {
                        Some(CheckoutType::Guest) => co.guest_orders += 1,
                        Some(CheckoutType::Registered) => co.registered_orders += 1,
                        None => {}
                    }
                    if ct.is_some() {
                        co.checkout = ct;
                    }
                    if let Some(pm) = t.payment.or(basket.payment) {
                        if let Some(n) = co.payment_orders.get_mut(pm.index()) {
                            *n += 1;
                        }
                        co.preferred_payment = Some(pm);
                    }
                    // Reminders since the previous order, within the window.
                    let mut reminded = false;
                    for (ch, (&r, n)) in ReminderChannel::ALL
                        .iter()
                        .zip(last_reminder.iter().zip(co.reminders_by_channel.iter_mut()))
                    {
                        let Some(r) = r else { continue };
                        if prev_order.is_none_or(|p| r > p) && at - r <= c.reminder {
                            *n += 1;
                            reminded = true;
                            if *ch == ReminderChannel::CustomerService {
                                cs_reminded = true;
                            }
                        }
                    }
                    if reminded {
                        co.reminded_orders += 1;
                    }
                    prev_order = Some(at);
                    basket = Basket::default();
                }
                _ => {}
            }
        }
        if ss.shopping {
            p.shopping_sessions += 1;
            if let Some(m) = ss.mode(&c.modes) {
                p.session_modes.add(m);
            }
        }
        last_idx = sess_last;
        if attempt_session == Some(sess_no) {
            attempt_session = None;
            if let (Some(start), Some(end)) = (sess_first, tps.get(sess_last).map(|t| t.at)) {
                p.first_checkout_session_minutes =
                    Some((end - start).num_milliseconds() as f64 / 60_000.0);
            }
        }
    }

    // Finish.
    let as_of_secs = as_of.timestamp() as f64 + f64::from(as_of.timestamp_subsec_nanos()) / 1e9;
    let ratio = |a: u32, b: u32| {
        if b == 0 {
            0.0
        } else {
            f64::from(a) / f64::from(b)
        }
    };
    p.views_per_session = ratio(p.product_views, p.shopping_sessions);
    p.discounted_view_share = ratio(discounted_views, p.product_views);
    p.distinct_products = u32::try_from(s.products.used.len()).unwrap_or(u32::MAX);
    let mut distinct_viewed = 0u32;
    for slot in s.products.live() {
        if slot.views > 0 {
            distinct_viewed += 1;
        }
    }
    p.repeat_view_ratio = ratio(
        viewed_with_product.saturating_sub(distinct_viewed),
        viewed_with_product,
    );
    p.distinct_categories = u32::try_from(s.categories.used.len()).unwrap_or(u32::MAX);
    if categorised_views > 0 {
        let total = f64::from(categorised_views);
        let hhi: f64 = s
            .categories
            .live()
            .map(|slot| {
                let share = f64::from(slot.views) / total;
                share * share
            })
            .sum();
        p.category_concentration = Some(hhi.clamp(0.0, 1.0));
    }
    p.deliberation_days = match p.days_to_first_order {
        Some(d) => d,
        None => {
            let last = tps.get(last_idx).map_or(first_secs, |t| t.at.timestamp());
            (last - first_secs) as f64 / DAY
        }
    };
    p.tenure_days = ((as_of_secs - first_secs as f64) / DAY).max(0.0);
    if let Some(last) = p.last_order_at {
        p.days_since_last_order = Some(((as_of_secs - last.timestamp() as f64) / DAY).max(0.0));
        p.sessions_after_last_order = Some(p.shopping_sessions.saturating_sub(last_order_session));
    }
    if s.order_times.len() >= 2 {
        s.gaps.clear();
        s.gaps.extend(s.order_times.windows(2).map(|w| match w {
            [a, b] => (b - a) as f64,
            _ => 0.0,
        }));
        s.gaps.sort_unstable_by(f64::total_cmp);
        // The shared exact quantile: the median of an even count is the mean
        // of the two middle gaps.
        let median = crate::numeric::quantile::quantile_sorted(&s.gaps, 0.5)
            .ok()
            .flatten()
            .unwrap_or(0.0);
        p.median_order_gap_days = Some(median / DAY);
    }
    p.discounted_order_share = ratio(discounted_orders, p.orders);
    p.campaign_order_share = ratio(campaign_orders, p.orders);
    p.basket_growth = ratio(p.ordered_items.saturating_sub(p.orders), p.orders);
    p.unplanned_item_share = ratio(unplanned_items, p.ordered_items);
    p.bundle_uptake = ratio(offer_orders, p.orders);
    p.upsell_uptake = ratio(upsell_orders, p.orders);
    p.checkout.finish(p.orders, upsell_orders, cs_reminded);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::JourneyConfig;
    use crate::model::{BuiltinChannel, PaymentMethod};
    use crate::persona::Classifier;
    use chrono::{TimeDelta, TimeZone};

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 11, 11, 3, 0, 0).unwrap() + TimeDelta::minutes(min)
    }

    #[test]
    fn one_pass_features() {
        let c = CustomerId(5);
        let tps = vec![
            Touchpoint::new(c, at(0), K::PromotionClick).with_channel(BuiltinChannel::Social),
            Touchpoint::new(c, at(1), K::ProductView)
                .with_product("a")
                .with_category("x"),
            Touchpoint::new(c, at(2), K::ProductView)
                .with_product("a")
                .with_category("x"),
            Touchpoint::new(c, at(3), K::AddToCart).with_product("a"),
            Touchpoint::new(c, at(4), K::ProductView)
                .with_product("b")
                .with_category("y")
                .with_discounted(true),
            Touchpoint::new(c, at(5), K::AddToCart)
                .with_product("b")
                .with_discounted(true),
            Touchpoint::new(c, at(6), K::CheckoutStart),
            Touchpoint::new(c, at(7), K::PaymentInfo).with_payment(PaymentMethod::EWallet),
            Touchpoint::new(c, at(8), K::OrderCompleted).with_checkout(CheckoutType::Guest),
            Touchpoint::new(c, at(60 * 24 * 3), K::Delivered),
            Touchpoint::new(c, at(60 * 24 * 10), K::ProductView).with_product("c"),
            Touchpoint::new(c, at(60 * 24 * 10 + 1), K::ReviewRead),
            Touchpoint::new(c, at(60 * 24 * 40), K::ProductView).with_product("late"),
        ];
        let j = Journey::new(tps, &JourneyConfig::default()).unwrap();
        let cl = Classifier::default();
        let p = cl.profile(&j, at(60 * 24 * 20));
        assert_eq!(p.touchpoints, 12);
        assert_eq!(p.sessions, 3);
        assert_eq!(p.shopping_sessions, 2);
        assert_eq!(p.product_views, 4);
        assert_eq!(p.distinct_products, 3);
        assert_eq!(p.distinct_categories, 2);
        // Category views: x twice, y once -> (2/3)^2 + (1/3)^2.
        assert!((p.category_concentration.unwrap() - 5.0 / 9.0).abs() < 1e-12);
        assert!((p.repeat_view_ratio - 0.25).abs() < 1e-12);
        assert_eq!(p.orders, 1);
        assert_eq!(p.ordered_items, 2);
        assert_eq!(p.basket_growth, 1.0);
        assert_eq!(p.unplanned_item_share, 0.5);
        assert_eq!(p.bundle_uptake, 1.0);
        assert_eq!(p.discounted_order_share, 1.0);
        assert_eq!(p.campaign_order_share, 1.0, "11.11 is a campaign day");
        assert_eq!(p.sessions_to_first_order, Some(1));
        assert_eq!(p.views_before_first_cart, Some(2));
        assert_eq!(p.first_checkout_session_minutes, Some(8.0));
        assert_eq!(p.sessions_after_last_order, Some(1));
        assert_eq!(p.review_reads, 1);
        assert_eq!(p.checkout.checkout, Some(CheckoutType::Guest));
        assert_eq!(p.checkout.preferred_payment, Some(PaymentMethod::EWallet));
        assert_eq!(p.acquisition, Channel::from(BuiltinChannel::Social));
        assert!((p.days_since_last_order.unwrap() - (20.0 * 1440.0 - 8.0) / 1440.0).abs() < 1e-9);
        // Before the first touch: empty.
        let e = cl.profile(&j, at(-1));
        assert_eq!(e.touchpoints, 0);
    }

    #[test]
    fn reminders_are_counted_per_order() {
        let c = CustomerId(1);
        let tps = vec![
            Touchpoint::new(c, at(0), K::PromotionView).with_channel(BuiltinChannel::Sms),
            Touchpoint::new(c, at(60), K::ProductView),
            Touchpoint::new(c, at(62), K::OrderCompleted),
            Touchpoint::new(c, at(2000), K::ProductView),
            Touchpoint::new(c, at(2002), K::OrderCompleted),
        ];
        let j = Journey::new(tps, &JourneyConfig::default()).unwrap();
        let p = Classifier::default().profile(&j, at(5000));
        assert_eq!(p.checkout.reminded_orders, 1);
        assert_eq!(
            p.checkout.reminders_by_channel[ReminderChannel::Sms.index()],
            1
        );
        assert_eq!(p.median_order_gap_days, Some(1940.0 / 1440.0));
    }

    #[test]
    fn hashing_spreads_and_table_grows() {
        let c = CustomerId(1);
        let tps: Vec<Touchpoint> = (0..500)
            .map(|i| {
                Touchpoint::new(c, at(i), K::ProductView).with_product(&*format!("sku-{}", i % 300))
            })
            .collect();
        let j = Journey::new(tps, &JourneyConfig::default()).unwrap();
        let cl = Classifier::default();
        let mut pr = cl.profiler();
        for _ in 0..3 {
            let p = pr.profile(&j, at(1000));
            assert_eq!(p.distinct_products, 300);
            assert!((p.repeat_view_ratio - 200.0 / 500.0).abs() < 1e-12);
        }
    }

    #[test]
    fn shared_prefix_product_ids_stay_distinct_and_fast() {
        // Issue 15: 8-byte ids sharing a 3-byte prefix defeated the old
        // unseeded hash; the seeded one spreads them.
        let c = CustomerId(1);
        let tps: Vec<Touchpoint> = (0..20_000)
            .map(|i| Touchpoint::new(c, at(i), K::ProductView).with_product(&*format!("ab:{i:05}")))
            .collect();
        let j = Journey::new(tps, &JourneyConfig::default()).unwrap();
        let cl = Classifier::default();
        let start = std::time::Instant::now();
        let p = cl.profiler().profile(&j, at(30_000));
        assert_eq!(p.distinct_products, 20_000);
        assert!(start.elapsed().as_secs() < 5);
    }
}
