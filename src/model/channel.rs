//! Marketing and service channels that touchpoints arrive on.

use crate::model::names::{CustomName, builtin_or_custom, named_enum};

named_enum! {
    /// The built-in channels. Used through [`Channel`].
    pub enum BuiltinChannel: "channel" {
        /// Unpaid results of a search engine.
        OrganicSearch = "organic_search",
        /// Paid search ads.
        PaidSearch = "paid_search",
        /// Social media, organic or paid (Instagram, TikTok, Facebook).
        Social = "social",
        /// Display and other ads outside search and social.
        DisplayAds = "display_ads",
        /// Email.
        Email = "email",
        /// SMS.
        Sms = "sms",
        /// WhatsApp and other chat apps, including chat with the shop.
        WhatsappChat = "whatsapp_chat",
        /// Push notifications of an app or browser.
        Push = "push",
        /// A link from another site or a friend's recommendation.
        Referral = "referral",
        /// Affiliates and publishers paid by commission.
        Affiliate = "affiliate",
        /// A marketplace storefront (Shopee, Tokopedia, Lazada, ...).
        Marketplace = "marketplace",
        /// Typed address, bookmark or app opened without a tracked source.
        Direct = "direct",
        /// Customer service: call centre, help desk, chat agents.
        CustomerService = "customer_service",
        /// A physical store.
        OfflineStore = "offline_store",
    }
}

/// The channel a touchpoint arrived on: a built-in channel or one of the
/// caller's own.
///
/// Strings are snake_case for built-in channels and the custom name otherwise;
/// [`FromStr`](std::str::FromStr) maps built-in names to built-in channels and anything else
/// non-empty to a custom channel, so every channel round-trips.
///
/// ```
/// use cxjourney::{BuiltinChannel, Channel};
/// let wa: Channel = "whatsapp_chat".parse()?;
/// assert_eq!(wa, Channel::Builtin(BuiltinChannel::WhatsappChat));
/// let live = Channel::custom("live_shopping")?;
/// assert_eq!(live.to_string(), "live_shopping");
/// assert!(Channel::custom("email").is_err()); // that one is built in
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Channel {
    /// One of the built-in channels.
    Builtin(BuiltinChannel),
    /// A channel of the caller's own, such as `live_shopping`.
    Custom(CustomName),
}

impl Channel {
    /// Direct traffic: the default when a source did not say.
    pub const DIRECT: Channel = Channel::Builtin(BuiltinChannel::Direct);

    /// Whether the shop paid for this contact (paid search, display and ads,
    /// affiliate). Social counts as unpaid because the channel mixes both.
    #[must_use]
    pub fn is_paid(&self) -> bool {
        matches!(
            self.builtin(),
            Some(
                BuiltinChannel::PaidSearch | BuiltinChannel::DisplayAds | BuiltinChannel::Affiliate
            )
        )
    }

    /// Whether this is a reminder or service channel that reaches an existing
    /// customer directly (email, SMS, WhatsApp and chat, push, customer service).
    #[must_use]
    pub fn is_direct_message(&self) -> bool {
        matches!(
            self.builtin(),
            Some(
                BuiltinChannel::Email
                    | BuiltinChannel::Sms
                    | BuiltinChannel::WhatsappChat
                    | BuiltinChannel::Push
                    | BuiltinChannel::CustomerService
            )
        )
    }
}

builtin_or_custom!(Channel, BuiltinChannel, "channel");

impl Default for Channel {
    /// [`Channel::DIRECT`]: a touchpoint without a tracked source.
    fn default() -> Self {
        Channel::DIRECT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn every_channel_round_trips() {
        for &b in BuiltinChannel::ALL {
            let c = Channel::from(b);
            assert_eq!(c.to_string().parse::<Channel>(), Ok(c.clone()));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Channel>(&json).unwrap(), c);
        }
        let c = Channel::custom("live_shopping").unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"live_shopping\"");
        assert_eq!(serde_json::from_str::<Channel>(&json).unwrap(), c);
    }

    #[test]
    fn bad_custom_names_are_refused() {
        assert!(matches!(
            Channel::custom(""),
            Err(Error::InvalidCustomName { .. })
        ));
        assert!(matches!(
            Channel::custom("sms"),
            Err(Error::InvalidCustomName { .. })
        ));
        assert!(Channel::custom(&"x".repeat(65)).is_err());
        assert!(serde_json::from_str::<Channel>("\"\"").is_err());
    }
}
