//! One contact between a customer and the shop.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::names::named_enum;
use crate::model::{
    BuiltinKind, CampaignId, CategoryId, Channel, CustomerId, EventName, Money, OrderId, Phase,
    ProductId, Stage, TouchpointKind,
};

named_enum! {
    /// The device a touchpoint happened on. Shops in Indonesia and similar
    /// markets sell mostly on phones, so mobile web and app come first.
    pub enum Device: "device" {
        /// A browser on a phone.
        MobileWeb = "mobile_web",
        /// The shop's (or marketplace's) phone app.
        MobileApp = "mobile_app",
        /// A desktop or laptop browser.
        Desktop = "desktop",
        /// A tablet.
        Tablet = "tablet",
    }
}

named_enum! {
    /// How an order was paid.
    pub enum PaymentMethod: "payment method" {
        /// Credit or debit card.
        Card = "card",
        /// Manual bank transfer.
        BankTransfer = "bank_transfer",
        /// A virtual account number (automatic bank transfer).
        VirtualAccount = "virtual_account",
        /// An e-wallet (GoPay, OVO, DANA, ShopeePay, ...).
        EWallet = "e_wallet",
        /// Cash on delivery: paid to the courier.
        CashOnDelivery = "cash_on_delivery",
    }
}

named_enum! {
    /// Whether the customer checked out as a guest or with an account.
    pub enum CheckoutType: "checkout type" {
        /// Straight to checkout without registering.
        Guest = "guest",
        /// With a registered account.
        Registered = "registered",
    }
}

/// One contact between a customer and the shop: who, when, what, on which
/// channel, and the facts later analyses need.
///
/// Fields are public: a touchpoint has no invariant beyond those its field
/// types keep ([`Money`] is never negative, names are validated). The struct
/// is `#[non_exhaustive]` so new facts can be added; build one with
/// [`Touchpoint::new`] and the `with_*` methods.
///
/// `Ord` compares customer, time and kind first, which is the order a
/// [`Journey`](crate::Journey) keeps.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use cxjourney::{BuiltinChannel, BuiltinKind, Currency, CustomerId, Money, PaymentMethod, Touchpoint};
/// let at = Utc.with_ymd_and_hms(2024, 11, 11, 0, 5, 0).unwrap();
/// let order = Touchpoint::new(CustomerId(7), at, BuiltinKind::OrderCompleted)
///     .with_channel(BuiltinChannel::WhatsappChat)
///     .with_order("INV-1111")
///     .with_value(Money::parse("249000", Currency::IDR)?)
///     .with_payment(PaymentMethod::CashOnDelivery)
///     .with_discounted(true);
/// assert_eq!(order.stage(), Some(cxjourney::Stage::Decision));
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Touchpoint {
    /// The customer.
    pub customer: CustomerId,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: TouchpointKind,
    /// The channel it came through.
    #[serde(default)]
    pub channel: Channel,
    /// The source event name it was converted from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventName>,
    /// The stage, when the caller knows better than the kind's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// The device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    /// The order this touchpoint belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderId>,
    /// The amount involved (order value, refund amount, cart value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Money>,
    /// Whether discounted or strike-through prices were involved.
    #[serde(default)]
    pub discounted: bool,
    /// Guest or registered checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout: Option<CheckoutType>,
    /// The payment method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentMethod>,
    /// The delivery time promised to the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promised_delivery: Option<DateTime<Utc>>,
    /// The product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductId>,
    /// The product category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<CategoryId>,
    /// The campaign (such as `"11.11"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignId>,
}

impl Touchpoint {
    /// A touchpoint on the direct channel with no further facts.
    #[must_use]
    pub fn new(customer: CustomerId, at: DateTime<Utc>, kind: impl Into<TouchpointKind>) -> Self {
        Touchpoint {
            customer,
            at,
            kind: kind.into(),
            channel: Channel::DIRECT,
            event: None,
            stage: None,
            device: None,
            order: None,
            value: None,
            discounted: false,
            checkout: None,
            payment: None,
            promised_delivery: None,
            product: None,
            category: None,
            campaign: None,
        }
    }

    /// Sets the channel.
    #[must_use]
    pub fn with_channel(mut self, channel: impl Into<Channel>) -> Self {
        self.channel = channel.into();
        self
    }

    /// Sets the source event name.
    #[must_use]
    pub fn with_event(mut self, event: EventName) -> Self {
        self.event = Some(event);
        self
    }

    /// Overrides the kind's default stage.
    #[must_use]
    pub fn with_stage(mut self, stage: Stage) -> Self {
        self.stage = Some(stage);
        self
    }

