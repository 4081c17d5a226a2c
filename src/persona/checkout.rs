//! The checkout profile: how a customer checks out and pays, whether
//! reminders preceded orders, and how easily upselling works on them.
//!
//! It follows the checkout models of the source material ("Model Check Out
//! Konsumen Toko Online"): straight to checkout without registering
//! (*langsung check out tanpa register*) or registering first (*register dulu
//! tidak masalah*); paying by card (*kartu kredit*), by automatic transfer
//! (*transfer otomatis*, virtual accounts) or by hand (*serba manual*: bank
//! transfer, cash on delivery); a system reminder by SMS and email is enough
//! (*cukup diingatkan sistem SMS dan email*) or a reminder through customer
//! service is needed (*perlu diingatkan via customer service*); easily won by
//! upselling (*mudah termakan upselling*).

use serde::{Deserialize, Serialize};

use crate::model::names::named_enum;
use crate::model::{BuiltinChannel, Channel, CheckoutType, PaymentMethod};

named_enum! {
    /// A channel through which the shop reminds a customer.
    pub enum ReminderChannel: "reminder channel" {
        /// SMS.
        Sms = "sms",
        /// WhatsApp and other chat apps.
        Whatsapp = "whatsapp",
        /// Email.
        Email = "email",
        /// Push notifications.
        Push = "push",
        /// A customer-service agent.
        CustomerService = "customer_service",
    }
}

impl ReminderChannel {
    /// The reminder channel of a touchpoint channel, if it is one.
    #[inline]
    #[must_use]
    pub fn of(channel: &Channel) -> Option<ReminderChannel> {
        match channel.builtin()? {
            BuiltinChannel::Sms => Some(ReminderChannel::Sms),
            BuiltinChannel::WhatsappChat => Some(ReminderChannel::Whatsapp),
            BuiltinChannel::Email => Some(ReminderChannel::Email),
            BuiltinChannel::Push => Some(ReminderChannel::Push),
            BuiltinChannel::CustomerService => Some(ReminderChannel::CustomerService),
            _ => None,
        }
    }
}

named_enum! {
    /// What it takes to turn this customer's intent into orders.
    pub enum ReminderNeed: "reminder need" {
        /// Orders came without a reminder before them.
        None = "none",
        /// System reminders (SMS, WhatsApp, email, push) preceded at least
        /// half of the orders: "cukup diingatkan sistem SMS dan email".
        System = "system",
        /// A customer-service contact preceded an order: "perlu diingatkan
        /// via customer service".
        CustomerService = "customer_service",
    }
}

named_enum! {
    /// How a customer likes to pay, in the source's three styles.
    pub enum PaymentStyle: "payment style" {
        /// By card ("suka bayar pakai kartu kredit").
        Card = "card",
        /// By automatic transfer: virtual accounts and e-wallets ("suka bayar
        /// via transfer otomatis").
        Automatic = "automatic",
        /// By hand: manual bank transfer or cash on delivery ("suka yang serba
        /// manual").
        Manual = "manual",
    }
}

impl PaymentStyle {
    /// The style of a payment method.
    #[must_use]
    pub const fn of(method: PaymentMethod) -> PaymentStyle {
        match method {
            PaymentMethod::Card => PaymentStyle::Card,
            PaymentMethod::VirtualAccount | PaymentMethod::EWallet => PaymentStyle::Automatic,
            PaymentMethod::BankTransfer | PaymentMethod::CashOnDelivery => PaymentStyle::Manual,
        }
    }
}

/// How a customer checks out, pays and is reminded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckoutProfile {
    /// Guest or registered: the type of most orders (ties: the latest order's).
    /// An order without a type counts as registered when the customer logged
    /// in or registered before it; otherwise it is unknown. `None` when no
    /// order has a known type.
    pub checkout: Option<CheckoutType>,
    /// Orders checked out as a guest.
    pub guest_orders: u32,
    /// Orders checked out with an account.
    pub registered_orders: u32,
    /// The most used payment method (ties: the latest order's); `None` when
    /// no order says how it was paid. An order's method is its own, else that
    /// of the last payment-info touchpoint before it in its session.
    pub preferred_payment: Option<PaymentMethod>,
    /// The style of the preferred payment method.
    pub payment_style: Option<PaymentStyle>,
    /// Orders per payment method, in [`PaymentMethod::ALL`] order.
    pub payment_orders: [u32; 5],
    /// Orders preceded by at least one reminder (a touchpoint on SMS,
    /// WhatsApp, email, push or customer service, other than the customer's
    /// own support contact, within the reminder window and after the previous
    /// order).
    pub reminded_orders: u32,
    /// Orders preceded by a reminder on each channel, in
    /// [`ReminderChannel::ALL`] order.
    pub reminders_by_channel: [u32; 5],
    /// What reminding the customer needs; `None` without orders.
    pub reminder_need: Option<ReminderNeed>,
    /// Share of orders in which the basket grew with an unplanned or
    /// discounted extra item or an item added after checkout began, in [0, 1].
    pub upsell_susceptibility: f64,
}

