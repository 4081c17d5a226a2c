//! What happened to each order of a journey, in one pass over its rows.
//!
//! Rows belong to an order through their order id ([`Row::order`](crate::log::Row::order)).
//! The order's own row is its completed-order row (payment, channel, value,
//! promised delivery); after it come the fulfilment rows: shipment, delivery
//! attempts, delivery, cancellation, return request, return, refund.
//!
//! **Return to origin.** A `returned` row of an order with no `delivered`
//! row before it is a return to origin (RTO): the parcel came back to the
//! seller undelivered (refused at the door, nobody home, a cash-on-delivery
//! customer who changed their mind). A `returned` row after a `delivered`
//! row is a customer return. This is how the sample shop writes them, and
//! how a courier's status feed reads: a parcel that was never delivered
//! cannot be returned by the customer.

use serde::{Deserialize, Serialize};

use crate::log::{JourneyView, NULL_KEY};
use crate::model::{BuiltinKind as K, PaymentMethod};

/// Microseconds of "no time".
pub(crate) const NONE: i64 = i64::MIN;

/// One order's facts as codes and times (microseconds; [`NONE`]: never).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Facts {
    /// The order id's key in the log's order dictionary.
    pub(crate) key: u32,
    /// The completed-order row: when, the channel code, the payment
    /// (index + 1, 0 none), the value in minor units (`NONE`: none), the
    /// promised delivery.
    pub(crate) placed: i64,
    pub(crate) channel: u16,
    pub(crate) payment: u8,
    pub(crate) value: i64,
    pub(crate) promised: i64,
    pub(crate) shipped: i64,
    pub(crate) first_attempt: i64,
    pub(crate) attempts: u32,
    pub(crate) delivered: i64,
    pub(crate) cancelled: i64,
    pub(crate) return_requested: i64,
    /// A customer return (a `returned` row after delivery).
    pub(crate) returned: i64,
    /// A return to origin (a `returned` row before any delivery).
    pub(crate) rto: i64,
    pub(crate) refunded: i64,
    /// A row of the order named as a wrong-item return.
    pub(crate) wrong_item: bool,
}

impl Facts {
    fn new(key: u32) -> Facts {
        Facts {
            key,
            placed: NONE,
            channel: 0,
            payment: 0,
            value: NONE,
            promised: NONE,
            shipped: NONE,
            first_attempt: NONE,
            attempts: 0,
            delivered: NONE,
            cancelled: NONE,
            return_requested: NONE,
            returned: NONE,
            rto: NONE,
            refunded: NONE,
            wrong_item: false,
        }
    }

    #[cfg(test)]
    pub(crate) fn new_for_tests(placed: i64) -> Facts {
        let mut f = Facts::new(0);
        f.placed = placed;
        f
    }

    /// The payment method, if the order row had one.
    pub(crate) fn payment(&self) -> Option<PaymentMethod> {
        PaymentMethod::ALL
            .get(usize::from(self.payment).checked_sub(1)?)
            .copied()
    }

    /// Whether the order left the warehouse (shipped, attempted, delivered
    /// or returned to origin).
    pub(crate) fn dispatched(&self) -> bool {
        self.shipped != NONE || self.attempts > 0 || self.delivered != NONE || self.rto != NONE
    }

    /// Whether the order's delivery came to an end: delivered, or back to
    /// origin.
    pub(crate) fn resolved(&self) -> bool {
        self.delivered != NONE || self.rto != NONE
    }
}

/// Reusable buffers for reading a journey's orders without allocating per
/// row: the (order key, row) pairs of the journey, and the orders' facts.
/// Their size follows the largest journey read, not the log's dictionary.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrderScratch {
    rows: Vec<(u32, u32)>,
    pub(crate) orders: Vec<Facts>,
}

/// What marks a wrong-item return in one log: event-name keys and custom
/// kind codes.
#[derive(Debug, Clone, Default)]
pub(crate) struct WrongItem {
    events: Vec<u32>,
    kinds: Vec<u16>,
}