    /// Sets the device.
    #[must_use]
    pub fn with_device(mut self, device: Device) -> Self {
        self.device = Some(device);
        self
    }

    /// Sets the order id.
    #[must_use]
    pub fn with_order(mut self, order: impl Into<OrderId>) -> Self {
        self.order = Some(order.into());
        self
    }

    /// Sets the amount.
    #[must_use]
    pub fn with_value(mut self, value: Money) -> Self {
        self.value = Some(value);
        self
    }

    /// Marks discounted prices.
    #[must_use]
    pub fn with_discounted(mut self, discounted: bool) -> Self {
        self.discounted = discounted;
        self
    }

    /// Sets guest or registered checkout.
    #[must_use]
    pub fn with_checkout(mut self, checkout: CheckoutType) -> Self {
        self.checkout = Some(checkout);
        self
    }

    /// Sets the payment method.
    #[must_use]
    pub fn with_payment(mut self, payment: PaymentMethod) -> Self {
        self.payment = Some(payment);
        self
    }

    /// Sets the promised delivery time.
    #[must_use]
    pub fn with_promised_delivery(mut self, at: DateTime<Utc>) -> Self {
        self.promised_delivery = Some(at);
        self
    }

    /// Sets the product.
    #[must_use]
    pub fn with_product(mut self, product: impl Into<ProductId>) -> Self {
        self.product = Some(product.into());
        self
    }

    /// Sets the category.
    #[must_use]
    pub fn with_category(mut self, category: impl Into<CategoryId>) -> Self {
        self.category = Some(category.into());
        self
    }

    /// Sets the campaign.
    #[must_use]
    pub fn with_campaign(mut self, campaign: impl Into<CampaignId>) -> Self {
        self.campaign = Some(campaign.into());
        self
    }

    /// The stage: the override if set, else the kind's default; `None` for a
    /// custom kind without an override.
    #[must_use]
    pub fn stage(&self) -> Option<Stage> {
        self.stage.or_else(|| self.kind.default_stage())
    }

    /// The operational phase of the kind, if it has one.
    #[must_use]
    pub fn phase(&self) -> Option<Phase> {
        self.kind.default_phase()
    }

    /// Whether this touchpoint is the given built-in kind.
    #[must_use]
    pub fn is(&self, kind: BuiltinKind) -> bool {
        self.kind.is(kind)
    }

    /// The source event name if there is one, else the kind's name.
    #[must_use]
    pub fn event_name(&self) -> &str {
        self.event
            .as_ref()
            .map_or_else(|| self.kind.as_str(), EventName::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BuiltinChannel, Currency};
    use chrono::TimeZone;

    #[test]
    fn full_touchpoint_round_trips_through_json() {
        let at = Utc.with_ymd_and_hms(2024, 12, 12, 12, 12, 12).unwrap();
        let tp = Touchpoint::new(CustomerId(1), at, BuiltinKind::OrderCompleted)
            .with_channel(BuiltinChannel::Sms)
            .with_event(EventName::new("purchase"))
            .with_stage(Stage::Retention)
            .with_device(Device::MobileApp)
            .with_order("o-1")
            .with_value(Money::new(9_900_000, Currency::IDR).unwrap())
            .with_discounted(true)
            .with_checkout(CheckoutType::Guest)
            .with_payment(PaymentMethod::CashOnDelivery)
            .with_promised_delivery(at + chrono::TimeDelta::days(3))
            .with_product("sku-1")
            .with_category("fashion")
            .with_campaign("12.12");
        let json = serde_json::to_string(&tp).unwrap();
        assert_eq!(serde_json::from_str::<Touchpoint>(&json).unwrap(), tp);
        let bare = Touchpoint::new(CustomerId(2), at, TouchpointKind::custom("x").unwrap());
        let json = serde_json::to_string(&bare).unwrap();
        assert_eq!(serde_json::from_str::<Touchpoint>(&json).unwrap(), bare);
        assert_eq!(bare.stage(), None);
        assert_eq!(tp.event_name(), "purchase");
        assert_eq!(bare.event_name(), "x");
    }

    #[test]
    fn enums_round_trip() {
        for &d in Device::ALL {
            assert_eq!(
                serde_json::from_str::<Device>(&serde_json::to_string(&d).unwrap()).unwrap(),
                d
            );
        }
        for &p in PaymentMethod::ALL {
            assert_eq!(p.as_str().parse::<PaymentMethod>(), Ok(p));
        }
        for &c in CheckoutType::ALL {
            assert_eq!(c.as_str().parse::<CheckoutType>(), Ok(c));
        }
    }
}
