//! A deterministic sample shop: customers of every persona, on every channel,
//! over a season with campaign days, with drop-offs, cash-on-delivery orders,
//! failed deliveries returned to origin, returns, refunds and repeat buyers.
//!
//! The tour, the tests and the benchmarks all draw their data from here, so the
//! crate has one realistic shop to show and to measure. The same
//! [`SampleConfig`] always gives the same shop, byte for byte.
//!
//! ```
//! use cxjourney::sample::{SampleConfig, SampleShop};
//! let shop = SampleShop::generate(&SampleConfig { customers: 50, ..SampleConfig::default() })?;
//! assert_eq!(shop.customers.len(), 50);
//! assert!(shop.touchpoints.len() > 50);
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod events;
mod stream;
mod survey;
pub use survey::{ExperienceFacts, experience_facts, sample_advocacy, sample_survey};

/// The seeded generator behind the sample data (defined with the crate's
/// private numeric building blocks, public here).
pub use crate::numeric::Rng;
pub use events::{EVENT_LOG_NAMES, EventLogConfig, LoggedEvent, event_log};
pub use stream::{StreamConfig, event_stream};

use chrono::{DateTime, Datelike, TimeDelta, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::journey::{Journey, JourneyConfig};
use crate::model::{
    BuiltinChannel as Ch, BuiltinKind as K, CampaignId, CategoryId, Channel, CheckoutType,
    Currency, CustomerId, Device, Money, OrderId, PaymentMethod, Persona, ProductId, Touchpoint,
};
use crate::persona::{Classifier, PersonaConfusion};

/// How big a shop to generate.
///
/// Every number is bounded ([`SampleConfig::validate`]), and deserializing
/// validates too.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "SampleConfigData")]
pub struct SampleConfig {
    /// Number of customers. Default 2,400; at most
    /// [`SampleConfig::MAX_CUSTOMERS`].
    pub customers: usize,
    /// Length of the season in days. Default 90; 1 to
    /// [`SampleConfig::MAX_DAYS`].
    pub days: u32,
    /// First day of the season (midnight UTC). Default 2024-10-01, so the
    /// season holds the 10.10, 11.11 and 12.12 campaign days. The season and
    /// what follows it (400 days are allowed for deliveries, returns and
    /// refunds) must lie in the years 1 to 9999, the years a four-digit
    /// timestamp writes, so generated shops export to CSV and read back.
    pub start: DateTime<Utc>,
    /// The random seed. Default 42.
    pub seed: u64,
}

impl Default for SampleConfig {
    fn default() -> Self {
        SampleConfig {
            customers: 2_400,
            days: 90,
            start: Utc
                .with_ymd_and_hms(2024, 10, 1, 0, 0, 0)
                .single()
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
            seed: 42,
        }
    }
}

/// A [`SampleConfig`] as deserialized, before it is validated.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SampleConfigData {
    customers: usize,
    days: u32,
    start: DateTime<Utc>,
    seed: u64,
}

impl Default for SampleConfigData {
    fn default() -> Self {
        let c = SampleConfig::default();
        SampleConfigData {
            customers: c.customers,
            days: c.days,
            start: c.start,
            seed: c.seed,
        }
    }
}

impl TryFrom<SampleConfigData> for SampleConfig {
    type Error = Error;

    fn try_from(d: SampleConfigData) -> Result<SampleConfig> {
        let c = SampleConfig {
            customers: d.customers,
            days: d.days,
            start: d.start,
            seed: d.seed,
        };
        c.validate()?;
        Ok(c)
    }
}

/// Days after the season that generated touchpoints may reach (the last
/// deliveries, returns and refunds take weeks; this leaves a wide margin).
const TAIL_DAYS: i64 = 400;

impl SampleConfig {
    /// The most customers a shop may have: 1,000,000 (about 16 touchpoints
    /// each, some 3 GB of touchpoints).
    pub const MAX_CUSTOMERS: usize = 1_000_000;
    /// The longest season: 3,660 days (ten years).
    pub const MAX_DAYS: u32 = 3_660;