impl WrongItem {
    /// Resolves the configured names against `journey`'s log.
    pub(crate) fn resolve(names: &[String], journey: &JourneyView<'_>) -> WrongItem {
        let log = journey.log();
        WrongItem {
            events: names
                .iter()
                .filter_map(|n| log.event_names().get(n))
                .collect(),
            kinds: names
                .iter()
                .filter_map(|n| log.custom_kind_code(n))
                .collect(),
        }
    }

    fn marks(&self, event: Option<u32>, kind: u16) -> bool {
        event.is_some_and(|e| self.events.contains(&e)) || self.kinds.contains(&kind)
    }
}

impl OrderScratch {
    /// Reads the orders of `journey` into `self.orders`, in placement order
    /// (order ids without a completed-order row are dropped).
    pub(crate) fn read(&mut self, journey: &JourneyView<'_>, wrong: &WrongItem) {
        self.orders.clear();
        self.rows.clear();
        let keys = journey.order_keys();
        // Rows of each order together, each order's rows in journey order.
        self.rows.extend(
            keys.iter()
                .enumerate()
                .filter(|(_, k)| **k != NULL_KEY)
                .map(|(i, &k)| (k, i as u32)),
        );
        self.rows.sort_unstable();
        let times = journey.times();
        let kinds = journey.kind_codes();
        let events = journey.event_keys();
        for &(key, i) in &self.rows {
            let i = i as usize;
            if self.orders.last().is_none_or(|f| f.key != key) {
                self.orders.push(Facts::new(key));
            }
            let (Some(f), Some(&us), Some(&kind)) =
                (self.orders.last_mut(), times.get(i), kinds.get(i))
            else {
                continue;
            };
            let first = |t: &mut i64| {
                if *t == NONE {
                    *t = us;
                }
            };
            let event = events.get(i).copied().filter(|&e| e != NULL_KEY);
            if wrong.marks(event, kind) {
                f.wrong_item = true;
            }
            match crate::model::BuiltinKind::ALL
                .get(usize::from(kind))
                .copied()
            {
                Some(K::OrderCompleted) if f.placed == NONE => {
                    f.placed = us;
                    if let Some(row) = journey.row(i) {
                        f.channel = row.channel_code();
                        f.payment = row
                            .payment()
                            .map_or(0, |p| u8::try_from(p.index() + 1).unwrap_or(0));
                        f.value = row.value().map_or(NONE, |m| m.minor());
                        f.promised = row
                            .promised_delivery()
                            .map_or(NONE, |t| t.timestamp_micros());
                    }
                }
                Some(K::Shipment) => first(&mut f.shipped),
                Some(K::DeliveryAttempt) => {
                    first(&mut f.first_attempt);
                    f.attempts = f.attempts.saturating_add(1);
                }
                Some(K::Delivered) => first(&mut f.delivered),
                Some(K::OrderCancelled) => first(&mut f.cancelled),
                Some(K::ReturnRequested) => first(&mut f.return_requested),
                Some(K::Returned) => {
                    if f.delivered == NONE {
                        first(&mut f.rto);
                    } else {
                        first(&mut f.returned);
                    }
                }
                Some(K::Refund) => first(&mut f.refunded),
                _ => {}
            }
        }
        self.orders.retain(|f| f.placed != NONE);
        // Placement order (ties by order key, a canonical order).
        self.orders.sort_by_key(|f| (f.placed, f.key));
    }
}

/// One order's fulfilment, as the log tells it (times in UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderFacts {
    /// The order id.
    pub order: String,
    /// When it was placed (its completed-order row).
    pub placed_at: chrono::DateTime<chrono::Utc>,
    /// The payment method of the order row.
    pub payment: Option<PaymentMethod>,
    /// The order's value in minor units.
    pub value_minor: Option<i64>,
    /// The delivery time promised to the customer.
    pub promised_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The first shipment row.
    pub shipped_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The first delivery attempt.
    pub first_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Delivery attempts.
    pub attempts: u32,
    /// Delivered.
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Cancelled.
    pub cancelled_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The customer asked to return it.
    pub return_requested_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A customer return arrived (after delivery).
    pub returned_at: Option<chrono::DateTime<chrono::Utc>>,
    /// It came back undelivered: a return to origin.
    pub returned_to_origin_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The first refund.
    pub refunded_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A row of the order marks a wrong-item return.
    pub wrong_item: bool,
}

