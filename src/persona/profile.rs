//! The behaviour profile: everything the classifier needs about one customer,
//! computed in one pass over the columns of a journey's rows up to `as_of`.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::journey::Journey;
use crate::log::{JourneyView, NULL_KEY};
use crate::model::{BuiltinChannel, BuiltinKind as K, Channel, CheckoutType, CustomerId};
use crate::persona::checkout::{CheckoutProfile, ReminderChannel};
use crate::persona::keys::{KeyTable, Slot};
use crate::persona::session::{SessionModeCounts, SessionStats, is_shopping};
use crate::persona::{Classification, Classifier, PersonaConfig, SessionModeConfig};

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
    /// Share of orders with discounted prices: the order or one of its cart
    /// items flagged discounted, or a coupon applied in the order's session.
    pub discounted_order_share: f64,
    /// Share of orders bought on an offer: discounted, or with a coupon
    /// entered or applied in the order's session (since the previous order).
    /// When the input can show no discount at all ([`Evidence`]: no discount
    /// flag, no coupon event anywhere), an order led by a promotion counts
    /// instead. Each order is judged on its own evidence, so adding an order
    /// at ordinary prices never turns another order into one on an offer.
    ///
    /// [`Evidence`]: crate::persona::Evidence
    pub deal_order_share: f64,
    /// Share of orders on an offer that a promotion led to: a promotion view
    /// or click in the order's session, or a promotion click within
    /// [`PersonaConfig::promotion_window`] before it. (A full-price order
    /// after a promotion is no deal: "beli yang ada diskon".)
    pub promotion_order_share: f64,
    /// Share of orders with a coupon entered or applied in the order's
    /// session, since the previous order.
    pub coupon_order_share: f64,
    /// Share of orders bought on an offer on a campaign day (lead days
    /// included) or, with [`PersonaConfig::campaigns_from_field`], naming a
    /// campaign.
    pub campaign_deal_order_share: f64,
    /// Share of orders on campaign days (lead days included) or naming a
    /// campaign (with [`PersonaConfig::campaigns_from_field`]).
    pub campaign_order_share: f64,
    /// Share of product views at discounted or strike-through prices.
    pub discounted_view_share: f64,
    /// Basket growth: extra items (beyond the first) per order. For a
    /// customer without an order, per basket taken to checkout and left
    /// (`abandoned_baskets`): a shopper who added unplanned items under a
    /// promotion and dropped at checkout was swayed all the same.
    pub basket_growth: f64,
    /// Share of ordered items that were unplanned: an item beyond the first of
    /// its ordering session, first seen at most the unplanned window before
    /// it was added. The first item is what the customer came for. Without an
    /// order, over the abandoned baskets' items.
    pub unplanned_item_share: f64,
    /// Bundle and discount uptake: share of orders whose extra items were at
    /// discounted (package or strike-through) prices. Without an order, share
    /// of abandoned baskets.
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
    /// Orders bought on an offer (as in `deal_order_share`).
    pub deal_orders: u32,
    /// Orders at ordinary prices: not discounted, no coupon, not led by a
    /// promotion (`orders` minus `deal_orders`).
    pub ordinary_orders: u32,
    /// Baskets taken to checkout (checkout started with items in the cart)
    /// and left without an order by the end of their session.
    pub abandoned_baskets: u32,
    /// Coupon events: codes entered, applied, denied or removed.
    pub coupon_actions: u32,
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
            deal_orders: 0,
            ordinary_orders: 0,
            abandoned_baskets: 0,
            coupon_actions: 0,
            deal_order_share: 0.0,
            promotion_order_share: 0.0,
            coupon_order_share: 0.0,
            campaign_deal_order_share: 0.0,
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
    /// The unplanned window in nanoseconds.
    unplanned: i128,
    /// The reminder window in nanoseconds.
    reminder: i128,
    /// The promotion window in nanoseconds.
    promotion: i128,
    /// Whether orders naming a campaign are campaign orders.
    from_field: bool,
    /// Whether the input can show a discount (flags or coupons).
    discounts_visible: bool,
    /// The shop's offset from UTC in microseconds.
    offset_us: i64,
    campaign: [[bool; 32]; 13],
    /// One bit per day of [`CAMPAIGN_BITS_FROM`], [`CAMPAIGN_BITS_DAYS`]
    /// days on: whether the day is a campaign day (`campaign` by its month
    /// and day, without a calendar conversion per day).
    campaign_bits: Vec<u64>,
    modes: SessionModeConfig,
    /// The reminder channel of each built-in channel code.
    reminders: Vec<Option<ReminderChannel>>,
}

const DAY_US: i64 = 86_400_000_000;

/// The first day of the campaign-day bits: 1970-01-01.
const CAMPAIGN_BITS_FROM: i64 = 0;
/// The days the campaign-day bits cover: 1970-01-01 to 2100-01-06, in 742
/// words of 64 days (5.8 KiB).
const CAMPAIGN_BITS_DAYS: i64 = 742 * 64;

/// A span in nanoseconds, exactly (a `TimeDelta` fits in an `i128`).
pub(crate) fn span_nanos(d: TimeDelta) -> i128 {
    i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos())
}

