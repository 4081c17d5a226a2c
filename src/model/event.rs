//! Standard event names (GA4 recommended events, Segment e-commerce spec v2,
//! the crate's own kind names) and their conversion to touchpoint kinds.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::hash::SeededIndexMap;
use crate::model::{BuiltinKind, EventName, TouchpointKind};

use BuiltinKind as K;

/// GA4 recommended e-commerce events (and the general ones shops send), as
/// documented by Google Analytics 4. Each name maps to a different kind.
const GA4: &[(&str, BuiltinKind)] = &[
    ("view_promotion", K::PromotionView),
    ("select_promotion", K::PromotionClick),
    ("search", K::SiteSearch),
    ("view_item_list", K::ProductListView),
    ("select_item", K::ProductClick),
    ("view_item", K::ProductView),
    ("add_to_wishlist", K::WishlistAdd),
    ("login", K::Login),
    ("add_to_cart", K::AddToCart),
    ("remove_from_cart", K::RemoveFromCart),
    ("view_cart", K::CartView),
    ("begin_checkout", K::CheckoutStart),
    ("sign_up", K::Registration),
    ("add_shipping_info", K::ShippingInfo),
    ("add_payment_info", K::PaymentInfo),
    ("purchase", K::OrderCompleted),
    ("refund", K::Refund),
    ("share", K::Share),
];

/// Segment e-commerce spec v2 events. Each name maps to a different kind.
const SEGMENT: &[(&str, BuiltinKind)] = &[
    ("Promotion Viewed", K::PromotionView),
    ("Promotion Clicked", K::PromotionClick),
    ("Products Searched", K::SiteSearch),
    ("Product List Viewed", K::ProductListView),
    ("Product List Filtered", K::ProductListFilter),
    ("Product Clicked", K::ProductClick),
    ("Product Viewed", K::ProductView),
    ("Product Added to Wishlist", K::WishlistAdd),
    ("Product Removed from Wishlist", K::WishlistRemove),
    ("Product Added", K::AddToCart),
    ("Wishlist Product Added to Cart", K::WishlistAddToCart),
    ("Product Removed", K::RemoveFromCart),
    ("Cart Viewed", K::CartView),
    ("Checkout Started", K::CheckoutStart),
    ("Checkout Step Viewed", K::CheckoutStepView),
    ("Checkout Step Completed", K::CheckoutStepComplete),
    ("Payment Info Entered", K::PaymentInfo),
    ("Coupon Entered", K::CouponEntered),
    ("Coupon Applied", K::CouponApplied),
    ("Coupon Denied", K::CouponDenied),
    ("Coupon Removed", K::CouponRemoved),
    ("Order Completed", K::OrderCompleted),
    ("Order Updated", K::OrderUpdated),
    ("Order Cancelled", K::OrderCancelled),
    ("Order Refunded", K::Refund),
    ("Product Shared", K::Share),
    ("Cart Shared", K::CartShare),
    ("Product Reviewed", K::ReviewWritten),
];

/// What an [`EventMap`] does with a name it does not know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownEvent {
    /// Refuse it with [`Error::UnknownEventName`].
    #[default]
    Error,
    /// Make it a custom kind that keeps the name
    /// ([`TouchpointKind::Custom`]).
    Custom,
}

/// A table from source event names to touchpoint kinds.
///
/// The built-in tables are injective: within [`EventMap::ga4`], within
/// [`EventMap::segment`] and within [`EventMap::kinds`], two different names
/// never map to one kind. [`EventMap::insert`] keeps that promise and refuses a
/// second name for a kind; collapsing names is only done when asked, with
/// [`EventMap::alias`] or by combining tables with [`EventMap::merge`] (as
/// [`EventMap::standard`] does). Whatever the table, the converted touchpoint
/// keeps its source name ([`Touchpoint::event`](crate::Touchpoint::event)),
/// so analyses can still tell `purchase` from `Order Completed`.
///
/// ```
/// use cxjourney::{BuiltinKind, EventMap, TouchpointKind};
/// let ga4 = EventMap::ga4();
/// let (kind, name) = ga4.convert("view_item")?;
/// assert_eq!(kind, TouchpointKind::Builtin(BuiltinKind::ProductView));
/// assert_eq!(name.as_str(), "view_item");
/// assert!(ga4.convert("view_itme").is_err());
///
/// let lenient = EventMap::ga4().fallback_to_custom();
/// let (kind, _) = lenient.convert("live_stream_watched")?;
/// assert_eq!(kind.as_str(), "live_stream_watched");
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMap {
    name: String,
    /// Event names come from input: a seeded table (`crate::hash`).
    entries: SeededIndexMap<Box<str>, (TouchpointKind, EventName)>,
    unknown: UnknownEvent,
}

