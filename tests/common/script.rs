//! One shopper's touchpoints, written in the order a person would tell them.
//!
//! Times are Western Indonesia Time (WIB, UTC+7), as a shop in Jakarta sees
//! them. Every touchpoint is written at the script's clock, which then moves
//! on by one minute; [`Script::wait`] and [`Script::days_later`] move it
//! further. Products are written `"category/name"`: the touchpoint gets the
//! whole text as its product id and the part before the slash as its category.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, TimeZone, Utc};
use cxjourney::{
    BuiltinChannel, BuiltinKind as K, Channel, CheckoutType, Currency, CustomerId, Device, Money,
    PaymentMethod, Touchpoint,
};

/// An instant given in WIB (UTC+7).
#[must_use]
pub fn wib(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    let zone = FixedOffset::east_opt(7 * 3600).expect("UTC+7");
    zone.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a valid WIB time")
        .with_timezone(&Utc)
}

/// The WIB calendar date of an instant.
#[must_use]
pub fn wib_date(at: DateTime<Utc>) -> NaiveDate {
    (at + TimeDelta::hours(7)).date_naive()
}

/// An amount in rupiah (IDR has two minor digits: sen).
#[must_use]
pub fn idr(rupiah: i64) -> Money {
    Money::new(rupiah * 100, Currency::IDR).expect("a non-negative amount")
}

/// The category of a `"category/name"` product.
#[must_use]
pub fn category_of(product: &str) -> &str {
    product.split_once('/').map_or(product, |(c, _)| c)
}

/// One shopper's touchpoints, written one after another.
#[derive(Debug, Clone)]
pub struct Script {
    customer: CustomerId,
    now: DateTime<Utc>,
    channel: Channel,
    device: Device,
    payment: PaymentMethod,
    checkout: CheckoutType,
    orders: u32,
    last_order: Option<String>,
    last_delivery: Option<DateTime<Utc>>,
    out: Vec<Touchpoint>,
}

impl Script {
    /// A shopper whose clock starts on 2 June 2025 at 08:00 WIB, on the
    /// direct channel, in the shop's app, paying by e-wallet with an account.
    #[must_use]
    pub fn new(customer: u64) -> Script {
        Script {
            customer: CustomerId(customer),
            now: wib(2025, 6, 2, 8, 0),
            channel: Channel::DIRECT,
            device: Device::MobileApp,
            payment: PaymentMethod::EWallet,
            checkout: CheckoutType::Registered,
            orders: 0,
            last_order: None,
            last_delivery: None,
            out: Vec::new(),
        }
    }

    /// Sets the clock to a WIB date and time.
    #[must_use]
    pub fn on(mut self, y: i32, m: u32, d: u32, h: u32, min: u32) -> Script {
        self.now = wib(y, m, d, h, min);
        self
    }

    /// Sets the clock to an instant.
    #[must_use]
    pub fn at(mut self, at: DateTime<Utc>) -> Script {
        self.now = at;
        self
    }

    /// Sets the clock to an instant for a new session: to `at`, or later
    /// when the last session has not ended 45 minutes before it (so that
    /// sessions never overlap).
    #[must_use]
    pub fn resume(mut self, at: DateTime<Utc>) -> Script {
        self.now = at.max(self.now + TimeDelta::minutes(45));
        self
    }

    /// The clock.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Moves the clock on by minutes.
    #[must_use]
    pub fn wait(mut self, minutes: i64) -> Script {
        self.now += TimeDelta::minutes(minutes);
        self
    }

    /// Moves the clock on by seconds.
    #[must_use]
    pub fn wait_secs(mut self, seconds: i64) -> Script {
        self.now += TimeDelta::seconds(seconds);
        self
    }

    /// Moves the clock on by whole days, to the given WIB hour and minute.
    #[must_use]
    pub fn days_later(mut self, days: i64, h: u32, min: u32) -> Script {
        let date = wib_date(self.now) + TimeDelta::days(days);
        self.now = wib(
            chrono::Datelike::year(&date),
            chrono::Datelike::month(&date),
            chrono::Datelike::day(&date),
            h,
            min,
        );
        self
    }