impl Compiled {
    pub(crate) fn new(c: &PersonaConfig) -> Compiled {
        Compiled {
            unplanned: span_nanos(c.unplanned_window),
            reminder: span_nanos(c.reminder_window),
            promotion: span_nanos(c.promotion_window),
            from_field: c.campaigns_from_field,
            discounts_visible: c.evidence.discount_flags || c.evidence.coupons,
            offset_us: i64::from(c.utc_offset_minutes) * 60_000_000,
            campaign: c.campaign_table(),
            campaign_bits: campaign_bits(&c.campaign_table()),
            modes: c.session_modes.clone(),
            reminders: BuiltinChannel::ALL
                .iter()
                .map(|&b| ReminderChannel::of(&Channel::from(b)))
                .collect(),
        }
    }

    /// The calendar day (days since 1970-01-01) of a time in microseconds,
    /// in the shop's time zone.
    #[inline]
    fn local_day(&self, us: i64) -> i64 {
        us.saturating_add(self.offset_us).div_euclid(DAY_US)
    }

    #[inline]
    fn is_campaign_day(&self, day: i64) -> bool {
        if let Some(bit) = day
            .checked_sub(CAMPAIGN_BITS_FROM)
            .filter(|d| (0..CAMPAIGN_BITS_DAYS).contains(d))
        {
            return self
                .campaign_bits
                .get((bit / 64) as usize)
                .is_some_and(|w| w >> (bit % 64) & 1 == 1);
        }
        self.is_campaign_day_slow(day)
    }

    /// [`Compiled::is_campaign_day`] by a calendar conversion.
    #[cold]
    fn is_campaign_day_slow(&self, day: i64) -> bool {
        let (month, day) = month_day(day);
        self.campaign
            .get(month as usize)
            .and_then(|r| r.get(day as usize))
            .copied()
            .unwrap_or(false)
    }

    #[inline]
    fn reminder_of(&self, channel_code: u16) -> Option<ReminderChannel> {
        self.reminders
            .get(usize::from(channel_code))
            .copied()
            .flatten()
    }
}

/// The campaign-day bits (see [`Compiled`]) of a table by month and day:
/// the days walked one by one with their month and day, no division.
fn campaign_bits(table: &[[bool; 32]; 13]) -> Vec<u64> {
    let mut bits = vec![0u64; (CAMPAIGN_BITS_DAYS / 64) as usize];
    let (mut year, mut month, mut mday) = civil(CAMPAIGN_BITS_FROM);
    for d in 0..CAMPAIGN_BITS_DAYS {
        let on = table
            .get(month as usize)
            .and_then(|r| r.get(mday as usize))
            .copied()
            .unwrap_or(false);
        if on {
            if let Some(w) = bits.get_mut((d / 64) as usize) {
                *w |= 1 << (d % 64);
            }
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let len = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        mday += 1;
        if mday > len {
            mday = 1;
            month += 1;
            if month > 12 {
                month = 1;
                year += 1;
            }
        }
    }
    bits
}

/// The month (1-12) and day of the month of a day counted from 1970-01-01
/// in the proleptic Gregorian calendar: Howard Hinnant's `civil_from_days`
/// (<https://howardhinnant.github.io/date_algorithms.html>), integer
/// arithmetic only, for every `i64` day that does not overflow.
fn month_day(days: i64) -> (u32, u32) {
    let (_, m, d) = civil(days);
    (m, d)
}

/// The year, month (1-12) and day of the month of a day counted from
/// 1970-01-01 (see [`month_day`]).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era.saturating_mul(400) + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

/// A row's time as the log keeps it: whole microseconds since the epoch and
/// the nanoseconds below them; ordered as the times are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Time {
    pub(crate) us: i64,
    pub(crate) ns: u16,
}

impl Time {
    pub(crate) fn of(at: DateTime<Utc>) -> Time {
        Time {
            us: at.timestamp_micros(),
            ns: (at.timestamp_subsec_nanos() % 1_000) as u16,
        }
    }

    /// Whole seconds since the epoch, rounded down (as `DateTime::timestamp`).
    #[inline]
    fn secs(self) -> i64 {
        self.us.div_euclid(1_000_000)
    }

    /// Nanoseconds from `earlier` to `self`.
    #[inline]
    pub(crate) fn since(self, earlier: Time) -> i128 {
        (i128::from(self.us) - i128::from(earlier.us)) * 1_000
            + (i128::from(self.ns) - i128::from(earlier.ns))
    }
}

/// A row's time as a `DateTime`: the same instant as
/// [`row_time`](crate::log::row_time), in one calendar conversion.
#[inline]
pub(crate) fn instant(t: Time) -> DateTime<Utc> {
    if t.ns < 1_000 {
        let secs = t.us.div_euclid(1_000_000);
        // In [0, 999_999_999]: below one second.
        let sub = u32::try_from(t.us.rem_euclid(1_000_000)).unwrap_or(0) * 1_000 + u32::from(t.ns);
        if let Some(at) = DateTime::from_timestamp(secs, sub) {
            return at;
        }
    }
    crate::log::row_time(t.us, t.ns)
}

/// `year * 12 + month - 1` (UTC) of a row's time in microseconds, as
/// `i64::from(at.year()) * 12 + i64::from(at.month0())` of its `DateTime`,
/// without chrono's calendar conversion.
#[inline]
pub(crate) fn year_month_us(us: i64) -> i64 {
    let (y, m, _) = civil(us.div_euclid(DAY_US));
    y.saturating_mul(12) + i64::from(m) - 1
}