pub(crate) fn time(us: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    if us == NONE {
        None
    } else {
        chrono::DateTime::<chrono::Utc>::from_timestamp_micros(us)
    }
}

impl OrderFacts {
    pub(crate) fn of(f: &Facts, journey: &JourneyView<'_>) -> OrderFacts {
        OrderFacts {
            order: journey
                .log()
                .orders()
                .value(f.key)
                .unwrap_or_default()
                .to_owned(),
            placed_at: time(f.placed).unwrap_or_default(),
            payment: f.payment(),
            value_minor: (f.value != NONE).then_some(f.value),
            promised_at: time(f.promised),
            shipped_at: time(f.shipped),
            first_attempt_at: time(f.first_attempt),
            attempts: f.attempts,
            delivered_at: time(f.delivered),
            cancelled_at: time(f.cancelled),
            return_requested_at: time(f.return_requested),
            returned_at: time(f.returned),
            returned_to_origin_at: time(f.rto),
            refunded_at: time(f.refunded),
            wrong_item: f.wrong_item,
        }
    }
}

/// Every order of a journey, in placement order, with its fulfilment facts;
/// `wrong_item_events` names the rows that mark a wrong-item return (see
/// [`FulfilmentConfig::wrong_item_events`](crate::fulfilment::FulfilmentConfig::wrong_item_events)).
///
/// Rows belong to an order through their order id ([`Row::order`](crate::log::Row::order)).
/// The order's own row is its completed-order row (payment, channel, value,
/// promised delivery); an order id without one is no order. After it come the
/// fulfilment rows: shipment, delivery attempts, delivery, cancellation,
/// return request, return, refund (the first of each counts, attempts are
/// counted).
///
/// **Return to origin.** A `returned` row of an order with no `delivered`
/// row before it is a return to origin (RTO): the parcel came back to the
/// seller undelivered (refused at the door, nobody home, a cash-on-delivery
/// buyer who changed their mind). A `returned` row after a `delivered` row
/// is a customer return. This is how the sample shop writes them, and how a
/// courier's status feed reads: a parcel never delivered cannot be returned
/// by the customer.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use cxjourney::fulfilment::orders;
/// use cxjourney::log::EventLog;
/// use cxjourney::{BuiltinKind as K, CustomerId, JourneyConfig, Touchpoint};
/// let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 9, 0, 0).unwrap();
/// let row = |h: i64, k: K, o: &str| Touchpoint::new(CustomerId(1), t0 + TimeDelta::hours(h), k).with_order(o);
/// let log = EventLog::from_touchpoints(
///     [
///         row(0, K::OrderCompleted, "a"), row(30, K::DeliveryAttempt, "a"), row(90, K::Returned, "a"),
///         row(1, K::OrderCompleted, "b"), row(40, K::Delivered, "b"), row(70, K::Returned, "b"),
///     ],
///     &JourneyConfig::default(),
/// )?;
/// let facts = orders(&log.journeys().next().unwrap(), &[]);
/// assert!(facts[0].returned_to_origin_at.is_some()); // never delivered: back to origin
/// assert!(facts[1].returned_at.is_some() && facts[1].returned_to_origin_at.is_none());
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[must_use]
pub fn orders(journey: &JourneyView<'_>, wrong_item_events: &[String]) -> Vec<OrderFacts> {
    let mut scratch = OrderScratch::default();
    let wrong = WrongItem::resolve(wrong_item_events, journey);
    scratch.read(journey, &wrong);
    scratch
        .orders
        .iter()
        .map(|f| OrderFacts::of(f, journey))
        .collect()
}