    /// The earliest start: 0001-01-01T00:00:00Z.
    #[must_use]
    pub fn earliest_start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// The end of the range a season and its tail must end before:
    /// 10000-01-01T00:00:00Z.
    #[must_use]
    pub fn latest_end() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Checks the configuration, so generating cannot overflow a date or
    /// reserve unbounded memory.
    ///
    /// ```
    /// use cxjourney::sample::SampleConfig;
    /// SampleConfig::default().validate()?;
    /// let huge = SampleConfig { customers: 10_000_000, ..SampleConfig::default() };
    /// assert!(huge.validate().unwrap_err().to_string().contains("10000000"));
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the value when `days` is 0 or above
    /// [`SampleConfig::MAX_DAYS`], `customers` is above
    /// [`SampleConfig::MAX_CUSTOMERS`], or `start` is before
    /// [`SampleConfig::earliest_start`] or so late that the season and 400
    /// days after it reach [`SampleConfig::latest_end`].
    pub fn validate(&self) -> Result<()> {
        if self.days == 0 || self.days > Self::MAX_DAYS {
            return Err(Error::InvalidConfig {
                field: "days",
                value: self.days.to_string(),
                reason: "must be between 1 and 3660",
            });
        }
        if self.customers > Self::MAX_CUSTOMERS {
            return Err(Error::InvalidConfig {
                field: "customers",
                value: self.customers.to_string(),
                reason: "at most 1000000",
            });
        }
        let end = self
            .start
            .checked_add_signed(TimeDelta::days(i64::from(self.days) + TAIL_DAYS));
        if self.start < Self::earliest_start() || end.is_none_or(|e| e >= Self::latest_end()) {
            return Err(Error::InvalidConfig {
                field: "start",
                value: self.start.to_rfc3339(),
                reason: "the season and 400 days after it must lie in the years 1 to 9999",
            });
        }
        Ok(())
    }
}

/// One customer of the sample shop, with what the generator planted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SampleCustomer {
    /// The customer.
    pub id: CustomerId,
    /// The persona whose behaviour was generated.
    pub persona: Persona,
    /// The channel of the first touchpoint.
    pub acquisition: Channel,
}

/// The generated shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleShop {
    /// The configuration it was generated from.
    pub config: SampleConfig,
    /// Every customer, by id.
    pub customers: Vec<SampleCustomer>,
    /// Every touchpoint, ordered by time (as an event log would be), customers mixed.
    pub touchpoints: Vec<Touchpoint>,
    /// The campaign days in the season, with their names.
    pub campaign_days: Vec<(DateTime<Utc>, CampaignId)>,
}

/// The share of each persona among generated customers, in [`Persona::ALL`] order.
pub const PERSONA_MIX: [f64; 6] = [0.24, 0.18, 0.16, 0.15, 0.13, 0.14];

const CATEGORIES: [&str; 12] = [
    "fashion_muslim",
    "fashion_women",
    "fashion_men",
    "beauty",
    "phones",
    "electronics",
    "home_living",
    "mother_baby",
    "groceries",
    "sports",
    "books",
    "toys",
];
const PRODUCTS_PER_CATEGORY: usize = 40;

/// The data every generated customer draws from.
struct Catalogue {
    products: Vec<(ProductId, CategoryId, i64)>,
    campaigns: Vec<(DateTime<Utc>, CampaignId)>,
    idr: Currency,
}

impl Catalogue {
    fn new(rng: &mut Rng, config: &SampleConfig) -> Catalogue {
        let mut products = Vec::with_capacity(CATEGORIES.len() * PRODUCTS_PER_CATEGORY);
        for (c, name) in CATEGORIES.iter().enumerate() {
            let cat = CategoryId::new(name);
            for p in 0..PRODUCTS_PER_CATEGORY {
                // Prices in whole rupiah, 25k to 1.5M, in minor units (sen).
                let price = rng.range(25, 1_500) * 1_000 * 100;
                products.push((
                    ProductId::new(&format!("sku-{c:02}{p:03}")),
                    cat.clone(),
                    price,
                ));
            }
        }
        let mut campaigns = Vec::new();
        for d in 0..config.days {
            let day = config.start + TimeDelta::days(i64::from(d));
            let name = match (day.month(), day.day()) {
                (m, d) if m == d => Some(format!("{m}.{d}")),
                (12, 12) => Some("harbolnas".to_owned()),
                (7, 25) => Some("payday".to_owned()),
                _ => None,
            };
            if let Some(name) = name {
                campaigns.push((day, CampaignId::new(&name)));
            }
        }
        Catalogue {
            products,
            campaigns,
            idr: Currency::IDR,
        }
    }
}

