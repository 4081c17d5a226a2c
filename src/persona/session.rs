//! Session modes after Moe (2003), "Buying, searching, or browsing:
//! differentiating between online shoppers using in-store navigational
//! clickstream", *Journal of Consumer Psychology* 13(1-2), 29-39.
//!
//! Moe found four kinds of visit in a shop's clickstream. The crate assigns
//! them from the touchpoints of one session, first rule that applies:
//!
//! 1. no browsing or buying touchpoint (only deliveries, messages, surveys):
//!    no mode;
//! 2. **directed buying**: the session adds to the cart, checks out or orders
//!    after viewing at most [`directed_max_products`] distinct products;
//! 3. **search / deliberation**: the session has purchase intent but looked at
//!    more products, or it views at least two products all in one category
//!    (searching within one need);
//! 4. **knowledge building**: comparisons and review reads reach
//!    [`knowledge_min_info_ratio`] per product view (information rather than
//!    products);
//! 5. **hedonic browsing**: everything else (browsing across categories
//!    without intent).
//!
//! [`directed_max_products`]: crate::persona::SessionModeConfig::directed_max_products
//! [`knowledge_min_info_ratio`]: crate::persona::SessionModeConfig::knowledge_min_info_ratio

use serde::{Deserialize, Serialize};

use crate::journey::Journey;
use crate::model::names::named_enum;
use crate::model::{BuiltinKind, Stage};
use crate::persona::SessionModeConfig;
use crate::persona::keys::KeyTable;
use crate::persona::profile::Columns;

named_enum! {
    /// The mode of one shopping session (Moe 2003).
    pub enum SessionMode: "session mode" {
        /// Arrives for a product and buys it.
        DirectedBuying = "directed_buying",
        /// Searches and compares products for a purchase.
        Deliberation = "deliberation",
        /// Browses for pleasure, across categories.
        HedonicBrowsing = "hedonic_browsing",
        /// Gathers information (reviews, comparisons) without buying.
        KnowledgeBuilding = "knowledge_building",
    }
}

/// How many of a customer's shopping sessions had each mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionModeCounts {
    /// Directed-buying sessions.
    pub directed_buying: u32,
    /// Deliberation sessions.
    pub deliberation: u32,
    /// Hedonic-browsing sessions.
    pub hedonic_browsing: u32,
    /// Knowledge-building sessions.
    pub knowledge_building: u32,
}

impl SessionModeCounts {
    /// The count of one mode.
    #[must_use]
    pub fn get(&self, mode: SessionMode) -> u32 {
        match mode {
            SessionMode::DirectedBuying => self.directed_buying,
            SessionMode::Deliberation => self.deliberation,
            SessionMode::HedonicBrowsing => self.hedonic_browsing,
            SessionMode::KnowledgeBuilding => self.knowledge_building,
        }
    }

    pub(crate) fn add(&mut self, mode: SessionMode) {
        let c = match mode {
            SessionMode::DirectedBuying => &mut self.directed_buying,
            SessionMode::Deliberation => &mut self.deliberation,
            SessionMode::HedonicBrowsing => &mut self.hedonic_browsing,
            SessionMode::KnowledgeBuilding => &mut self.knowledge_building,
        };
        *c = c.saturating_add(1);
    }

    /// The most frequent mode (ties in [`SessionMode::ALL`] order), `None`
    /// without shopping sessions.
    #[must_use]
    pub fn dominant(&self) -> Option<SessionMode> {
        let mut best: Option<(SessionMode, u32)> = None;
        for &m in SessionMode::ALL {
            let n = self.get(m);
            if n > 0 && best.is_none_or(|(_, b)| n > b) {
                best = Some((m, n));
            }
        }
        best.map(|(m, _)| m)
    }
}

/// What a session's mode is decided from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SessionStats {
    /// Had a consideration or decision touchpoint.
    pub shopping: bool,
    /// Added to cart, checked out or ordered.
    pub purchase: bool,
    pub product_views: u32,
    pub distinct_products: u32,
    pub distinct_categories: u32,
    /// Comparisons and review reads.
    pub info: u32,
}

impl SessionStats {
    pub(crate) fn mode(&self, cfg: &SessionModeConfig) -> Option<SessionMode> {
        if !self.shopping {
            return None;
        }
        if self.purchase {
            return Some(if self.distinct_products <= cfg.directed_max_products {
                SessionMode::DirectedBuying
            } else {
                SessionMode::Deliberation
            });
        }
        if self.distinct_products >= 2 && self.distinct_categories <= 1 {
            return Some(SessionMode::Deliberation);
        }
        let views = f64::from(self.product_views.max(1));
        if f64::from(self.info) >= cfg.knowledge_min_info_ratio * views && self.info > 0 {
            return Some(SessionMode::KnowledgeBuilding);
        }
        Some(SessionMode::HedonicBrowsing)
    }
}

/// Whether a touchpoint kind is browsing or buying by the customer.
#[inline]
pub(crate) fn is_shopping(kind: BuiltinKind) -> bool {
    matches!(kind.default_stage(), Stage::Consideration | Stage::Decision)
}

