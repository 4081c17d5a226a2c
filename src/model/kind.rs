//! What happened at a touchpoint: the built-in touchpoint kinds with their
//! default stage and phase, and user-defined kinds.

use crate::model::names::{CustomName, builtin_or_custom, named_enum};
use crate::model::{Phase, Stage};

named_enum! {
    /// The built-in touchpoint kinds, in the order a journey usually meets them.
    ///
    /// The order matters in one place: touchpoints of one customer with the
    /// same timestamp are kept in this order (a product view before the
    /// add-to-cart in the same second), as funnel tools order ties by step.
    /// Every kind has a default [`Stage`] and, except the advocacy kinds, a
    /// default [`Phase`]: see [`BuiltinKind::default_stage`].
    #[non_exhaustive]
    pub enum BuiltinKind: "touchpoint kind" {
        /// An ad was shown.
        AdImpression = "ad_impression",
        /// An ad was clicked.
        AdClick = "ad_click",
        /// A visit arriving from a search engine.
        SearchVisit = "search_visit",
        /// A promotion or banner was shown.
        PromotionView = "promotion_view",
        /// A promotion or banner was clicked.
        PromotionClick = "promotion_click",
        /// A search inside the shop.
        SiteSearch = "site_search",
        /// A product list or category page was viewed.
        ProductListView = "product_list_view",
        /// A product list was filtered or sorted.
        ProductListFilter = "product_list_filter",
        /// A product was clicked in a list.
        ProductClick = "product_click",
        /// A product detail page was viewed.
        ProductView = "product_view",
        /// Products were compared side by side.
        Comparison = "comparison",
        /// Reviews were read.
        ReviewRead = "review_read",
        /// A product was added to the wishlist.
        WishlistAdd = "wishlist_add",
        /// A product was removed from the wishlist.
        WishlistRemove = "wishlist_remove",
        /// The customer logged in.
        Login = "login",
        /// A product was added to the cart.
        AddToCart = "add_to_cart",
        /// A wishlist product was moved to the cart.
        WishlistAddToCart = "wishlist_add_to_cart",
        /// A product was removed from the cart.
        RemoveFromCart = "remove_from_cart",
        /// The cart was viewed.
        CartView = "cart_view",
        /// Checkout began.
        CheckoutStart = "checkout_start",
        /// A checkout step was viewed.
        CheckoutStepView = "checkout_step_view",
        /// A checkout step was completed.
        CheckoutStepComplete = "checkout_step_complete",
        /// The customer registered an account.
        Registration = "registration",
        /// Shipping details were entered.
        ShippingInfo = "shipping_info",
        /// Payment details were entered.
        PaymentInfo = "payment_info",
        /// A coupon code was entered.
        CouponEntered = "coupon_entered",
        /// A coupon was applied.
        CouponApplied = "coupon_applied",
        /// A coupon was refused.
        CouponDenied = "coupon_denied",
        /// A coupon was removed.
        CouponRemoved = "coupon_removed",
        /// An order was placed (paid, or confirmed for cash on delivery).
        OrderCompleted = "order_completed",
        /// An order was changed after it was placed.
        OrderUpdated = "order_updated",
        /// An order was cancelled before delivery.
        OrderCancelled = "order_cancelled",
        /// The order left the warehouse.
        Shipment = "shipment",
        /// A courier tried to deliver.
        DeliveryAttempt = "delivery_attempt",
        /// The order was delivered.
        Delivered = "delivered",
        /// The customer asked to return an item.
        ReturnRequested = "return_requested",
        /// An item came back (a customer return or a return to origin).
        Returned = "returned",
        /// Money was refunded.
        Refund = "refund",
        /// The customer contacted customer service.
        SupportContact = "support_contact",
        /// Customer service answered.
        SupportResponse = "support_response",
        /// The customer answered a survey (NPS, CSAT, CES, CX pyramid).
        SurveyAnswered = "survey_answered",
        /// The customer shared a product.
        Share = "share",
        /// The customer shared a cart.
        CartShare = "cart_share",
        /// The customer wrote a review.
        ReviewWritten = "review_written",
        /// The customer referred someone.
        ReferralSent = "referral_sent",
    }
}