impl SampleShop {
    /// Generates the shop.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the value for a configuration that
    /// does not validate ([`SampleConfig::validate`]).
    pub fn generate(config: &SampleConfig) -> Result<SampleShop> {
        config.validate()?;
        let rng = std::cell::RefCell::new(Rng::new(config.seed));
        let catalogue = Catalogue::new(&mut rng.borrow_mut(), config);
        // About 16 touchpoints a customer; bounded by the cap on customers.
        let mut touchpoints = Vec::with_capacity(config.customers.saturating_mul(16));
        let mut customers = Vec::with_capacity(config.customers);
        for c in 0..config.customers {
            let id = CustomerId(c as u64 + 1);
            let pick = rng.borrow_mut().weighted(&PERSONA_MIX);
            let persona = Persona::ALL.get(pick).copied().unwrap_or(Persona::Surfer);
            let first = touchpoints.len();
            let mut customer = CustomerGen {
                rng: &rng,
                cat: &catalogue,
                config,
                id,
                out: &mut touchpoints,
                order_seq: 0,
            };
            customer.run(persona);
            let acquisition = touchpoints
                .get(first..)
                .and_then(|s| s.iter().min_by_key(|t| t.at))
                .map_or(Channel::DIRECT, |t| t.channel.clone());
            customers.push(SampleCustomer {
                id,
                persona,
                acquisition,
            });
        }
        touchpoints.sort_by_key(|t| t.at);
        Ok(SampleShop {
            config: config.clone(),
            customers,
            touchpoints,
            campaign_days: catalogue.campaigns,
        })
    }

    /// The planted persona of a customer.
    #[must_use]
    pub fn persona_of(&self, id: CustomerId) -> Option<Persona> {
        let i = usize::try_from(id.0.checked_sub(1)?).ok()?;
        self.customers.get(i).map(|c| c.persona)
    }

    /// The confusion table of the planted personas against `classifier`'s,
    /// as of the shop's last touchpoint. (It lives here, not in
    /// [`persona`](crate::persona), because no analysis imports `sample`.)
    ///
    /// # Errors
    /// Errors of [`Journey::group`] (none with the default journey config).
    pub fn persona_confusion(&self, classifier: &Classifier) -> Result<PersonaConfusion> {
        let Some(as_of) = self.touchpoints.iter().map(|t| t.at).max() else {
            return Ok(PersonaConfusion::default());
        };
        let journeys = Journey::group(self.touchpoints.clone(), &JourneyConfig::default())?;
        let mut table = PersonaConfusion::default();
        let mut profiler = classifier.profiler();
        for j in &journeys {
            let Some(known) = self.persona_of(j.customer()) else {
                continue;
            };
            let p = profiler.profile(j, as_of);
            table.add_classification(known, &classifier.classify(&p));
        }
        Ok(table)
    }
}

struct CustomerGen<'a> {
    rng: &'a std::cell::RefCell<Rng>,
    cat: &'a Catalogue,
    config: &'a SampleConfig,
    id: CustomerId,
    out: &'a mut Vec<Touchpoint>,
    order_seq: u32,
}