impl EventMap {
    /// An empty table; `name` appears in error messages.
    #[must_use]
    pub fn empty(name: &str) -> Self {
        EventMap {
            name: name.to_owned(),
            entries: SeededIndexMap::default(),
            unknown: UnknownEvent::Error,
        }
    }

    fn from_table(name: &str, table: &[(&str, BuiltinKind)]) -> Self {
        let mut map = EventMap::empty(name);
        for &(n, k) in table {
            map.put(n, k.into());
        }
        map
    }

    fn put(&mut self, name: &str, kind: TouchpointKind) {
        self.entries
            .insert(name.into(), (kind, EventName::new(name)));
    }

    /// GA4 recommended retail events: `view_promotion`, `select_promotion`,
    /// `search`, `view_item_list`, `select_item`, `view_item`,
    /// `add_to_wishlist`, `login`, `add_to_cart`, `remove_from_cart`,
    /// `view_cart`, `begin_checkout`, `sign_up`, `add_shipping_info`,
    /// `add_payment_info`, `purchase`, `refund`, `share`.
    #[must_use]
    pub fn ga4() -> Self {
        Self::from_table("ga4", GA4)
    }

    /// Segment e-commerce spec v2 events, such as `Products Searched`,
    /// `Product Viewed`, `Product Added`, `Checkout Started`,
    /// `Order Completed`, `Order Refunded`, `Order Cancelled`,
    /// `Product Reviewed` (28 names; see the source for the full list).
    #[must_use]
    pub fn segment() -> Self {
        Self::from_table("segment", SEGMENT)
    }

    /// The crate's own kind names in snake_case (`product_view`,
    /// `order_completed`, ...), one per [`BuiltinKind`].
    #[must_use]
    pub fn kinds() -> Self {
        let mut map = EventMap::empty("cxjourney");
        for &k in BuiltinKind::ALL {
            map.put(k.as_str(), k.into());
        }
        map
    }

    /// GA4, Segment and the crate's own names together. Names of different
    /// vocabularies that mean the same thing (GA4 `purchase`, Segment
    /// `Order Completed`, `order_completed`) map to one kind: choosing this
    /// table is asking for that. The names themselves are all distinct.
    #[must_use]
    pub fn standard() -> Self {
        let mut map = EventMap::kinds();
        map.merge(EventMap::ga4());
        map.merge(EventMap::segment());
        map.name = "standard".to_owned();
        map
    }

    /// Unknown names become custom kinds that keep their name, instead of
    /// errors.
    #[must_use]
    pub fn fallback_to_custom(mut self) -> Self {
        self.unknown = UnknownEvent::Custom;
        self
    }

    /// What happens to unknown names.
    #[must_use]
    pub fn unknown(&self) -> UnknownEvent {
        self.unknown
    }

    /// Adds a name for a kind that no other name of this table maps to.
    ///
    /// # Errors
    /// [`Error::InvalidCustomName`] when the name is empty or already in the
    /// table, or when another name already maps to `kind` (use
    /// [`EventMap::alias`] to collapse names on purpose).
    pub fn insert(&mut self, name: &str, kind: impl Into<TouchpointKind>) -> Result<()> {
        let kind = kind.into();
        if let Some((other, _)) = self.entries.iter().find(|(_, (k, _))| *k == kind) {
            return Err(Error::InvalidCustomName {
                what: "event name",
                value: format!("{name} (kind {kind} already has the name {other})"),
                reason: "two names would collapse into one kind; use EventMap::alias to allow it",
            });
        }
        self.alias(name, kind)
    }