impl CheckoutProfile {
    pub(crate) fn finish(&mut self, orders: u32, upsell_orders: u32, cs_reminded: bool) {
        self.checkout = match self.guest_orders.cmp(&self.registered_orders) {
            std::cmp::Ordering::Greater => Some(CheckoutType::Guest),
            std::cmp::Ordering::Less => Some(CheckoutType::Registered),
            std::cmp::Ordering::Equal => self.checkout.filter(|_| self.guest_orders > 0),
        };
        let best = self.payment_orders.iter().copied().max().unwrap_or(0);
        if best > 0 {
            let winners = self.payment_orders.iter().filter(|&&n| n == best).count();
            if winners == 1 || self.preferred_payment.is_none() {
                self.preferred_payment = PaymentMethod::ALL
                    .iter()
                    .zip(self.payment_orders)
                    .find(|(_, n)| *n == best)
                    .map(|(m, _)| *m);
            } else if let Some(last) = self.preferred_payment {
                // Ties go to the latest order's method when it is among them.
                let last_count = self.payment_orders.get(last.index()).copied().unwrap_or(0);
                if last_count != best {
                    self.preferred_payment = PaymentMethod::ALL
                        .iter()
                        .zip(self.payment_orders)
                        .find(|(_, n)| *n == best)
                        .map(|(m, _)| *m);
                }
            }
        } else {
            self.preferred_payment = None;
        }
        self.payment_style = self.preferred_payment.map(PaymentStyle::of);
        self.reminder_need = (orders > 0).then(|| {
            if cs_reminded {
                ReminderNeed::CustomerService
            } else if self.reminded_orders.saturating_mul(2) >= orders && self.reminded_orders > 0 {
                ReminderNeed::System
            } else {
                ReminderNeed::None
            }
        });
        self.upsell_susceptibility = if orders == 0 {
            0.0
        } else {
            (f64::from(upsell_orders) / f64::from(orders)).clamp(0.0, 1.0)
        };
    }
}

impl std::fmt::Display for CheckoutProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let opt = |o: Option<&str>| o.unwrap_or("unknown").to_owned();
        write!(
            f,
            "checkout {}, pays by {} ({}), reminders: {}, upsell susceptibility {:.2}",
            opt(self.checkout.map(CheckoutType::as_str)),
            opt(self.preferred_payment.map(PaymentMethod::as_str)),
            opt(self.payment_style.map(PaymentStyle::as_str)),
            opt(self.reminder_need.map(ReminderNeed::as_str)),
            self.upsell_susceptibility
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_picks_majorities_and_ties() {
        let mut c = CheckoutProfile {
            guest_orders: 1,
            registered_orders: 1,
            checkout: Some(CheckoutType::Guest),
            payment_orders: [1, 0, 0, 1, 0],
            preferred_payment: Some(PaymentMethod::EWallet),
            reminded_orders: 1,
            ..CheckoutProfile::default()
        };
        c.finish(2, 1, false);
        assert_eq!(c.checkout, Some(CheckoutType::Guest));
        assert_eq!(c.preferred_payment, Some(PaymentMethod::EWallet));
        assert_eq!(c.payment_style, Some(PaymentStyle::Automatic));
        assert_eq!(c.reminder_need, Some(ReminderNeed::System));
        assert_eq!(c.upsell_susceptibility, 0.5);
        let mut none = CheckoutProfile::default();
        none.finish(0, 0, false);
        assert_eq!(none.reminder_need, None);
        assert_eq!(none.preferred_payment, None);
        assert_eq!(
            ReminderChannel::of(&Channel::from(BuiltinChannel::Sms)),
            Some(ReminderChannel::Sms)
        );
        assert_eq!(ReminderChannel::of(&Channel::DIRECT), None);
        assert!(!none.to_string().is_empty());
    }
}
