//! The actions a shop can take, the channels it takes them on, and the
//! actions a user defines.

use serde::{Deserialize, Serialize};

use crate::model::names::named_enum;

named_enum! {
    /// The built-in actions, each with a plain description in English
    /// ([`description`](BuiltinAction::description)) and Indonesian
    /// ([`description_id`](BuiltinAction::description_id)).
    ///
    /// ```
    /// use cxjourney::action::BuiltinAction;
    /// assert_eq!("cart_reminder".parse::<BuiltinAction>()?, BuiltinAction::CartReminder);
    /// assert!(BuiltinAction::VoucherOrDiscount.is_discount());
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    pub enum BuiltinAction: "action" {
        /// Show comparison content and reviews.
        ComparisonAndReviews = "comparison_and_reviews",
        /// First-impression landing content.
        FirstImpressionContent = "first_impression_content",
        /// One-click or guest checkout.
        OneClickCheckout = "one_click_checkout",
        /// A reminder of the cart left behind (SMS, WhatsApp or email).
        CartReminder = "cart_reminder",
        /// A follow-up by customer service.
        CustomerServiceFollowUp = "customer_service_follow_up",
        /// A voucher or discount.
        VoucherOrDiscount = "voucher_or_discount",
        /// A bundle of products at one price.
        Bundle = "bundle",
        /// An upsell or cross-sell.
        UpsellCrossSell = "upsell_cross_sell",
        /// A loyalty reward.
        LoyaltyReward = "loyalty_reward",
        /// Ask for a review.
        AskForReview = "ask_for_review",
        /// Ask for a referral.
        AskForReferral = "ask_for_referral",
        /// Proactive support: reach out before the customer has to.
        ProactiveSupport = "proactive_support",
        /// Fix the delivery promise before spending on marketing.
        FixDeliveryPromise = "fix_delivery_promise",
        /// A prepaid incentive for a cash-on-delivery order at high
        /// return-to-origin risk.
        PrepaidIncentive = "prepaid_incentive",
        /// A win-back offer for a customer who stopped buying.
        WinBackOffer = "win_back_offer",
    }
}

impl BuiltinAction {
    /// Whether the action gives money away (a voucher, a win-back offer, a
    /// prepaid incentive), which the discount guardrail holds back from
    /// customers whose orders are mostly discounted.
    #[must_use]
    pub const fn is_discount(self) -> bool {
        matches!(
            self,
            BuiltinAction::VoucherOrDiscount
                | BuiltinAction::WinBackOffer
                | BuiltinAction::PrepaidIncentive
        )
    }