/// Channels that bring each persona first, in [`Persona::ALL`] order.
fn acquisition_weights(p: Persona) -> [(Ch, f64); 8] {
    let w = |a: f64, b: f64, c: f64, d: f64, e: f64, f: f64, g: f64, h: f64| {
        [
            (Ch::OrganicSearch, a),
            (Ch::PaidSearch, b),
            (Ch::Social, c),
            (Ch::DisplayAds, d),
            (Ch::Marketplace, e),
            (Ch::Referral, f),
            (Ch::Direct, g),
            (Ch::Affiliate, h),
        ]
    };
    match p {
        Persona::Surfer => w(0.25, 0.05, 0.35, 0.10, 0.10, 0.05, 0.05, 0.05),
        Persona::Researcher => w(0.40, 0.15, 0.10, 0.05, 0.15, 0.05, 0.05, 0.05),
        Persona::FocusedBuyer => w(0.20, 0.30, 0.05, 0.00, 0.15, 0.05, 0.25, 0.00),
        Persona::DealDriven => w(0.05, 0.10, 0.25, 0.20, 0.25, 0.00, 0.05, 0.10),
        Persona::ImpulsiveOneTime => w(0.05, 0.05, 0.45, 0.25, 0.10, 0.00, 0.00, 0.10),
        Persona::Loyal => w(0.20, 0.10, 0.10, 0.05, 0.10, 0.25, 0.20, 0.00),
    }
}