/// The mode of every session of a journey, in order (`None` for sessions
/// without browsing or buying).
///
/// ```
/// use chrono::{TimeZone, TimeDelta, Utc};
/// use cxjourney::persona::{session_modes, SessionMode, SessionModeConfig};
/// use cxjourney::{BuiltinKind as K, CustomerId, Journey, JourneyConfig, Touchpoint};
/// let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 12, 0, 0).unwrap();
/// let c = CustomerId(1);
/// let j = Journey::new(vec![
///     Touchpoint::new(c, t0, K::ProductView).with_product("sku-1"),
///     Touchpoint::new(c, t0 + TimeDelta::minutes(2), K::AddToCart).with_product("sku-1"),
///     Touchpoint::new(c, t0 + TimeDelta::minutes(5), K::OrderCompleted),
///     Touchpoint::new(c, t0 + TimeDelta::days(3), K::Delivered),
/// ], &JourneyConfig::default())?;
/// assert_eq!(session_modes(&j, &SessionModeConfig::default()),
///            [Some(SessionMode::DirectedBuying), None]);
/// # Ok::<(), cxjourney::Error>(())
/// ```
/// Each session is read once and its distinct products and categories are
/// counted in a per-journey table of dictionary keys, so the work is linear in
/// the touchpoints however many distinct products a session views.
#[must_use]
pub fn session_modes(journey: &Journey, config: &SessionModeConfig) -> Vec<Option<SessionMode>> {
    let view = journey.view();
    let cols = Columns::of(view);
    let mut products = KeyTable::default();
    let mut categories = KeyTable::default();
    products.begin();
    categories.begin();
    view.sessions()
        .zip(1u32..)
        .map(|(s, no)| stats_of(&cols, s.range(), no, &mut products, &mut categories).mode(config))
        .collect()
}

/// The stats of session number `no` (1-based), rows `rows` of the journey.
fn stats_of(
    cols: &Columns<'_>,
    rows: std::ops::Range<usize>,
    no: u32,
    products: &mut KeyTable,
    categories: &mut KeyTable,
) -> SessionStats {
    let mut st = SessionStats::default();
    // Counts a key the first time this session views it.
    let first_in_session = |table: &mut KeyTable, key: Option<u32>, i: usize| {
        key.and_then(|k| table.entry(k, i)).is_some_and(|slot| {
            let new = slot.session != no;
            slot.session = no;
            new
        })
    };
    for i in rows {
        let Some(k) = cols.kind(i) else { continue };
        st.shopping |= is_shopping(k);
        match k {
            BuiltinKind::ProductView => {
                st.product_views += 1;
                if first_in_session(products, cols.product(i), i) {
                    st.distinct_products += 1;
                }
                if first_in_session(categories, cols.category(i), i) {
                    st.distinct_categories += 1;
                }
            }
            BuiltinKind::Comparison | BuiltinKind::ReviewRead => st.info += 1,
            BuiltinKind::AddToCart
            | BuiltinKind::WishlistAddToCart
            | BuiltinKind::CheckoutStart
            | BuiltinKind::OrderCompleted => st.purchase = true,
            _ => {}
        }
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::JourneyConfig;
    use crate::model::{CustomerId, Touchpoint};
    use chrono::{TimeDelta, TimeZone, Utc};

    #[test]
    fn one_session_of_many_distinct_products_is_linear() {
        // Issue 15: one session of 100k distinct product views took 18 s with
        // a `Vec::contains` per view.
        let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 0, 0, 0).unwrap();
        let c = CustomerId(1);
        let tps: Vec<Touchpoint> = (0..100_000)
            .map(|i| {
                Touchpoint::new(c, t0 + TimeDelta::seconds(i), BuiltinKind::ProductView)
                    .with_product(&*format!("p{i}"))
                    .with_category(&*format!("c{}", i % 7))
            })
            .collect();
        let j = Journey::new(tps, &JourneyConfig::default()).unwrap();
        let start = std::time::Instant::now();
        let modes = session_modes(&j, &SessionModeConfig::default());
        assert!(start.elapsed().as_secs() < 2, "{:?}", start.elapsed());
        assert_eq!(modes, [Some(SessionMode::HedonicBrowsing)]);
    }

    #[test]
    fn rules_in_order() {
        let cfg = SessionModeConfig::default();
        let base = SessionStats {
            shopping: true,
            ..SessionStats::default()
        };
        assert_eq!(SessionStats::default().mode(&cfg), None);
        let buy = SessionStats {
            purchase: true,
            distinct_products: 1,
            ..base
        };
        assert_eq!(buy.mode(&cfg), Some(SessionMode::DirectedBuying));
        let buy_many = SessionStats {
            distinct_products: 9,
            ..buy
        };
        assert_eq!(buy_many.mode(&cfg), Some(SessionMode::Deliberation));
        let focused = SessionStats {
            product_views: 6,
            distinct_products: 5,
            distinct_categories: 1,
            ..base
        };
        assert_eq!(focused.mode(&cfg), Some(SessionMode::Deliberation));
        let info = SessionStats {
            product_views: 6,
            distinct_products: 6,
            distinct_categories: 4,
            info: 4,
            ..base
        };
        assert_eq!(info.mode(&cfg), Some(SessionMode::KnowledgeBuilding));
        let broad = SessionStats { info: 1, ..info };
        assert_eq!(broad.mode(&cfg), Some(SessionMode::HedonicBrowsing));
        let mut counts = SessionModeCounts::default();
        assert_eq!(counts.dominant(), None);
        counts.add(SessionMode::HedonicBrowsing);
        counts.add(SessionMode::HedonicBrowsing);
        counts.add(SessionMode::Deliberation);
        assert_eq!(counts.dominant(), Some(SessionMode::HedonicBrowsing));
    }
}
