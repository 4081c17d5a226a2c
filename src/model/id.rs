//! Opaque identifiers. The crate never needs personal data: callers map their
//! own keys to these.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::hash::SeededIndexMap;

/// An opaque customer identifier.
///
/// It is a 64-bit number so that grouping millions of touchpoints by customer
/// is a cheap integer sort. Services with string keys map them once with a
/// [`CustomerIds`] table, which hands out ids in first-seen order.
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

/// Maps external string keys to [`CustomerId`]s, deterministically in
/// first-seen order, and back.
///
/// ```
/// use cxjourney::CustomerIds;
/// let mut ids = CustomerIds::new();
/// let a = ids.intern("cust-0042");
/// assert_eq!(ids.intern("cust-0042"), a);
/// assert_eq!(ids.key(a), Some("cust-0042"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerIds {
    /// Keys come from input: a seeded table (`crate::hash`).
    keys: SeededIndexMap<Box<str>, ()>,
}

impl CustomerIds {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `key`, assigning the next free one on first sight.
    pub fn intern(&mut self, key: &str) -> CustomerId {
        if let Some(i) = self.keys.get_index_of(key) {
            return CustomerId(i as u64);
        }
        let (i, _) = self.keys.insert_full(key.into(), ());
        CustomerId(i as u64)
    }

    /// The id of `key` if it was seen.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<CustomerId> {
        self.keys.get_index_of(key).map(|i| CustomerId(i as u64))
    }

    /// The external key of an id handed out by this table.
    #[must_use]
    pub fn key(&self, id: CustomerId) -> Option<&str> {
        let i = usize::try_from(id.0).ok()?;
        self.keys.get_index(i).map(|(k, ())| &**k)
    }

    /// How many keys the table holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the table is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_first_seen_order() {
        let mut ids = CustomerIds::new();
        assert_eq!(ids.intern("b"), CustomerId(0));
        assert_eq!(ids.intern("a"), CustomerId(1));
        assert_eq!(ids.intern("b"), CustomerId(0));
        assert_eq!(ids.get("a"), Some(CustomerId(1)));
        assert_eq!(ids.key(CustomerId(7)), None);
        assert_eq!(ids.len(), 2);
        let json = serde_json::to_string(&ids).unwrap();
        assert_eq!(serde_json::from_str::<CustomerIds>(&json).unwrap(), ids);
    }
}