    /// Adds a name for a kind, even if other names map to the same kind.
    ///
    /// # Errors
    /// [`Error::InvalidCustomName`] when the name is empty or already in the table.
    pub fn alias(&mut self, name: &str, kind: impl Into<TouchpointKind>) -> Result<()> {
        let reason = if name.is_empty() {
            Some("it is empty")
        } else if self.entries.contains_key(name) {
            Some("it is already in the table")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(Error::InvalidCustomName {
                what: "event name",
                value: name.to_owned(),
                reason,
            });
        }
        self.put(name, kind.into());
        Ok(())
    }

    /// Adds every name of `other` that this table lacks (names already here
    /// keep their kind). Names of both tables that mean one kind collapse.
    pub fn merge(&mut self, other: EventMap) {
        for (name, entry) in other.entries {
            self.entries.entry(name).or_insert(entry);
        }
    }

    /// The kind and source name of `name`.
    ///
    /// # Errors
    /// [`Error::UnknownEventName`] when the name is not in the table and the
    /// table has no fallback; [`Error::InvalidCustomName`] when the fallback
    /// cannot use the name (it is empty or longer than 64 bytes).
    pub fn convert(&self, name: &str) -> Result<(TouchpointKind, EventName)> {
        if let Some((kind, event)) = self.entries.get(name) {
            return Ok((kind.clone(), event.clone()));
        }
        match self.unknown {
            UnknownEvent::Error => Err(Error::UnknownEventName {
                name: name.to_owned(),
                table: self.name.clone(),
            }),
            UnknownEvent::Custom => Ok((TouchpointKind::custom(name)?, EventName::new(name))),
        }
    }

    /// The names in the table with their kinds, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &TouchpointKind)> {
        self.entries.iter().map(|(n, (k, _))| (&**n, k))
    }

    /// The number of names.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn builtin_tables_are_injective() {
        for map in [EventMap::ga4(), EventMap::segment(), EventMap::kinds()] {
            let kinds: BTreeSet<_> = map.iter().map(|(_, k)| k.clone()).collect();
            assert_eq!(kinds.len(), map.len(), "{}", map.name);
        }
        assert_eq!(EventMap::ga4().len(), GA4.len());
        assert_eq!(EventMap::segment().len(), SEGMENT.len());
        // GA4 spells five names as the crate does (add_to_cart, remove_from_cart,
        // login, refund, share), and they mean the same kind.
        let names: BTreeSet<&str> = GA4
            .iter()
            .chain(SEGMENT)
            .map(|(n, _)| *n)
            .chain(BuiltinKind::ALL.iter().map(|k| k.as_str()))
            .collect();
        assert_eq!(EventMap::standard().len(), names.len());
        for (name, kind) in EventMap::standard().iter() {
            for table in [EventMap::ga4(), EventMap::segment(), EventMap::kinds()] {
                if let Some((_, k)) = table.iter().find(|(n, _)| *n == name) {
                    assert_eq!(k, kind, "{name}");
                }
            }
        }
    }

    #[test]
    fn the_standard_table_keeps_source_names() {
        let std = EventMap::standard();
        let (a, na) = std.convert("purchase").unwrap();
        let (b, nb) = std.convert("Order Completed").unwrap();
        assert_eq!(a, b);
        assert_ne!(na, nb);
        let (c, _) = std.convert("order_completed").unwrap();
        assert_eq!(a, c);
    }

    #[test]
    fn unknown_names_error_or_fall_back() {
        let e = EventMap::segment().convert("Product Viewd").unwrap_err();
        assert_eq!(
            e,
            Error::UnknownEventName {
                name: "Product Viewd".into(),
                table: "segment".into()
            }
        );
        let map = EventMap::segment().fallback_to_custom();
        assert_eq!(
            map.convert("x").unwrap().0,
            TouchpointKind::custom("x").unwrap()
        );
        assert!(map.convert("").is_err());
    }

    #[test]
    fn insert_refuses_collapse_alias_allows_it() {
        let mut map = EventMap::ga4();
        assert!(map.insert("checkout", BuiltinKind::CheckoutStart).is_err());
        assert!(map.insert("view_item", BuiltinKind::Comparison).is_err());
        map.alias("checkout", BuiltinKind::CheckoutStart).unwrap();
        map.insert("compare", BuiltinKind::Comparison).unwrap();
        assert_eq!(
            map.convert("compare").unwrap().0,
            BuiltinKind::Comparison.into()
        );
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(serde_json::from_str::<EventMap>(&json).unwrap(), map);
    }
}
