//! A fast generator of large mixed touchpoint streams, for benchmarks and
//! property tests at scale.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::Rng;
use crate::error::{Error, Result};
use crate::model::{
    BuiltinChannel as Ch, BuiltinKind as K, CategoryId, Channel, Currency, CustomerId, Device,
    Money, PaymentMethod, ProductId, Touchpoint,
};

/// The shape of a generated stream.
///
/// Every number is bounded ([`StreamConfig::validate`]), and deserializing
/// validates too.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "StreamConfigData")]
pub struct StreamConfig {
    /// Number of touchpoints. Default 1,000,000; at most
    /// [`StreamConfig::MAX_TOUCHPOINTS`].
    pub touchpoints: usize,
    /// Number of customers they are spread over. Default 100,000; at most
    /// [`StreamConfig::MAX_CUSTOMERS`], and at least 1 when touchpoints are
    /// asked for.
    pub customers: usize,
    /// Length of the period in days, from 2024-10-01. Default 90; 1 to
    /// [`StreamConfig::MAX_DAYS`].
    pub days: u32,
    /// The random seed. Default 7.
    pub seed: u64,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            touchpoints: 1_000_000,
            customers: 100_000,
            days: 90,
            seed: 7,
        }
    }
}

/// A [`StreamConfig`] as deserialized, before it is validated.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct StreamConfigData {
    touchpoints: usize,
    customers: usize,
    days: u32,
    seed: u64,
}

impl Default for StreamConfigData {
    fn default() -> Self {
        let c = StreamConfig::default();
        StreamConfigData {
            touchpoints: c.touchpoints,
            customers: c.customers,
            days: c.days,
            seed: c.seed,
        }
    }
}

impl TryFrom<StreamConfigData> for StreamConfig {
    type Error = Error;

    fn try_from(d: StreamConfigData) -> Result<StreamConfig> {
        let c = StreamConfig {
            touchpoints: d.touchpoints,
            customers: d.customers,
            days: d.days,
            seed: d.seed,
        };
        c.validate()?;
        Ok(c)
    }
}

impl StreamConfig {
    /// The most touchpoints a stream may have: 20,000,000 (some 4 GB of
    /// touchpoints, reserved up front).
    pub const MAX_TOUCHPOINTS: usize = 20_000_000;
    /// The most customers a stream may spread over: 20,000,000.
    pub const MAX_CUSTOMERS: usize = 20_000_000;
    /// The longest period: 3,660 days (ten years).
    pub const MAX_DAYS: u32 = 3_660;

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the value when `touchpoints` or
    /// `customers` is above its cap, `customers` is 0 while touchpoints are
    /// asked for, or `days` is 0 or above [`StreamConfig::MAX_DAYS`].
    pub fn validate(&self) -> Result<()> {
        if self.touchpoints > Self::MAX_TOUCHPOINTS {
            return Err(Error::InvalidConfig {
                field: "touchpoints",
                value: self.touchpoints.to_string(),
                reason: "at most 20000000",
            });
        }
        if self.customers > Self::MAX_CUSTOMERS {
            return Err(Error::InvalidConfig {
                field: "customers",
                value: self.customers.to_string(),
                reason: "at most 20000000",
            });
        }
        if self.customers == 0 && self.touchpoints > 0 {
            return Err(Error::InvalidConfig {
                field: "customers",
                value: "0".into(),
                reason: "touchpoints need at least one customer",
            });
        }
        if self.days == 0 || self.days > Self::MAX_DAYS {
            return Err(Error::InvalidConfig {
                field: "days",
                value: self.days.to_string(),
                reason: "must be between 1 and 3660",
            });
        }
        Ok(())
    }
}