impl CustomerGen<'_> {
    fn range(&self, lo: i64, hi: i64) -> i64 {
        self.rng.borrow_mut().range(lo, hi)
    }

    fn chance(&self, p: f64) -> bool {
        self.rng.borrow_mut().chance(p)
    }

    fn below(&self, n: u64) -> u64 {
        self.rng.borrow_mut().below(n)
    }

    fn pick_channel(&self, channels: &[Ch]) -> Ch {
        self.rng
            .borrow_mut()
            .pick(channels)
            .copied()
            .unwrap_or(Ch::Direct)
    }

    fn weighted(&self, w: &[f64]) -> usize {
        self.rng.borrow_mut().weighted(w)
    }

    fn season_end(&self) -> DateTime<Utc> {
        self.config.start + TimeDelta::days(i64::from(self.config.days))
    }

    fn device(&self) -> Device {
        [
            Device::MobileApp,
            Device::MobileWeb,
            Device::Desktop,
            Device::Tablet,
        ]
        .get(self.weighted(&[0.45, 0.40, 0.12, 0.03]))
        .copied()
        .unwrap_or(Device::MobileWeb)
    }

    fn product(&self, category: Option<usize>) -> (ProductId, CategoryId, i64) {
        let i = match category {
            Some(c) => {
                c * PRODUCTS_PER_CATEGORY + self.below(PRODUCTS_PER_CATEGORY as u64) as usize
            }
            None => self.below(self.cat.products.len() as u64) as usize,
        };
        self.cat
            .products
            .get(i)
            .cloned()
            .unwrap_or_else(|| (ProductId::new("sku-0"), CategoryId::new("other"), 100_000))
    }

    fn push(&mut self, at: DateTime<Utc>, kind: K, channel: Ch, device: Device) -> &mut Touchpoint {
        self.out.push(
            Touchpoint::new(self.id, at, kind)
                .with_channel(channel)
                .with_device(device),
        );
        let i = self.out.len() - 1;
        match self.out.get_mut(i) {
            Some(t) => t,
            None => unreachable_touchpoint(),
        }
    }

    fn campaign_on(&self, at: DateTime<Utc>) -> Option<CampaignId> {
        self.cat
            .campaigns
            .iter()
            .find(|(d, _)| at >= *d && at < *d + TimeDelta::days(1))
            .map(|(_, c)| c.clone())
    }

    fn minutes(&self, lo: i64, hi: i64) -> TimeDelta {
        TimeDelta::seconds(self.range(lo * 60, hi * 60))
    }

    /// A random moment in the season between `from_day` and `to_day`, in waking hours (UTC+7).
    fn moment(&self, from_day: i64, to_day: i64) -> DateTime<Utc> {
        let day = self.range(from_day, to_day.max(from_day));
        // 07:00-23:00 WIB is 00:00-16:00 UTC.
        self.config.start + TimeDelta::days(day) + TimeDelta::seconds(self.range(0, 16 * 3600))
    }

    fn run(&mut self, persona: Persona) {
        let days = i64::from(self.config.days);
        let weights = acquisition_weights(persona);
        let w: Vec<f64> = weights.iter().map(|(_, w)| *w).collect();
        let acq = weights
            .get(self.weighted(&w))
            .map_or(Ch::Direct, |(c, _)| *c);
        let device = self.device();
        let home_category = self.below(CATEGORIES.len() as u64) as usize;
        match persona {
            Persona::Surfer => {
                let sessions = self.range(3, 7);
                let mut t = self.moment(0, days - 20);
                for s in 0..sessions {
                    let ch = if s == 0 {
                        acq
                    } else {
                        self.pick_channel(&[Ch::Social, Ch::Direct, Ch::OrganicSearch])
                    };
                    let cat = if self.chance(0.5) {
                        None
                    } else {
                        Some(self.below(CATEGORIES.len() as u64) as usize)
                    };
                    let end = self.browse(
                        t,
                        ch,
                        device,
                        cat,
                        self.range(5, 12) as usize,
                        0.4,
                        0.5,
                        false,
                    );
                    if self.chance(0.15) {
                        self.push(end + self.minutes(1, 3), K::ReviewWritten, ch, device);
                    }
                    if self.chance(0.25) {
                        // Adds to cart and drops off.
                        let (p, c, _) = self.product(cat);
                        self.push(end + self.minutes(1, 4), K::AddToCart, ch, device)
                            .product = Some(p);
                        if let Some(last) = self.out.last_mut() {
                            last.category = Some(c);
                        }
                    }
                    t = end + TimeDelta::days(self.range(1, 6)) + self.minutes(0, 300);
                    if t >= self.season_end() {
                        break;
                    }
                }
                if self.chance(0.05) && t < self.season_end() {
                    let end = self.browse(t, Ch::Direct, device, None, 2, 0.0, 0.0, false);
                    self.order(end, Ch::Direct, device, None, false, false);
                }
            }
            Persona::Researcher => {
                let sessions = self.range(3, 6);
                let mut t = self.moment(0, days - 25);
                for s in 0..sessions {
                    let ch = if s == 0 {
                        acq
                    } else {
                        self.pick_channel(&[
                            Ch::OrganicSearch,
                            Ch::Direct,
                            Ch::Email,
                            Ch::Marketplace,
                        ])
                    };
                    let end = self.browse(
                        t,
                        ch,
                        device,
                        Some(home_category),
                        self.range(4, 9) as usize,
                        0.5,
                        0.7,
                        false,
                    );
                    t = end + TimeDelta::days(self.range(1, 4)) + self.minutes(0, 240);
                }
                if t < self.season_end() && self.chance(0.8) {
                    let end = self.browse(
                        t,
                        Ch::Direct,
                        device,
                        Some(home_category),
                        2,
                        0.0,
                        0.3,
                        false,
                    );
                    let done =
                        self.order(end, Ch::Direct, device, Some(home_category), false, false);
                    if done.is_some() && self.chance(0.2) {
                        let t2 = end + TimeDelta::days(self.range(10, 30));
                        if t2 < self.season_end() {
                            let e2 = self.browse(
                                t2,
                                Ch::Email,
                                device,
                                Some(home_category),
                                3,
                                0.3,
                                0.5,
                                false,
                            );
                            self.order(e2, Ch::Email, device, Some(home_category), false, false);
                        }
                    }
                }
            }
            Persona::FocusedBuyer => {
                let t = self.moment(0, days - 5);
                let start = self.push(t, K::SearchVisit, acq, device).at;
                let end = self.browse(
                    start + self.minutes(0, 1),
                    acq,
                    device,
                    Some(home_category),
                    self.range(1, 2) as usize,
                    0.0,
                    0.0,
                    false,
                );
                if self.chance(0.9) {
                    self.order(end, acq, device, Some(home_category), false, false);
                } else {
                    self.push(end + self.minutes(1, 2), K::CheckoutStart, acq, device);
                }
                if self.chance(0.25) {
                    let t2 = t + TimeDelta::days(self.range(20, 45));
                    if t2 < self.season_end() {
                        let e2 = self.browse(
                            t2,
                            Ch::Direct,
                            device,
                            Some(home_category),
                            1,
                            0.0,
                            0.0,
                            false,
                        );
                        self.order(e2, Ch::Direct, device, Some(home_category), false, false);
                    }
                }
            }
            Persona::DealDriven => {
                let mut days_list: Vec<DateTime<Utc>> =
                    self.cat.campaigns.iter().map(|(d, _)| *d).collect();
                if days_list.is_empty() {
                    days_list.push(self.config.start);
                }
                let visits = self.range(2, 4);
                for v in 0..visits {
                    let day = days_list
                        .get(self.below(days_list.len() as u64) as usize)
                        .copied()
                        .unwrap_or(self.config.start)
                        - TimeDelta::days(i64::from(self.chance(0.2)));
                    let t = day + TimeDelta::seconds(self.range(0, 16 * 3600));
                    let ch = if v == 0 {
                        acq
                    } else {
                        self.pick_channel(&[Ch::Push, Ch::Email, Ch::Sms, Ch::Social])
                    };
                    self.push(t, K::PromotionView, ch, device);
                    let end = self.browse(
                        t + self.minutes(0, 1),
                        ch,
                        device,
                        None,
                        self.range(3, 6) as usize,
                        0.2,
                        0.2,
                        true,
                    );
                    if self.chance(0.85) {
                        self.order(end, ch, device, None, true, false);
                    }
                }
            }
            Persona::ImpulsiveOneTime => {
                let t = self.moment(0, days - 5);
                self.push(t, K::PromotionClick, acq, device);
                let end = self.browse(
                    t + self.minutes(0, 1),
                    acq,
                    device,
                    Some(home_category),
                    1,
                    0.0,
                    0.0,
                    true,
                );
                self.order(end, acq, device, Some(home_category), true, true);
            }
            Persona::Loyal => {
                let orders = self.range(4, 8);
                let mut t = self.moment(0, 10);
                for o in 0..orders {
                    let ch = if o == 0 {
                        acq
                    } else {
                        self.pick_channel(&[
                            Ch::Direct,
                            Ch::Email,
                            Ch::WhatsappChat,
                            Ch::Sms,
                            Ch::Push,
                        ])
                    };
                    if o > 0 && Channel::from(ch).is_direct_message() {
                        let reminder_at = t - self.minutes(20, 600);
                        self.push(reminder_at, K::PromotionView, ch, device);
                    }
                    let end = self.browse(
                        t,
                        ch,
                        device,
                        Some(home_category),
                        self.range(1, 3) as usize,
                        0.0,
                        0.1,
                        false,
                    );
                    let shipped = self.order(
                        end,
                        ch,
                        device,
                        Some(home_category),
                        self.chance(0.2),
                        false,
                    );
                    if let Some(delivered) = shipped {
                        if self.chance(0.4) {
                            self.push(
                                delivered + self.minutes(60, 3000),
                                K::ReviewWritten,
                                Ch::Direct,
                                device,
                            );
                        }
                        if self.chance(0.2) {
                            self.push(
                                delivered + self.minutes(60, 5000),
                                K::ReferralSent,
                                Ch::WhatsappChat,
                                device,
                            );
                        }
                        if o == 0 && self.chance(0.5) {
                            self.push(
                                delivered + self.minutes(30, 600),
                                K::SurveyAnswered,
                                Ch::Email,
                                device,
                            );
                        }
                    }
                    t = t + TimeDelta::days(self.range(7, 18)) + self.minutes(0, 600);
                    if t >= self.season_end() {
                        break;
                    }
                }
            }
        }
    }

    /// A browsing session of `views` product views; returns the time of its last touchpoint.
    #[allow(clippy::too_many_arguments)]
    fn browse(
        &mut self,
        start: DateTime<Utc>,
        ch: Ch,
        device: Device,
        category: Option<usize>,
        views: usize,
        p_compare: f64,
        p_reviews: f64,
        discounted: bool,
    ) -> DateTime<Utc> {
        let mut t = start;
        self.push(t, K::ProductListView, ch, device);
        let campaign = self.campaign_on(start);
        for _ in 0..views {
            t += self.minutes(0, 3) + TimeDelta::seconds(5);
            let (p, c, _) = self.product(category);
            let tp = self.push(t, K::ProductView, ch, device);
            tp.product = Some(p);
            tp.category = Some(c);
            tp.discounted = discounted;
            tp.campaign.clone_from(&campaign);
            if self.chance(p_reviews) {
                t += self.minutes(1, 3);
                self.push(t, K::ReviewRead, ch, device);
            }
            if self.chance(p_compare) {
                t += self.minutes(1, 2);
                self.push(t, K::Comparison, ch, device);
            }
        }
        t
    }

    /// Cart, checkout and order after `t`, then fulfilment. Returns the delivery
    /// time when the order was delivered.
    fn order(
        &mut self,
        t: DateTime<Utc>,
        ch: Ch,
        device: Device,
        category: Option<usize>,
        discounted: bool,
        impulsive: bool,
    ) -> Option<DateTime<Utc>> {
        let mut t = t + self.minutes(0, 2) + TimeDelta::seconds(10);
        let items = if impulsive {
            self.range(3, 5)
        } else {
            self.range(1, 2)
        };
        let mut total = 0i64;
        let campaign = self.campaign_on(t);
        for i in 0..items {
            let (p, c, price) = self.product(category);
            if impulsive && i > 0 {
                // An unplanned item: seen in a bundle moments before adding it.
                t += self.minutes(0, 2);
                let tp = self.push(t, K::ProductView, ch, device);
                tp.product = Some(p.clone());
                tp.discounted = true;
            }
            t += self.minutes(0, 2) + TimeDelta::seconds(5);
            total += price;
            let tp = self.push(t, K::AddToCart, ch, device);
            tp.product = Some(p);
            tp.category = Some(c);
            tp.discounted = discounted;
            tp.campaign.clone_from(&campaign);
        }
        t += self.minutes(0, 3) + TimeDelta::seconds(5);
        self.push(t, K::CheckoutStart, ch, device);
        // Drop-off at checkout: shipping cost, long forms, payment trouble.
        if self.chance(0.08) {
            return None;
        }
        let payment = [
            PaymentMethod::CashOnDelivery,
            PaymentMethod::EWallet,
            PaymentMethod::VirtualAccount,
            PaymentMethod::BankTransfer,
            PaymentMethod::Card,
        ]
        .get(self.weighted(&[0.35, 0.25, 0.20, 0.10, 0.10]))
        .copied()
        .unwrap_or(PaymentMethod::CashOnDelivery);
        let checkout = if self.chance(0.35) {
            CheckoutType::Guest
        } else {
            CheckoutType::Registered
        };
        t += self.minutes(1, 4);
        self.push(t, K::PaymentInfo, ch, device).payment = Some(payment);
        t += self.minutes(0, 2) + TimeDelta::seconds(3);
        self.order_seq += 1;
        let order = OrderId::new(&format!("INV-{}-{}", self.id, self.order_seq));
        let promised = t + TimeDelta::days(3);
        let value = Money::new(total, self.cat.idr).ok();
        let tp = self.push(t, K::OrderCompleted, ch, device);
        tp.order = Some(order.clone());
        tp.value = value;
        tp.discounted = discounted;
        tp.payment = Some(payment);
        tp.checkout = Some(checkout);
        tp.promised_delivery = Some(promised);
        tp.campaign = campaign;
        if self.chance(0.03) {
            let at = t + self.minutes(10, 600);
            self.push(at, K::OrderCancelled, Ch::Direct, device).order = Some(order);
            return None;
        }
        let shipped = t + TimeDelta::hours(self.range(6, 40));
        self.push(shipped, K::Shipment, Ch::Direct, device).order = Some(order.clone());
        let attempt = shipped + TimeDelta::hours(self.range(24, 96));
        self.push(attempt, K::DeliveryAttempt, Ch::Direct, device)
            .order = Some(order.clone());
        let cod = payment == PaymentMethod::CashOnDelivery;
        // Cash-on-delivery orders are refused or unreachable far more often: return to origin.
        if self.chance(if cod { 0.12 } else { 0.02 }) {
            if self.chance(0.5) {
                let at = attempt + self.minutes(10, 120);
                self.push(at, K::SupportContact, Ch::CustomerService, device);
            }
            let at = attempt + TimeDelta::days(self.range(3, 7));
            self.push(at, K::Returned, Ch::Direct, device).order = Some(order);
            return None;
        }
        let delivered = attempt + self.minutes(0, 30);
        self.push(delivered, K::Delivered, Ch::Direct, device).order = Some(order.clone());
        if delivered > promised && self.chance(0.5) {
            let asked = delivered - self.minutes(120, 600);
            self.push(asked, K::SupportContact, Ch::WhatsappChat, device);
            let answered = delivered - self.minutes(30, 110);
            self.push(answered, K::SupportResponse, Ch::CustomerService, device);
        }
        if self.chance(0.06) {
            let asked = delivered + TimeDelta::hours(self.range(2, 48));
            self.push(asked, K::ReturnRequested, Ch::CustomerService, device)
                .order = Some(order.clone());
            let back = asked + TimeDelta::days(self.range(2, 6));
            self.push(back, K::Returned, Ch::Direct, device).order = Some(order.clone());
            let refunded = back + TimeDelta::days(self.range(1, 3));
            let refund = self.push(refunded, K::Refund, Ch::Direct, device);
            refund.order = Some(order);
            refund.value = value;
            return None;
        }
        Some(delivered)
    }
}