/// The nanoseconds column of a journey (empty when the log has none).
fn nanos_of(view: JourneyView<'_>) -> &[u16] {
    let log = view.log();
    if log.cols.nanos.is_empty() {
        return &[];
    }
    let start = log.offsets.get(view.index()).copied().unwrap_or(0) as usize;
    log.cols.nanos.get(start..start + view.len()).unwrap_or(&[])
}

/// The columns of one journey that the profile reads.
#[derive(Clone, Copy)]
pub(crate) struct Columns<'a> {
    pub(crate) view: JourneyView<'a>,
    pub(crate) times: &'a [i64],
    /// The nanoseconds below the microsecond; empty when the log has none.
    nanos: &'a [u16],
    pub(crate) kinds: &'a [u16],
    pub(crate) products: &'a [u32],
    pub(crate) categories: &'a [u32],
    pub(crate) campaigns: &'a [u32],
}

impl<'a> Columns<'a> {
    pub(crate) fn of(view: JourneyView<'a>) -> Columns<'a> {
        Columns {
            view,
            times: view.times(),
            nanos: nanos_of(view),
            kinds: view.kind_codes(),
            products: view.product_keys(),
            categories: view.category_keys(),
            campaigns: view.campaign_keys(),
        }
    }

    /// The time of row `i`.
    #[inline]
    pub(crate) fn time(&self, i: usize) -> Time {
        Time {
            us: self.times.get(i).copied().unwrap_or_default(),
            ns: self.nanos.get(i).copied().unwrap_or(0),
        }
    }

    /// The built-in kind of row `i`, if it is one.
    #[inline]
    pub(crate) fn kind(&self, i: usize) -> Option<K> {
        K::ALL
            .get(usize::from(self.kinds.get(i).copied().unwrap_or(u16::MAX)))
            .copied()
    }

    #[inline]
    pub(crate) fn product(&self, i: usize) -> Option<u32> {
        self.products.get(i).copied().filter(|&k| k != NULL_KEY)
    }

    #[inline]
    pub(crate) fn category(&self, i: usize) -> Option<u32> {
        self.categories.get(i).copied().filter(|&k| k != NULL_KEY)
    }

    /// The number of rows at or before `as_of` (rows are in time order).
    pub(crate) fn rows_until(&self, as_of: Time) -> usize {
        // Most journeys end before `as_of`.
        if self.times.last().is_some_and(|&t| t < as_of.us) {
            return self.times.len();
        }
        let mut n = self.times.partition_point(|&t| t <= as_of.us);
        while n > 0 && self.time(n - 1) > as_of {
            n -= 1;
        }
        n
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
/// use cxjourney::log::EventLog;
/// use cxjourney::persona::Classifier;
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::JourneyConfig;
/// let shop = SampleShop::generate(&SampleConfig { customers: 20, ..SampleConfig::default() })?;
/// let as_of = shop.touchpoints.last().map(|t| t.at).unwrap();
/// let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
/// let classifier = Classifier::default();
/// let mut profiler = classifier.profiler();
/// for journey in log.journeys() {
///     let profile = profiler.profile_view(journey, as_of);
///     let c = classifier.classify(&profile);
///     assert!(c.score >= 0.0 && c.score <= 1.0);
/// }
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Profiler<'c> {
    classifier: &'c Classifier,
    scratch: Scratch,
}

/// The profile pass's reusable tables.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    products: KeyTable,
    categories: KeyTable,
    order_times: Vec<i64>,
    gaps: Vec<f64>,
    /// The last `as_of` seen and what the pass needs of it, so that a run
    /// over many journeys converts it once.
    as_of: Option<AsOf>,
    /// The month of the first order of the last profile built
    /// (`year * 12 + month - 1`, UTC), for the population report.
    pub(crate) first_order_month: Option<i64>,
}

/// An `as_of` instant in the forms the pass compares with.
#[derive(Debug, Clone, Copy)]
struct AsOf {
    at: DateTime<Utc>,
    time: Time,
    /// Seconds since the epoch, with the fraction.
    secs: f64,
}

impl Scratch {
    /// `as_of` converted, once per distinct instant.
    #[inline]
    fn as_of(&mut self, at: DateTime<Utc>) -> AsOf {
        match self.as_of {
            Some(a) if a.at == at => a,
            _ => {
                let a = AsOf {
                    at,
                    time: Time::of(at),
                    secs: at.timestamp() as f64 + f64::from(at.timestamp_subsec_nanos()) / 1e9,
                };
                self.as_of = Some(a);
                a
            }
        }
    }
}

impl<'c> Profiler<'c> {
    pub(crate) fn new(classifier: &'c Classifier) -> Profiler<'c> {
        Profiler {
            classifier,
            scratch: Scratch::default(),
        }
    }

    /// The profile of a journey from its touchpoints at or before `as_of`.
    /// A journey that starts after `as_of` gives an empty profile
    /// (`touchpoints == 0`). The same as [`Profiler::profile_view`] of
    /// [`Journey::view`].
    pub fn profile(&mut self, journey: &Journey, as_of: DateTime<Utc>) -> BehaviourProfile {
        self.profile_view(journey.view(), as_of)
    }

    /// The profile of a journey of an event log from its rows at or before
    /// `as_of`, in one pass over the view's columns. A journey that starts
    /// after `as_of` gives an empty profile (`touchpoints == 0`).
    pub fn profile_view(
        &mut self,
        journey: JourneyView<'_>,
        as_of: DateTime<Utc>,
    ) -> BehaviourProfile {
        build(
            journey,
            as_of,
            self.classifier.compiled(),
            &mut self.scratch,
        )
    }

    /// The profile and classification of a journey of an event log as of an
    /// instant; `None` when the journey had not started by then.
    pub fn classify_view(
        &mut self,
        journey: JourneyView<'_>,
        as_of: DateTime<Utc>,
    ) -> Option<(BehaviourProfile, Classification)> {
        let p = self.profile_view(journey, as_of);
        if p.touchpoints == 0 {
            return None;
        }
        let c = self.classifier.classify(&p);
        Some((p, c))
    }
}

/// The running state of the profile pass besides the profile itself.
#[derive(Default)]
struct Pass {
    day_end_us: i64,
    day_is_campaign: bool,
    last_reminder: [Option<Time>; 5],
    prev_order: Option<Time>,
    /// The last order's time (`last_order_at` once converted).
    last_order: Option<Time>,
    /// Whole seconds of the first touch (as `first_touch_at.timestamp()`).
    first_touch_secs: i64,
    registered: bool,
    cs_reminded: bool,
    attempt_session: Option<u32>,
    last_order_session: u32,
    viewed_with_product: u32,
    categorised_views: u32,
    discounted_views: u32,
    discounted_orders: u32,
    campaign_orders: u32,
    deal_orders: u32,
    promotion_orders: u32,
    coupon_orders: u32,
    campaign_deal_orders: u32,
    last_promotion_click: Option<Time>,
    coupon_applied: bool,
    coupon_tried: bool,
    abandoned_items: u32,
    abandoned_unplanned: u32,
    abandoned_offers: u32,
    unplanned_items: u32,
    offer_orders: u32,
    upsell_orders: u32,
    // The current session.
    sess_no: u32,
    sess_first: Time,
    sess_promotion: bool,
    ss: SessionStats,
    basket: Basket,
}

pub(crate) fn build(
    view: JourneyView<'_>,
    as_of: DateTime<Utc>,
    c: &Compiled,
    s: &mut Scratch,
) -> BehaviourProfile {
    let mut p = BehaviourProfile::empty(view.customer(), as_of);
    build_into::<true>(&mut p, view, as_of, c, s);
    p
}

/// [`build`] into a profile that the caller reuses: `p` is reset first.
///
/// With `FULL` false, only what [`Classifier::classify`] reads, the
/// acquisition channel and [`Scratch::first_order_month`] are computed (the
/// population report's needs); the other fields keep their empty values:
/// the checkout profile, session modes, the instants, distinct products,
/// repeat views, views per session, tenure, the median order gap and the
/// upsell uptake.
pub(crate) fn build_into<const FULL: bool>(
    p: &mut BehaviourProfile,
    view: JourneyView<'_>,
    as_of: DateTime<Utc>,
    c: &Compiled,
    s: &mut Scratch,
) {
    *p = BehaviourProfile::empty(view.customer(), as_of);
    s.first_order_month = None;
    let run = s.as_of(as_of);
    let cols = Columns::of(view);
    let n = cols.rows_until(run.time);
    if n == 0 {
        return;
    }
    s.products.begin();
    s.categories.begin();
    s.order_times.clear();
    let channels = view.channel_codes();
    let discounted = view.discounted_flags();
    let gap = span_nanos(view.config().session_gap);
    let mut t = cols.time(0);
    let first_secs = t.secs();
    if FULL {
        p.first_touch_at = Some(instant(t));
    }
    p.acquisition = view
        .row(0)
        .map_or(Channel::DIRECT, |first| first.channel().clone());
    let mut st = Pass {
        day_end_us: i64::MIN,
        first_touch_secs: first_secs,
        ..Pass::default()
    };

    let mut opens = true;
    for i in 0..n {
        let next = (i + 1 < n).then(|| cols.time(i + 1));
        let closes = next.is_none_or(|x| x.since(t) > gap);
        if opens {
            p.sessions += 1;
            st.sess_no = p.sessions;
            st.sess_first = t;
            st.ss = SessionStats::default();
            st.basket = Basket::default();
            st.sess_promotion = false;
            st.coupon_applied = false;
            st.coupon_tried = false;
        }
        p.touchpoints += 1;
        if t.us >= st.day_end_us {
            let day = c.local_day(t.us);
            st.day_end_us = (day + 1).saturating_mul(DAY_US).saturating_sub(c.offset_us);
            p.active_days += 1;
            st.day_is_campaign = c.is_campaign_day(day);
            if st.day_is_campaign {
                p.campaign_days_active += 1;
            }
        }
        if let Some(kind) = cols.kind(i) {
            let disc = discounted.get(i).copied().unwrap_or(false);
            let channel = channels.get(i).copied().unwrap_or_default();
            row::<FULL>(p, &mut st, s, c, &cols, i, t, kind, disc, channel);
        }
        if closes {
            let b = &st.basket;
            if b.checkout_started && b.items > 0 {
                p.abandoned_baskets += 1;
                st.abandoned_items += b.items;
                st.abandoned_unplanned += b.unplanned;
                st.abandoned_offers += u32::from(b.discounted_extra);
            }
            if st.ss.shopping {
                p.shopping_sessions += 1;
                if FULL {
                    if let Some(m) = st.ss.mode(&c.modes) {
                        p.session_modes.add(m);
                    }
                }
            }
            if st.attempt_session == Some(st.sess_no) {
                st.attempt_session = None;
                let ms = t.since(st.sess_first) / 1_000_000;
                p.first_checkout_session_minutes = Some(ms as f64 / 60_000.0);
            }
        }
        opens = closes;
        if let Some(x) = next {
            t = x;
        }
    }
    finish::<FULL>(p, &st, s, first_secs, t.secs(), run.secs);
}

/// One row of a built-in kind.
#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
#[inline(always)]
fn row<const FULL: bool>(
    p: &mut BehaviourProfile,
    st: &mut Pass,
    s: &mut Scratch,
    c: &Compiled,
    cols: &Columns<'_>,
    i: usize,
    at: Time,
    kind: K,
    discounted: bool,
    channel: u16,
) {
    if !FULL {
        // Only the checkout profile reads the reminders.
    } else if let Some(rc) = c.reminder_of(channel) {
        if !matches!(kind, K::SupportContact | K::OrderCompleted) {
            if let Some(r) = st.last_reminder.get_mut(rc.index()) {
                *r = Some(at);
            }
        }
    }
    let sess_no = st.sess_no;
    let ss = &mut st.ss;
    let basket = &mut st.basket;
    ss.shopping |= is_shopping(kind);
    let product = |s: &mut Scratch| product_slot(s, cols, i).map(|slot| slot.first);
    match kind {
        K::ProductView => {
            // Counted without branches: whether a view is discounted or
            // new in its session is as good as random.
            p.product_views += 1;
            ss.product_views += 1;
            st.discounted_views += u32::from(discounted);
            if let Some(slot) = product_slot(s, cols, i) {
                if FULL {
                    st.viewed_with_product += 1;
                    slot.views += 1;
                    ss.distinct_products += u32::from(slot.session != sess_no);
                    slot.session = sess_no;
                }
            }
            if let Some(slot) = cols.category(i).and_then(|k| s.categories.entry(k, i)) {
                st.categorised_views += 1;
                slot.views += 1;
                if FULL {
                    ss.distinct_categories += u32::from(slot.session != sess_no);
                    slot.session = sess_no;
                }
            }
        }
        K::Comparison => {
            p.comparisons += 1;
            ss.info += 1;
            product(s);
        }
        K::ReviewRead => {
            p.review_reads += 1;
            ss.info += 1;
            product(s);
        }
        K::WishlistAdd => {
            p.wishlist_adds += 1;
            product(s);
        }
        K::AddToCart | K::WishlistAddToCart => {
            p.cart_adds += 1;
            ss.purchase = true;
            if p.views_before_first_cart.is_none() {
                p.views_before_first_cart = Some(p.product_views);
            }
            let first_seen = product(s).map(|first| cols.time(first as usize));
            basket.items += 1;
            basket.any_discounted |= discounted;
            if basket.items > 1 {
                if first_seen.is_some_and(|f| at.since(f) <= c.unplanned) {
                    basket.unplanned += 1;
                }
                basket.discounted_extra |= discounted;
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
                st.attempt_session = Some(sess_no);
            }
        }
        K::PaymentInfo if FULL => {
            if let Some(pm) = cols.view.row(i).and_then(|r| r.payment()) {
                basket.payment = Some(pm);
            }
        }
        K::Registration | K::Login if FULL => st.registered = true,
        K::PromotionView => {
            p.promotions += 1;
            st.sess_promotion = true;
        }
        K::PromotionClick => {
            p.promotions += 1;
            st.sess_promotion = true;
            st.last_promotion_click = Some(at);
        }
        K::CouponApplied => {
            p.coupon_actions += 1;
            st.coupon_applied = true;
            st.coupon_tried = true;
        }
        K::CouponEntered | K::CouponDenied => {
            p.coupon_actions += 1;
            st.coupon_tried = true;
        }
        K::CouponRemoved => p.coupon_actions += 1,
        K::ReferralSent => p.referrals_sent += 1,
        K::ReviewWritten => p.reviews_written += 1,
        K::Share | K::CartShare => p.shares += 1,
        K::SupportContact => p.support_contacts += 1,
        K::OrderCompleted => {
            ss.purchase = true;
            if p.sessions_to_first_checkout.is_none() {
                p.sessions_to_first_checkout = Some(p.shopping_sessions + 1);
                p.views_before_first_checkout = Some(p.product_views);
                st.attempt_session = Some(sess_no);
            }
            let secs = at.secs();
            p.orders += 1;
            let items = basket.items.max(1);
            p.ordered_items += items;
            st.unplanned_items += basket.unplanned;
            if basket.discounted_extra {
                st.offer_orders += 1;
            }
            if basket.unplanned > 0 || basket.discounted_extra || basket.after_checkout {
                st.upsell_orders += 1;
            }
            let disc = discounted || basket.any_discounted || st.coupon_applied;
            let promoted = st.sess_promotion
                || st
                    .last_promotion_click
                    .is_some_and(|r| at.since(r) <= c.promotion);
            // With discounts visible in the input, an order is on an offer
            // when it was discounted or a coupon was tried, and a promotion
            // only supports it; without them, a promotion that led to the
            // order is the best evidence there is.
            let deal = disc || st.coupon_tried || (promoted && !c.discounts_visible);
            let promoted = promoted && deal;
            let campaign = st.day_is_campaign
                || (c.from_field && cols.campaigns.get(i).is_some_and(|&k| k != NULL_KEY));
            st.discounted_orders += u32::from(disc);
            st.deal_orders += u32::from(deal);
            st.promotion_orders += u32::from(promoted);
            st.coupon_orders += u32::from(st.coupon_tried);
            st.campaign_orders += u32::from(campaign);
            st.campaign_deal_orders += u32::from(campaign && deal);
            st.coupon_applied = false;
            st.coupon_tried = false;
            if p.sessions_to_first_order.is_none() {
                if FULL {
                    p.first_order_at = Some(instant(at));
                }
                s.first_order_month = Some(year_month_us(at.us));
                p.sessions_to_first_order = Some(p.shopping_sessions + 1);
                p.days_to_first_order = Some((secs - st.first_touch_secs) as f64 / DAY);
            }
            // `last_order_at` is set from this in `finish`.
            st.last_order = Some(at);
            st.last_order_session = p.shopping_sessions + 1;
            let payment = basket.payment;
            *basket = Basket::default();
            if !FULL {
                return;
            }
            let row = cols.view.row(i);
            s.order_times.push(secs);
            // Checkout type and payment.
            let ct = row
                .and_then(|r| r.checkout())
                .or(st.registered.then_some(CheckoutType::Registered));
            let co = &mut p.checkout;
            match ct {
                Some(CheckoutType::Guest) => co.guest_orders += 1,
                Some(CheckoutType::Registered) => co.registered_orders += 1,
                None => {}
            }
            if ct.is_some() {
                co.checkout = ct;
            }
            if let Some(pm) = row.and_then(|r| r.payment()).or(payment) {
                if let Some(n) = co.payment_orders.get_mut(pm.index()) {
                    *n += 1;
                }
                co.preferred_payment = Some(pm);
            }
            // Reminders since the previous order, within the window.
            let mut reminded = false;
            for (ch, (&r, n)) in ReminderChannel::ALL.iter().zip(
                st.last_reminder
                    .iter()
                    .zip(co.reminders_by_channel.iter_mut()),
            ) {
                let Some(r) = r else { continue };
                if st.prev_order.is_none_or(|p| r > p) && at.since(r) <= c.reminder {
                    *n += 1;
                    reminded = true;
                    if *ch == ReminderChannel::CustomerService {
                        st.cs_reminded = true;
                    }
                }
            }
            if reminded {
                co.reminded_orders += 1;
            }
            st.prev_order = Some(at);
        }
        _ => {}
    }
}

/// The product slot of row `i`, inserted when new; `None` without a product.
#[inline]
fn product_slot<'s>(s: &'s mut Scratch, cols: &Columns<'_>, i: usize) -> Option<&'s mut Slot> {
    s.products.entry(cols.product(i)?, i)
}

/// The features computed from the counts of the pass.
fn finish<const FULL: bool>(
    p: &mut BehaviourProfile,
    st: &Pass,
    s: &mut Scratch,
    first_secs: i64,
    last_secs: i64,
    as_of_secs: f64,
) {
    let ratio = |a: u32, b: u32| {
        if b == 0 {
            0.0
        } else {
            f64::from(a) / f64::from(b)
        }
    };
    p.discounted_view_share = ratio(st.discounted_views, p.product_views);
    if FULL {
        p.views_per_session = ratio(p.product_views, p.shopping_sessions);
        p.distinct_products = u32::try_from(s.products.len()).unwrap_or(u32::MAX);
        let mut distinct_viewed = 0u32;
        for slot in s.products.live() {
            if slot.views > 0 {
                distinct_viewed += 1;
            }
        }
        p.repeat_view_ratio = ratio(
            st.viewed_with_product.saturating_sub(distinct_viewed),
            st.viewed_with_product,
        );
    }
    p.distinct_categories = u32::try_from(s.categories.len()).unwrap_or(u32::MAX);
    if st.categorised_views > 0 {
        let total = f64::from(st.categorised_views);
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
        None => (last_secs - first_secs) as f64 / DAY,
    };
    if FULL {
        p.tenure_days = ((as_of_secs - first_secs as f64) / DAY).max(0.0);
        p.last_order_at = st.last_order.map(instant);
    }
    if let Some(last) = st.last_order {
        p.days_since_last_order = Some(((as_of_secs - last.secs() as f64) / DAY).max(0.0));
        p.sessions_after_last_order =
            Some(p.shopping_sessions.saturating_sub(st.last_order_session));
    }
    if FULL && s.order_times.len() >= 2 {
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
    p.discounted_order_share = ratio(st.discounted_orders, p.orders);
    p.deal_order_share = ratio(st.deal_orders, p.orders);
    p.promotion_order_share = ratio(st.promotion_orders, p.orders);
    p.coupon_order_share = ratio(st.coupon_orders, p.orders);
    p.campaign_deal_order_share = ratio(st.campaign_deal_orders, p.orders);
    p.deal_orders = st.deal_orders;
    p.ordinary_orders = p.orders.saturating_sub(st.deal_orders);
    p.campaign_order_share = ratio(st.campaign_orders, p.orders);
    if p.orders > 0 {
        p.basket_growth = ratio(p.ordered_items.saturating_sub(p.orders), p.orders);
        p.unplanned_item_share = ratio(st.unplanned_items, p.ordered_items);
        p.bundle_uptake = ratio(st.offer_orders, p.orders);
    } else if p.abandoned_baskets > 0 {
        let baskets = p.abandoned_baskets;
        p.basket_growth = ratio(st.abandoned_items.saturating_sub(baskets), baskets);
        p.unplanned_item_share = ratio(st.abandoned_unplanned, st.abandoned_items);
        p.bundle_uptake = ratio(st.abandoned_offers, baskets);
    }
    if FULL {
        p.upsell_uptake = ratio(st.upsell_orders, p.orders);
        p.checkout
            .finish(p.orders, st.upsell_orders, st.cs_reminded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::JourneyConfig;
    use crate::model::Persona;
    use crate::model::{BuiltinChannel, PaymentMethod, Touchpoint};
    use crate::persona::{Classifier, PersonaConfig};
    use chrono::{Datelike, NaiveDate, TimeDelta, TimeZone};

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 11, 11, 3, 0, 0).unwrap() + TimeDelta::minutes(min)
    }

    #[test]
    fn month_day_is_chronos_calendar() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for days in (-800_000i64..800_000).step_by(7).chain(-3_000..3_000) {
            let d = epoch + TimeDelta::days(days);
            assert_eq!(month_day(days), (d.month(), d.day()), "{d}");
            let at = d.and_hms_opt(23, 59, 59).unwrap().and_utc();
            assert_eq!(
                year_month_us(at.timestamp_micros()),
                i64::from(d.year()) * 12 + i64::from(d.month0()),
                "{d}"
            );
        }
    }

    #[test]
    fn campaign_bits_are_the_calendar_table() {
        let config = PersonaConfig {
            campaign_lead_days: 2,
            ..PersonaConfig::default()
        };
        let c = Compiled::new(&config);
        let mut on = 0;
        for day in (CAMPAIGN_BITS_FROM - 400)..(CAMPAIGN_BITS_FROM + CAMPAIGN_BITS_DAYS + 400) {
            let slow = c.is_campaign_day_slow(day);
            assert_eq!(c.is_campaign_day(day), slow, "{day}");
            on += usize::from(slow);
        }
        assert!(on > 1_000, "{on}");
    }

    #[test]
    fn instant_is_the_logs_row_time() {
        let edge = DateTime::<Utc>::MAX_UTC.timestamp_micros();
        let low = DateTime::<Utc>::MIN_UTC.timestamp_micros();
        for us in [
            0,
            -1,
            1,
            -1_000_001,
            999_999,
            1_730_000_000_123_456,
            -62_000_000_000_000_001,
            edge,
            edge - 1,
            low,
            low + 1,
            i64::MAX,
            i64::MIN,
        ] {
            for ns in [0u16, 1, 999, 1_000, u16::MAX] {
                assert_eq!(
                    instant(Time { us, ns }),
                    crate::log::row_time(us, ns),
                    "{us} {ns}"
                );
            }
        }
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
    fn offers_coupons_promotions_and_left_baskets() {
        // 11 November 2024 03:00 UTC is 10:00 WIB on 11.11; use 14 November.
        let day = TimeDelta::days(3);
        let c = CustomerId(9);
        let t = |m: i64| at(m) + day;
        let tps = vec![
            // Order 1: a promotion click ten hours before (within 24 h),
            // then a discounted order in a later session.
            Touchpoint::new(c, t(0), K::PromotionClick),
            Touchpoint::new(c, t(600), K::ProductView).with_product("a"),
            Touchpoint::new(c, t(601), K::AddToCart).with_product("a"),
            Touchpoint::new(c, t(602), K::OrderCompleted).with_discounted(true),
            // Order 2: a coupon applied: discounted.
            Touchpoint::new(c, t(2000), K::ProductView).with_product("b"),
            Touchpoint::new(c, t(2001), K::CouponApplied),
            Touchpoint::new(c, t(2002), K::OrderCompleted),
            // Order 3: ordinary price, naming a campaign.
            Touchpoint::new(c, t(4000), K::ProductView).with_product("c"),
            Touchpoint::new(c, t(4002), K::OrderCompleted).with_campaign("payday"),
            // Order 4: a promotion view in the same session, discounted.
            Touchpoint::new(c, t(6000), K::PromotionView),
            Touchpoint::new(c, t(6001), K::OrderCompleted).with_discounted(true),
            // Order 5: a promotion click 30 hours before (too long ago),
            // discounted.
            Touchpoint::new(c, t(8000), K::PromotionClick),
            Touchpoint::new(c, t(8000 + 30 * 60), K::OrderCompleted).with_discounted(true),
            // Order 6: a full-price order right after a promotion click is
            // no deal where discounts are visible.
            Touchpoint::new(c, t(12_000), K::PromotionClick),
            Touchpoint::new(c, t(12_001), K::OrderCompleted),
        ];
        let j = Journey::new(tps, &JourneyConfig::default()).unwrap();
        let cl = Classifier::default();
        let p = cl.profile(&j, t(20_000));
        let sixth = |x: u32| f64::from(x) / 6.0;
        assert_eq!(p.orders, 6);
        assert_eq!(p.coupon_actions, 1);
        assert_eq!(p.discounted_order_share, sixth(4));
        assert_eq!(p.coupon_order_share, sixth(1));
        assert_eq!(p.promotion_order_share, sixth(2));
        assert_eq!(p.deal_order_share, sixth(4));
        assert_eq!((p.deal_orders, p.ordinary_orders), (4, 2));
        assert_eq!(
            p.campaign_order_share,
            sixth(1),
            "the campaign field counts"
        );
        assert_eq!(p.campaign_deal_order_share, 0.0);
        // An input that cannot show discounts: the promotions are the offer.
        let mut blind = PersonaConfig::default();
        blind.evidence.discount_flags = false;
        blind.evidence.coupons = false;
        let q = Classifier::new(blind).unwrap().profile(&j, t(20_000));
        assert_eq!(q.deal_order_share, sixth(5));
        assert_eq!(q.promotion_order_share, sixth(3));
        let mut config = PersonaConfig {
            campaigns_from_field: false,
            ..PersonaConfig::default()
        };
        let p = Classifier::new(config.clone())
            .unwrap()
            .profile(&j, t(20_000));
        assert_eq!(p.campaign_order_share, 0.0);
        config.promotion_window = TimeDelta::hours(31);
        let p = Classifier::new(config).unwrap().profile(&j, t(20_000));
        assert_eq!(p.promotion_order_share, sixth(3));
    }

    #[test]
    fn a_basket_left_at_checkout_carries_the_basket_features() {
        let c = CustomerId(3);
        let tps = vec![
            Touchpoint::new(c, at(0), K::PromotionClick),
            Touchpoint::new(c, at(1), K::ProductView).with_product("a"),
            Touchpoint::new(c, at(2), K::AddToCart).with_product("a"),
            Touchpoint::new(c, at(3), K::ProductView)
                .with_product("b")
                .with_discounted(true),
            Touchpoint::new(c, at(4), K::AddToCart)
                .with_product("b")
                .with_discounted(true),
            Touchpoint::new(c, at(5), K::ProductView)
                .with_product("c")
                .with_discounted(true),
            Touchpoint::new(c, at(6), K::AddToCart)
                .with_product("c")
                .with_discounted(true),
            Touchpoint::new(c, at(7), K::CheckoutStart),
        ];
        let j = Journey::new(tps, &JourneyConfig::default()).unwrap();
        let cl = Classifier::default();
        let p = cl.profile(&j, at(100));
        assert_eq!((p.orders, p.abandoned_baskets), (0, 1));
        assert_eq!(p.basket_growth, 2.0);
        assert!((p.unplanned_item_share - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(p.bundle_uptake, 1.0);
        let c = cl.classify(&p);
        assert_eq!(c.primary, Persona::ImpulsiveOneTime, "{c:?}");
        assert!(c.passed && !c.undetermined);
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
    fn the_lean_pass_computes_what_classification_and_the_report_read() {
        // A small LCG: random journeys over every built-in kind.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let channels = [
            BuiltinChannel::Sms,
            BuiltinChannel::Email,
            BuiltinChannel::Social,
            BuiltinChannel::CustomerService,
            BuiltinChannel::Direct,
        ];
        let mut tps = Vec::new();
        for cust in 0..300u64 {
            let c = CustomerId(cust);
            let mut m = i64::try_from(next(60 * 24 * 30)).unwrap();
            for _ in 0..next(60) {
                m += i64::try_from(next(3)).unwrap() * i64::try_from(next(60 * 24)).unwrap();
                let kind = K::ALL[usize::try_from(next(K::ALL.len() as u64)).unwrap()];
                let mut t = Touchpoint::new(c, at(m), kind)
                    .with_channel(channels[usize::try_from(next(5)).unwrap()])
                    .with_discounted(next(3) == 0);
                if next(2) == 0 {
                    t = t.with_product(&*format!("p{}", next(20)));
                }
                if next(2) == 0 {
                    t = t.with_category(&*format!("c{}", next(4)));
                }
                if next(4) == 0 {
                    t = t.with_payment(PaymentMethod::ALL[usize::try_from(next(5)).unwrap()]);
                }
                if next(4) == 0 {
                    t = t.with_campaign("payday");
                }
                tps.push(t);
            }
        }
        let log = crate::log::EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
        let cl = Classifier::default();
        let mut full_scratch = Scratch::default();
        let mut lean_scratch = Scratch::default();
        let mut lean = BehaviourProfile::empty(CustomerId(0), at(0));
        let mut checked = 0;
        for as_of in [at(60 * 24 * 5), at(60 * 24 * 400)] {
            for j in log.journeys() {
                let full = build(j, as_of, cl.compiled(), &mut full_scratch);
                build_into::<false>(&mut lean, j, as_of, cl.compiled(), &mut lean_scratch);
                assert_eq!(
                    lean_scratch.first_order_month,
                    full_scratch.first_order_month
                );
                assert_eq!(cl.explain(&lean), cl.explain(&full));
                // The fields the lean pass leaves out, and nothing else.
                let mut filled = lean.clone();
                filled.checkout = full.checkout;
                filled.session_modes = full.session_modes;
                filled.first_touch_at = full.first_touch_at;
                filled.first_order_at = full.first_order_at;
                filled.last_order_at = full.last_order_at;
                filled.distinct_products = full.distinct_products;
                filled.repeat_view_ratio = full.repeat_view_ratio;
                filled.views_per_session = full.views_per_session;
                filled.tenure_days = full.tenure_days;
                filled.median_order_gap_days = full.median_order_gap_days;
                filled.upsell_uptake = full.upsell_uptake;
                assert_eq!(filled, full);
                checked += usize::from(full.orders > 1);
            }
        }
        assert!(checked > 20, "{checked}");
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