impl BuiltinKind {
    /// The stage a touchpoint of this kind belongs to when nothing else is known.
    ///
    /// Ads, search visits and promotions are awareness; browsing, search,
    /// comparison, reviews, wishlists and login are consideration; cart,
    /// checkout, registration, payment, coupons and orders are decision;
    /// delivery, returns, refunds and support are retention; survey answers,
    /// shares, reviews written and referrals are advocacy.
    #[must_use]
    pub const fn default_stage(self) -> Stage {
        use BuiltinKind as K;
        match self {
            K::AdImpression
            | K::AdClick
            | K::SearchVisit
            | K::PromotionView
            | K::PromotionClick => Stage::Awareness,
            K::SiteSearch
            | K::ProductListView
            | K::ProductListFilter
            | K::ProductClick
            | K::ProductView
            | K::Comparison
            | K::ReviewRead
            | K::WishlistAdd
            | K::WishlistRemove
            | K::Login => Stage::Consideration,
            K::AddToCart
            | K::WishlistAddToCart
            | K::RemoveFromCart
            | K::CartView
            | K::CheckoutStart
            | K::CheckoutStepView
            | K::CheckoutStepComplete
            | K::Registration
            | K::ShippingInfo
            | K::PaymentInfo
            | K::CouponEntered
            | K::CouponApplied
            | K::CouponDenied
            | K::CouponRemoved
            | K::OrderCompleted
            | K::OrderUpdated
            | K::OrderCancelled => Stage::Decision,
            K::Shipment
            | K::DeliveryAttempt
            | K::Delivered
            | K::ReturnRequested
            | K::Returned
            | K::Refund
            | K::SupportContact
            | K::SupportResponse => Stage::Retention,
            K::SurveyAnswered | K::Share | K::CartShare | K::ReviewWritten | K::ReferralSent => {
                Stage::Advocacy
            }
        }
    }

    /// The operational phase of this kind; `None` for the advocacy kinds,
    /// which come after the six phases.
    ///
    /// Support contacts default to shipping and delivery: "where is my order?"
    /// is the most common reason to contact an online shop (a judgment call;
    /// override the stage on the touchpoint when you know better).
    #[must_use]
    pub const fn default_phase(self) -> Option<Phase> {
        use BuiltinKind as K;
        match self {
            K::Returned | K::ReturnRequested => Some(Phase::Returns),
            K::Refund => Some(Phase::Refunds),
            K::Shipment
            | K::DeliveryAttempt
            | K::Delivered
            | K::SupportContact
            | K::SupportResponse => Some(Phase::ShippingAndDelivery),
            _ => match self.default_stage() {
                Stage::Awareness => Some(Phase::ResearchAndPlanning),
                Stage::Consideration => Some(Phase::ProductDiscovery),
                Stage::Decision => Some(Phase::Ordering),
                Stage::Retention => Some(Phase::ShippingAndDelivery),
                Stage::Advocacy => None,
            },
        }
    }
}

/// What happened at a touchpoint: a built-in kind or one of the caller's own.
///
/// Strings are the snake_case name of a built-in kind, or the custom name.
/// Custom kinds have no default stage; give the touchpoint a stage with
/// [`Touchpoint::with_stage`](crate::Touchpoint::with_stage) when it should
/// move the customer along the journey.
///
/// ```
/// use cxjourney::{BuiltinKind, Stage, TouchpointKind};
/// let k: TouchpointKind = "add_to_cart".parse()?;
/// assert_eq!(k, TouchpointKind::Builtin(BuiltinKind::AddToCart));
/// assert_eq!(k.default_stage(), Some(Stage::Decision));
/// let live = TouchpointKind::custom("live_stream_watched")?;
/// assert_eq!(live.default_stage(), None);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TouchpointKind {
    /// A built-in kind.
    Builtin(BuiltinKind),
    /// A kind of the caller's own, which keeps its name.
    Custom(CustomName),
}

builtin_or_custom!(TouchpointKind, BuiltinKind, "touchpoint kind");

impl TouchpointKind {
    /// Whether this is the given built-in kind.
    #[must_use]
    pub fn is(&self, kind: BuiltinKind) -> bool {
        self.builtin() == Some(kind)
    }

    /// The default stage; `None` for custom kinds.
    #[must_use]
    pub fn default_stage(&self) -> Option<Stage> {
        self.builtin().map(BuiltinKind::default_stage)
    }

    /// The default phase; `None` for custom kinds and the advocacy kinds.
    #[must_use]
    pub fn default_phase(&self) -> Option<Phase> {
        self.builtin().and_then(BuiltinKind::default_phase)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_consistent_stage_and_phase() {
        for &k in BuiltinKind::ALL {
            let stage = k.default_stage();
            match k.default_phase() {
                Some(p) => assert_eq!(p.stage(), stage, "{k}"),
                None => assert_eq!(stage, Stage::Advocacy, "{k}"),
            }
            let t = TouchpointKind::from(k);
            assert_eq!(t.to_string().parse::<TouchpointKind>(), Ok(t.clone()));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(serde_json::from_str::<TouchpointKind>(&json).unwrap(), t);
        }
    }

    #[test]
    fn custom_kinds_keep_their_name() {
        let k = TouchpointKind::custom("live_stream_watched").unwrap();
        assert_eq!(k.as_str(), "live_stream_watched");
        assert!(TouchpointKind::custom("purchase").is_ok());
        assert!(TouchpointKind::custom("order_completed").is_err());
        assert!(k > TouchpointKind::from(BuiltinKind::ReferralSent));
    }
}