    /// Moves the clock to some hours after the last delivery.
    #[must_use]
    pub fn after_delivery(mut self, hours: i64) -> Script {
        let delivered = self.last_delivery.expect("a delivery before");
        self.now = delivered + TimeDelta::hours(hours);
        self
    }

    /// The channel of the following touchpoints.
    #[must_use]
    pub fn via(mut self, channel: BuiltinChannel) -> Script {
        self.channel = channel.into();
        self
    }

    /// The device of the following touchpoints.
    #[must_use]
    pub fn on_device(mut self, device: Device) -> Script {
        self.device = device;
        self
    }

    /// The payment method of the following orders.
    #[must_use]
    pub fn paying(mut self, payment: PaymentMethod) -> Script {
        self.payment = payment;
        self
    }

    /// Guest or registered checkout for the following orders.
    #[must_use]
    pub fn checking_out_as(mut self, checkout: CheckoutType) -> Script {
        self.checkout = checkout;
        self
    }

    /// Writes a touchpoint at the clock and moves the clock on by a minute.
    #[must_use]
    pub fn with(mut self, kind: K, f: impl FnOnce(Touchpoint) -> Touchpoint) -> Script {
        let t = Touchpoint::new(self.customer, self.now, kind)
            .with_channel(self.channel.clone())
            .with_device(self.device);
        self.out.push(f(t));
        self.now += TimeDelta::minutes(1);
        self
    }

    /// A touchpoint of a kind with no further facts.
    #[must_use]
    pub fn event(self, kind: K) -> Script {
        self.with(kind, |t| t)
    }

    fn product(product: &str, discounted: bool) -> impl FnOnce(Touchpoint) -> Touchpoint + use<> {
        let category = category_of(product).to_owned();
        let product = product.to_owned();
        move |t| {
            t.with_product(&*product)
                .with_category(&*category)
                .with_discounted(discounted)
        }
    }

    /// Saw a promotion or banner (a discount, a bundle, a voucher).
    #[must_use]
    pub fn promo_view(self) -> Script {
        self.with(K::PromotionView, |t| t.with_discounted(true))
    }

    /// Clicked a promotion or banner.
    #[must_use]
    pub fn promo_click(self) -> Script {
        self.with(K::PromotionClick, |t| t.with_discounted(true))
    }

    /// Arrived from a search engine.
    #[must_use]
    pub fn search_visit(self) -> Script {
        self.event(K::SearchVisit)
    }

    /// Searched inside the shop.
    #[must_use]
    pub fn site_search(self) -> Script {
        self.event(K::SiteSearch)
    }

    /// Logged in.
    #[must_use]
    pub fn login(self) -> Script {
        self.event(K::Login)
    }

    /// Opened a category page.
    #[must_use]
    pub fn list(self, category: &str) -> Script {
        let category = category.to_owned();
        self.with(K::ProductListView, move |t| t.with_category(&*category))
    }

    /// Filtered or sorted a category page (by price, by rating).
    #[must_use]
    pub fn filter(self, category: &str) -> Script {
        let category = category.to_owned();
        self.with(K::ProductListFilter, move |t| t.with_category(&*category))
    }

    /// Viewed a product at its ordinary price.
    #[must_use]
    pub fn view(self, product: &str) -> Script {
        self.with(K::ProductView, Self::product(product, false))
    }

    /// Viewed a product with a discount or a struck-through price.
    #[must_use]
    pub fn view_deal(self, product: &str) -> Script {
        self.with(K::ProductView, Self::product(product, true))
    }

    /// Compared products side by side.
    #[must_use]
    pub fn compare(self, product: &str) -> Script {
        self.with(K::Comparison, Self::product(product, false))
    }

    /// Read the reviews of a product.
    #[must_use]
    pub fn read_reviews(self, product: &str) -> Script {
        self.with(K::ReviewRead, Self::product(product, false))
    }