    /// A plain description in English.
    #[must_use]
    pub const fn description(self) -> &'static str {
        use BuiltinAction as A;
        match self {
            A::ComparisonAndReviews => {
                "Show comparison content and reviews of the products the customer looked at."
            }
            A::FirstImpressionContent => {
                "Show first-impression landing content: what the shop is, why buy here."
            }
            A::OneClickCheckout => {
                "Offer one-click or guest checkout: no registration, saved details."
            }
            A::CartReminder => "Remind the customer of the cart left behind.",
            A::CustomerServiceFollowUp => "Have customer service follow up personally.",
            A::VoucherOrDiscount => "Send a voucher or discount.",
            A::Bundle => "Offer a bundle of products at one price.",
            A::UpsellCrossSell => "Suggest a bigger size or a matching product.",
            A::LoyaltyReward => "Give a loyalty reward (points, free shipping, early access).",
            A::AskForReview => "Ask for a review of the order.",
            A::AskForReferral => "Ask the customer to refer friends.",
            A::ProactiveSupport => {
                "Reach out before the customer has to: order status, reassurance, help."
            }
            A::FixDeliveryPromise => {
                "Fix the delivery promise (carrier, estimate, first-attempt delivery) before spending on marketing."
            }
            A::PrepaidIncentive => {
                "Offer an incentive to pay upfront instead of cash on delivery (return-to-origin risk is high)."
            }
            A::WinBackOffer => "Send a win-back offer to a customer who stopped buying.",
        }
    }

    /// The description in Indonesian, in the wording of the source material
    /// where it has one ("pengalaman pra-pembelian", "COD", "RTO").
    #[must_use]
    pub const fn description_id(self) -> &'static str {
        use BuiltinAction as A;
        match self {
            A::ComparisonAndReviews => {
                "Tampilkan pembanding harga dan ulasan produk yang sedang dilihat."
            }
            A::FirstImpressionContent => {
                "Tampilkan konten kesan pertama: siapa toko ini dan kenapa belanja di sini."
            }
            A::OneClickCheckout => {
                "Tawarkan check out sekali klik atau tanpa register (langsung check out)."
            }
            A::CartReminder => "Ingatkan keranjang yang ditinggalkan (SMS, WhatsApp atau email).",
            A::CustomerServiceFollowUp => "Customer service menindaklanjuti secara pribadi.",
            A::VoucherOrDiscount => "Kirim voucher atau diskon.",
            A::Bundle => "Tawarkan promosi paket: beberapa produk dengan satu harga.",
            A::UpsellCrossSell => "Tawarkan ukuran lebih besar atau produk pelengkap.",
            A::LoyaltyReward => "Beri hadiah pelanggan setia (poin, gratis ongkir, akses awal).",
            A::AskForReview => "Minta ulasan atas pesanan.",
            A::AskForReferral => "Minta pelanggan merekomendasikan toko ke temannya.",
            A::ProactiveSupport => {
                "Hubungi pelanggan lebih dulu: status pesanan, jaminan, bantuan."
            }
            A::FixDeliveryPromise => {
                "Perbaiki janji pengiriman (kurir, estimasi, terkirim pada percobaan pertama) sebelum belanja pemasaran."
            }
            A::PrepaidIncentive => {
                "Beri insentif bayar di muka untuk pesanan COD dengan risiko RTO tinggi."
            }
            A::WinBackOffer => "Kirim penawaran agar pelanggan yang berhenti belanja kembali lagi.",
        }
    }
}

named_enum! {
    /// The channel an action goes out on.
    pub enum ActionChannel: "action channel" {
        /// On the shop's own site or app, while the customer is there.
        Onsite = "onsite",
        /// SMS.
        Sms = "sms",
        /// WhatsApp.
        Whatsapp = "whatsapp",
        /// Email.
        Email = "email",
        /// A push notification.
        Push = "push",
        /// A customer-service agent (a call or a chat).
        CustomerService = "customer_service",
        /// The shop's own operations (logistics, catalogue): no message to
        /// the customer.
        Operations = "operations",
    }
}

named_enum! {
    /// The channel a rule asks for: a fixed one, or the reminder channel
    /// that worked for this customer before.
    pub enum ChannelChoice: "channel choice" {
        /// [`ActionChannel::Onsite`].
        Onsite = "onsite",
        /// [`ActionChannel::Sms`].
        Sms = "sms",
        /// [`ActionChannel::Whatsapp`].
        Whatsapp = "whatsapp",
        /// [`ActionChannel::Email`].
        Email = "email",
        /// [`ActionChannel::Push`].
        Push = "push",
        /// [`ActionChannel::CustomerService`].
        CustomerService = "customer_service",
        /// [`ActionChannel::Operations`].
        Operations = "operations",
        /// The reminder channel that preceded most of this customer's orders
        /// ([`CheckoutProfile::reminders_by_channel`](crate::persona::CheckoutProfile::reminders_by_channel);
        /// customer service when the customer only buys after a call), else email.
        PreferredReminder = "preferred_reminder",
    }
}

/// An action the user defines, next to the built-in ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomAction {
    /// The name rules use (snake_case, not a built-in name).
    pub name: String,
    /// A plain description.
    pub description: String,
    /// Whether the action gives money away (held back by the discount
    /// guardrail unless a rule allows it).
    #[serde(default)]
    pub discount: bool,
}
