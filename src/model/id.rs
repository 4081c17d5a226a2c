//! Opaque identifiers. The crate never needs personal data: callers map their
//! own keys to these.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// An opaque customer identifier.
///
/// It is a 64-bit number so that grouping millions of touchpoints by customer
/// is a cheap integer sort. Logs read with string keys number them
/// canonically ([`EventLogBuilder::customer_for_key`](crate::log::EventLogBuilder::customer_for_key))
/// and give them back ([`EventLog::customer_key`](crate::log::EventLog::customer_key)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerId(pub u64);

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<u64> for CustomerId {
    fn from(v: u64) -> Self {
        CustomerId(v)
    }
}

macro_rules! label_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Wraps a key. Clones share the text.
            #[must_use]
            pub fn new(key: &str) -> Self {
                $name(Arc::from(key))
            }

            /// The key.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(key: &str) -> Self {
                $name::new(key)
            }
        }
    };
}

label_id! {
    /// An opaque order identifier.
    OrderId
}
label_id! {
    /// An opaque product (SKU) identifier.
    ProductId
}
label_id! {
    /// An opaque product-category identifier.
    CategoryId
}
label_id! {
    /// A marketing campaign, such as `"11.11"` or `"harbolnas_2024"`.
    CampaignId
}
label_id! {
    /// The name of the source event a touchpoint was converted from, such as
    /// GA4's `"view_item"` or Segment's `"Product Viewed"`. Kept so that
    /// analyses can tell apart source names that map to one kind.
    EventName
}