    /// Put a product on the wishlist.
    #[must_use]
    pub fn wishlist(self, product: &str) -> Script {
        self.with(K::WishlistAdd, Self::product(product, false))
    }

    /// Added a product to the cart at its ordinary price.
    #[must_use]
    pub fn cart(self, product: &str) -> Script {
        self.with(K::AddToCart, Self::product(product, false))
    }

    /// Added a discounted product to the cart.
    #[must_use]
    pub fn cart_deal(self, product: &str) -> Script {
        self.with(K::AddToCart, Self::product(product, true))
    }

    /// Entered a voucher code and had it applied.
    #[must_use]
    pub fn coupon(self) -> Script {
        self.with(K::CouponEntered, |t| t.with_discounted(true))
            .with(K::CouponApplied, |t| t.with_discounted(true))
    }

    /// Began checkout.
    #[must_use]
    pub fn checkout(self) -> Script {
        self.event(K::CheckoutStart)
    }

    /// Entered shipping details.
    #[must_use]
    pub fn shipping(self) -> Script {
        self.event(K::ShippingInfo)
    }

    fn place(mut self, rupiah: i64, discounted: bool) -> Script {
        self.orders += 1;
        let order = format!("INV/{}/{}", self.customer, self.orders);
        self.last_order = Some(order.clone());
        let (payment, checkout) = (self.payment, self.checkout);
        let promised = self.now + TimeDelta::days(3);
        self.with(K::PaymentInfo, move |t| t.with_payment(payment))
            .with(K::OrderCompleted, move |t| {
                t.with_order(&*order)
                    .with_value(idr(rupiah))
                    .with_discounted(discounted)
                    .with_payment(payment)
                    .with_checkout(checkout)
                    .with_promised_delivery(promised)
            })
    }

    /// Paid and placed an order at ordinary prices.
    #[must_use]
    pub fn buy(self, rupiah: i64) -> Script {
        self.place(rupiah, false)
    }

    /// Paid and placed an order at discounted or struck-through prices.
    #[must_use]
    pub fn buy_deal(self, rupiah: i64) -> Script {
        self.place(rupiah, true)
    }

    /// The last order left the warehouse the next day and was delivered
    /// `days` days after it was placed (the shop's touchpoints: the clock
    /// stays where it is).
    #[must_use]
    pub fn delivered(mut self, days: i64) -> Script {
        let order = self.last_order.clone().expect("an order before");
        let placed = self.now;
        let shipped = placed + TimeDelta::hours(20);
        let delivered = placed + TimeDelta::days(days.max(1)) + TimeDelta::hours(3);
        for (at, kind) in [(shipped, K::Shipment), (delivered, K::Delivered)] {
            self.out.push(
                Touchpoint::new(self.customer, at, kind)
                    .with_channel(BuiltinChannel::Direct)
                    .with_device(self.device)
                    .with_order(&*order),
            );
        }
        self.last_delivery = Some(delivered);
        self
    }

    /// Wrote a review or a comment on a product page.
    #[must_use]
    pub fn review(self, product: &str) -> Script {
        self.with(K::ReviewWritten, Self::product(product, false))
    }

    /// Shared a product with friends.
    #[must_use]
    pub fn share(self, product: &str) -> Script {
        self.with(K::Share, Self::product(product, false))
    }

    /// Sent a referral to a friend.
    #[must_use]
    pub fn referral(self) -> Script {
        self.event(K::ReferralSent)
    }

    /// Answered a satisfaction survey.
    #[must_use]
    pub fn survey(self) -> Script {
        self.event(K::SurveyAnswered)
    }

    /// The touchpoints written so far.
    #[must_use]
    pub fn touchpoints(&self) -> &[Touchpoint] {
        &self.out
    }

    /// The touchpoints.
    #[must_use]
    pub fn build(self) -> Vec<Touchpoint> {
        self.out
    }
}