#[cold]
fn unreachable_touchpoint() -> ! {
    // `push` has just added an element, so the vector is never empty here.
    unreachable!("touchpoint vector empty right after a push")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shop_is_deterministic_and_varied() {
        let a = SampleShop::generate(&SampleConfig::default()).unwrap();
        let b = SampleShop::generate(&SampleConfig::default()).unwrap();
        assert_eq!(a, b);
        assert!(a.customers.len() >= 2_000);
        for &p in Persona::ALL {
            assert!(
                a.customers.iter().filter(|c| c.persona == p).count() > 100,
                "{p}"
            );
        }
        let has = |k: K| a.touchpoints.iter().any(|t| t.is(k));
        for k in [
            K::OrderCompleted,
            K::Returned,
            K::Refund,
            K::OrderCancelled,
            K::ReviewWritten,
            K::ReferralSent,
        ] {
            assert!(has(k), "{k}");
        }
        assert!(
            a.touchpoints
                .iter()
                .any(|t| t.payment == Some(PaymentMethod::CashOnDelivery))
        );
        assert!(a.campaign_days.len() >= 3);
        let journeys = Journey::group(a.touchpoints.clone(), &JourneyConfig::default()).unwrap();
        assert_eq!(journeys.len(), a.customers.len());
        assert!(journeys.iter().any(|j| j.orders() > 1));
        assert!(journeys.iter().any(|j| !j.converted()));
        assert_eq!(
            a.persona_of(CustomerId(1)),
            a.customers.first().map(|c| c.persona)
        );
        assert_eq!(a.persona_of(CustomerId(0)), None);
    }

    #[test]
    fn bad_configs_are_refused() {
        for bad in [
            SampleConfig {
                days: 0,
                ..SampleConfig::default()
            },
            SampleConfig {
                customers: 20_000_000,
                ..SampleConfig::default()
            },
            SampleConfig {
                start: DateTime::<Utc>::MIN_UTC,
                ..SampleConfig::default()
            },
            SampleConfig {
                start: DateTime::<Utc>::MAX_UTC,
                ..SampleConfig::default()
            },
        ] {
            assert!(matches!(
                SampleShop::generate(&bad),
                Err(Error::InvalidConfig { .. })
            ));
        }
    }
}