/// A stream of touchpoints in arrival (time) order with customers mixed, as an
/// event log delivers them.
///
/// Customers are visited in sessions of a few touchpoints each, going down a
/// browse, cart, checkout, order path with realistic drop-off, on a mix of
/// channels and devices; about 3% of consecutive touchpoints of a customer
/// share a timestamp. Cheap to generate: products and categories are shared,
/// not allocated per touchpoint.
///
/// ```
/// use cxjourney::sample::{StreamConfig, event_stream};
/// let s = event_stream(&StreamConfig { touchpoints: 1_000, customers: 100, ..StreamConfig::default() })?;
/// assert_eq!(s.len(), 1_000);
/// assert!(s.windows(2).all(|w| w[0].at <= w[1].at));
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidConfig`] naming the value for a configuration that does
/// not validate ([`StreamConfig::validate`]).
pub fn event_stream(config: &StreamConfig) -> Result<Vec<Touchpoint>> {
    config.validate()?;
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2024, 10, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut rng = Rng::new(config.seed);
    let categories: Vec<CategoryId> = (0..12)
        .map(|c| CategoryId::new(&format!("cat-{c:02}")))
        .collect();
    let products: Vec<(ProductId, usize)> = (0..600)
        .map(|p| (ProductId::new(&format!("sku-{p:04}")), p % 12))
        .collect();
    let channels = [
        (Ch::OrganicSearch, 0.22),
        (Ch::PaidSearch, 0.12),
        (Ch::Social, 0.20),
        (Ch::DisplayAds, 0.06),
        (Ch::Email, 0.06),
        (Ch::Sms, 0.03),
        (Ch::WhatsappChat, 0.05),
        (Ch::Push, 0.04),
        (Ch::Referral, 0.04),
        (Ch::Marketplace, 0.10),
        (Ch::Direct, 0.08),
    ];
    let channel_w: Vec<f64> = channels.iter().map(|c| c.1).collect();
    let devices = [
        Device::MobileApp,
        Device::MobileWeb,
        Device::Desktop,
        Device::Tablet,
    ];
    // A session walks down this path and stops with the given continuation odds.
    let path = [
        (K::ProductListView, 1.0),
        (K::ProductView, 0.9),
        (K::ProductView, 0.6),
        (K::ReviewRead, 0.5),
        (K::AddToCart, 0.45),
        (K::CheckoutStart, 0.6),
        (K::PaymentInfo, 0.8),
        (K::OrderCompleted, 0.9),
    ];
    let span = i64::from(config.days) * 86_400;
    let mut out = Vec::with_capacity(config.touchpoints);
    while out.len() < config.touchpoints {
        let customer = CustomerId(rng.below(config.customers as u64) + 1);
        let channel: Channel = channels
            .get(rng.weighted(&channel_w))
            .map_or(Ch::Direct, |c| c.0)
            .into();
        let device = devices
            .get(rng.weighted(&[0.45, 0.40, 0.12, 0.03]))
            .copied()
            .unwrap_or(Device::MobileWeb);
        let mut at = start + TimeDelta::seconds(rng.range(0, span));
        let (product, cat) = products
            .get(rng.below(products.len() as u64) as usize)
            .cloned()
            .unwrap_or_else(|| (ProductId::new("sku"), 0));
        for &(kind, p) in &path {
            if out.len() >= config.touchpoints || !rng.chance(p) {
                break;
            }
            let mut tp = Touchpoint::new(customer, at, kind)
                .with_channel(channel.clone())
                .with_device(device);
            if matches!(kind, K::ProductView | K::AddToCart) {
                tp.product = Some(product.clone());
                tp.category = categories.get(cat).cloned();
            }
            if kind == K::OrderCompleted {
                tp.value = Money::new(rng.range(25, 1_500) * 100_000, Currency::IDR).ok();
                tp.payment = [
                    PaymentMethod::CashOnDelivery,
                    PaymentMethod::EWallet,
                    PaymentMethod::VirtualAccount,
                ]
                .get(rng.below(3) as usize)
                .copied();
            }
            out.push(tp);
            // About 3% same-second ties.
            if !rng.chance(0.03) {
                at += TimeDelta::seconds(rng.range(5, 240));
            }
        }
    }
    out.sort_by_key(|t| t.at);
    Ok(out)
}
