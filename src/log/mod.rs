//! The event log: every analysis reads events from one columnar table.
//!
//! An [`EventLog`] holds the touchpoints of many customers as columns (one
//! primitive buffer per field, strings as dictionary keys), grouped by
//! customer and ordered within each customer as a [`Journey`](crate::Journey)
//! orders them: by time, then kind in journey order, then the remaining
//! fields, so the log never depends on the input order. Per-customer offsets
//! delimit each customer's rows; a [`JourneyView`] borrows one customer's rows
//! and is what analyses take.
//!
//! The layout follows Arrow: `i64` times (microseconds since the Unix epoch,
//! UTC), `u32` dictionary keys and offsets, small `u8`/`u16` codes, so an
//! Arrow or Parquet import is a conversion, not a rewrite; the core has no
//! Arrow dependency. Optional columns (order, product, value, ...) take memory
//! only once a row has a value in them.
//!
//! Build a log with [`EventLogBuilder`] (rows from [`Touchpoint`](crate::Touchpoint)s or borrowed
//! [`NewRow`]s, in any order), with [`EventLog::from_touchpoints`], or from CSV
//! with [`read_csv`] (any reader) or [`read_csv_file`] (a file, read on
//! several threads) (cargo feature `csv`, on by default).
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use cxjourney::log::EventLog;
//! use cxjourney::{BuiltinKind as K, CustomerId, JourneyConfig, Stage, Touchpoint};
//! let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 20, 0, 0).unwrap();
//! let log = EventLog::from_touchpoints(
//!     [
//!         Touchpoint::new(CustomerId(2), t0, K::ProductView),
//!         Touchpoint::new(CustomerId(1), t0 + TimeDelta::minutes(9), K::OrderCompleted),
//!         Touchpoint::new(CustomerId(1), t0, K::ProductView).with_product("sku-1"),
//!     ],
//!     &JourneyConfig::default(),
//! )?;
//! assert_eq!(log.len(), 3);
//! assert_eq!(log.customers(), &[CustomerId(1), CustomerId(2)]);
//! let first = log.journeys().next().unwrap();
//! assert_eq!(first.len(), 2);
//! assert_eq!(first.row(0).unwrap().product(), Some("sku-1"));
//! assert_eq!(first.current_stage(), Some(Stage::Decision));
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod build;
mod codes;
#[cfg(feature = "csv")]
pub(crate) mod csv;
mod dict;
mod slice;
mod time;
mod view;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use build::{EventLogBuilder, NewRow};
#[cfg(feature = "csv")]
pub use csv::{
    CSV_COLUMNS, CsvOptions, CsvSummary, MAX_RECORD_BYTES, header_name, read_csv, read_csv_file,
};
pub use dict::{Dictionary, MAX_DICTIONARY_LEN, NULL_KEY};
pub use time::parse_timestamp;
pub use view::{JourneyView, Row, Sessions, StagePath};

use crate::error::Result;
use crate::journey::JourneyConfig;
use crate::model::{
    Channel, CheckoutType, Currency, CustomerId, Device, PaymentMethod, Stage, TouchpointKind,
};
use codes::Codes;

/// The most threads [`EventLog::split`], [`EventLog::from_slice`],
/// [`run_on_log`](crate::run_on_log) and `read_csv_file` use, whatever the
/// caller asks for.
pub const MAX_THREADS: usize = 64;

/// The most rows one log holds (offsets are `u32`).
pub const MAX_ROWS: usize = (u32::MAX - 1) as usize;

/// "No value" in the money column.
pub(crate) const NULL_MONEY: i64 = i64::MIN;
/// "No value" in a time column other than the row time.
pub(crate) const NULL_TIME: i64 = i64::MIN;

/// Many customers' touchpoints as columns, grouped by customer, each
/// customer's rows in journey order. See the [module docs](self).
///
/// The state serializes (serde), so a log can be built once and shipped to
/// another process; deserializing checks every invariant (offsets, column
/// lengths, codes and keys inside their tables, rows in order) and refuses a
/// log that breaks one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Unchecked")]
pub struct EventLog {
    pub(crate) config: JourneyConfig,
    /// Customers in ascending id order; index = dense customer index.
    pub(crate) customers: Vec<CustomerId>,
    /// The caller's own customer keys (text ids from CSV), by dense index.
    pub(crate) customer_keys: Option<Dictionary>,
    /// `offsets[i]..offsets[i + 1]` are customer `i`'s rows.
    pub(crate) offsets: Vec<u32>,
    pub(crate) cols: Columns,
    pub(crate) dicts: Dictionaries,
}

/// The row columns. Optional columns are empty until a row has a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Columns {
    /// Microseconds since the Unix epoch (UTC).
    pub(crate) time: Vec<i64>,
    /// The nanoseconds below the microsecond (0..=999), present only when a
    /// row has any.
    pub(crate) nanos: Vec<u16>,
    /// Kind codes: built-in kinds at their canonical index, custom kinds after.
    pub(crate) kind: Vec<u16>,
    /// Channel codes, as kinds.
    pub(crate) channel: Vec<u16>,
    /// Source event name keys ([`NULL_KEY`]: none; the kind's name stands in).
    pub(crate) event: Vec<u32>,
    pub(crate) order: Vec<u32>,
    pub(crate) product: Vec<u32>,
    pub(crate) category: Vec<u32>,
    pub(crate) campaign: Vec<u32>,
    /// Minor units ([`NULL_MONEY`]: none).
    pub(crate) value: Vec<i64>,
    /// Index into the currency table, meaningful where `value` is set.
    pub(crate) currency: Vec<u8>,
    pub(crate) discounted: Vec<bool>,
    /// `0`: none, else the value's canonical index + 1 (also for the next three).
    pub(crate) device: Vec<u8>,
    pub(crate) payment: Vec<u8>,
    pub(crate) checkout: Vec<u8>,
    /// Explicit stage overrides.
    pub(crate) stage: Vec<u8>,
    /// Promised delivery, microseconds ([`NULL_TIME`]: none).
    pub(crate) promised: Vec<i64>,
    /// The nanoseconds below the microsecond of `promised`, where any.
    pub(crate) promised_nanos: Vec<u16>,
}

/// The dictionaries of the key columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Dictionaries {
    pub(crate) kinds: Codes<TouchpointKind>,
    pub(crate) channels: Codes<Channel>,
    pub(crate) events: Dictionary,
    pub(crate) orders: Dictionary,
    pub(crate) products: Dictionary,
    pub(crate) categories: Dictionary,
    pub(crate) campaigns: Dictionary,
    pub(crate) currencies: Vec<Currency>,
}

/// Which optional columns a log carries (each is present when at least one
/// row has a value in it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ColumnSet {
    /// Source event names.
    pub event: bool,
    /// Order ids.
    pub order: bool,
    /// Product ids.
    pub product: bool,
    /// Categories.
    pub category: bool,
    /// Campaigns.
    pub campaign: bool,
    /// Money values.
    pub value: bool,
    /// Discounted flags.
    pub discounted: bool,
    /// Devices.
    pub device: bool,
    /// Payment methods.
    pub payment: bool,
    /// Checkout types.
    pub checkout: bool,
    /// Stage overrides.
    pub stage: bool,
    /// Promised delivery times.
    pub promised_delivery: bool,
}

impl EventLog {
    /// A log of `touchpoints` in any order (one customer or many).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) for a bad
    /// configuration; [`Error::TooMuchWork`](crate::Error::TooMuchWork) beyond
    /// [`MAX_ROWS`] rows or [`MAX_DICTIONARY_LEN`] distinct values in a column.
    pub fn from_touchpoints<I>(touchpoints: I, config: &JourneyConfig) -> Result<EventLog>
    where
        I: IntoIterator,
        I::Item: std::borrow::Borrow<crate::model::Touchpoint>,
    {
        let mut builder = EventLogBuilder::new(config)?;
        for t in touchpoints {
            builder.push(std::borrow::Borrow::borrow(&t))?;
        }
        builder.finish()
    }

    /// A log of a slice of touchpoints in any order, built on `threads`
    /// threads; the log is the same as
    /// [`from_touchpoints`](Self::from_touchpoints) gives, for any thread
    /// count.
    ///
    /// Faster than [`from_touchpoints`](Self::from_touchpoints) even on one
    /// thread when customer ids are dense (below 2^32 and at most about two
    /// per row, as the numbering of customer keys gives): each touchpoint is
    /// read once in input order into a packed record, the records are
    /// grouped by customer, and each row is written once in its final place
    /// (on 10M rows, about 1.4x a plain sort of the rows' (customer, time)
    /// keys on two threads, 2.4x on one; see `benches/README.md`). Other ids
    /// go through an [`EventLogBuilder`] per thread. Memory while building,
    /// besides the log: about 40 bytes per row, and about 8 more for each of
    /// the event, order and campaign columns present (16 for promised
    /// deliveries).
    ///
    /// # Errors
    /// As [`from_touchpoints`](Self::from_touchpoints).
    pub fn from_slice(
        touchpoints: &[crate::model::Touchpoint],
        config: &JourneyConfig,
        threads: usize,
    ) -> Result<EventLog> {
        if let Some(log) = slice::from_slice(touchpoints, config, threads)? {
            return Ok(log);
        }
        let parts = threads.clamp(1, MAX_THREADS);
        let chunk = touchpoints.len().div_ceil(parts).max(1);
        let builders: Vec<Result<EventLogBuilder>> = std::thread::scope(|s| {
            let handles: Vec<_> = touchpoints
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        let mut b = EventLogBuilder::new(config)?;
                        b.reserve(part.len());
                        for t in part {
                            b.push(t)?;
                        }
                        Ok(b)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(crate::error::Error::NumericFailure {
                            what: "an event-log builder thread panicked".into(),
                        })
                    })
                })
                .collect()
        });
        let mut builders = builders.into_iter();
        let mut all = match builders.next() {
            Some(first) => first?,
            None => EventLogBuilder::new(config)?,
        };
        for b in builders {
            all.absorb(b?)?;
        }
        all.finish()
    }

    /// How journeys are cut into sessions and stages.
    #[must_use]
    pub fn config(&self) -> &JourneyConfig {
        &self.config
    }

    /// The number of rows (touchpoints).
    #[must_use]
    pub fn len(&self) -> usize {
        self.cols.time.len()
    }

    /// Whether the log has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cols.time.is_empty()
    }

    /// The customers, ascending; position = dense customer index.
    #[must_use]
    pub fn customers(&self) -> &[CustomerId] {
        &self.customers
    }

    /// The caller's own key of a customer (the text id read from CSV), if the
    /// log was built from keys.
    #[must_use]
    pub fn customer_key(&self, customer: CustomerId) -> Option<&str> {
        let keys = self.customer_keys.as_ref()?;
        let i = self.customers.binary_search(&customer).ok()?;
        keys.value(u32::try_from(i).ok()?)
    }

    /// The number of customers.
    #[must_use]
    pub fn customer_count(&self) -> usize {
        self.customers.len()
    }

    /// The journey of the customer at dense index `index`.
    #[must_use]
    pub fn journey(&self, index: usize) -> Option<JourneyView<'_>> {
        let start = *self.offsets.get(index)? as usize;
        let end = *self.offsets.get(index + 1)? as usize;
        Some(JourneyView::new(self, index, start, end))
    }

    /// The journey of `customer`, if it has rows.
    #[must_use]
    pub fn find(&self, customer: CustomerId) -> Option<JourneyView<'_>> {
        let i = self.customers.binary_search(&customer).ok()?;
        self.journey(i)
    }

    /// Every customer's journey, customers ascending.
    pub fn journeys(&self) -> impl Iterator<Item = JourneyView<'_>> + '_ {
        (0..self.customers.len()).filter_map(|i| self.journey(i))
    }

    /// The journeys of customers `range` (dense indices), for splitting work.
    /// Indices past the last customer are left out.
    pub fn journeys_in(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = JourneyView<'_>> + '_ {
        let n = self.customers.len();
        (range.start.min(n)..range.end.min(n)).filter_map(|i| self.journey(i))
    }

    /// Which optional columns are present.
    #[must_use]
    pub fn columns(&self) -> ColumnSet {
        let c = &self.cols;
        ColumnSet {
            event: !c.event.is_empty(),
            order: !c.order.is_empty(),
            product: !c.product.is_empty(),
            category: !c.category.is_empty(),
            campaign: !c.campaign.is_empty(),
            value: !c.value.is_empty(),
            discounted: !c.discounted.is_empty(),
            device: !c.device.is_empty(),
            payment: !c.payment.is_empty(),
            checkout: !c.checkout.is_empty(),
            stage: !c.stage.is_empty(),
            promised_delivery: !c.promised.is_empty(),
        }
    }

    /// Bytes held by the row columns and offsets (not the dictionaries):
    /// divide by [`len`](Self::len) for the bytes per row.
    #[must_use]
    pub fn column_bytes(&self) -> usize {
        use std::mem::size_of_val;
        let c = &self.cols;
        size_of_val(c.time.as_slice())
            + size_of_val(c.nanos.as_slice())
            + size_of_val(c.kind.as_slice())
            + size_of_val(c.channel.as_slice())
            + size_of_val(c.event.as_slice())
            + size_of_val(c.order.as_slice())
            + size_of_val(c.product.as_slice())
            + size_of_val(c.category.as_slice())
            + size_of_val(c.campaign.as_slice())
            + size_of_val(c.value.as_slice())
            + size_of_val(c.currency.as_slice())
            + size_of_val(c.discounted.as_slice())
            + size_of_val(c.device.as_slice())
            + size_of_val(c.payment.as_slice())
            + size_of_val(c.checkout.as_slice())
            + size_of_val(c.stage.as_slice())
            + size_of_val(c.promised.as_slice())
            + size_of_val(c.promised_nanos.as_slice())
            + size_of_val(self.offsets.as_slice())
            + size_of_val(self.customers.as_slice())
    }

    /// The time column: microseconds since the Unix epoch, UTC, all rows.
    #[must_use]
    pub fn times(&self) -> &[i64] {
        &self.cols.time
    }

    /// The kind of a kind code (as in [`JourneyView::kind_codes`]).
    #[must_use]
    pub fn kind_of_code(&self, code: u16) -> Option<&TouchpointKind> {
        self.dicts.kinds.get(code)
    }

    /// The code of the custom kind named `name`, if the log has it (a hash
    /// lookup).
    #[must_use]
    pub fn custom_kind_code(&self, name: &str) -> Option<u16> {
        self.dicts.kinds.find_custom(name)
    }

    /// The code of the custom channel named `name`, if the log has it.
    #[must_use]
    pub fn custom_channel_code(&self, name: &str) -> Option<u16> {
        self.dicts.channels.find_custom(name)
    }

    /// The channel of a channel code.
    #[must_use]
    pub fn channel_of_code(&self, code: u16) -> Option<&Channel> {
        self.dicts.channels.get(code)
    }

    /// The source event names ([`Row::event_key`] indexes it).
    #[must_use]
    pub fn event_names(&self) -> &Dictionary {
        &self.dicts.events
    }

    /// The product ids ([`Row::product_key`] indexes it).
    #[must_use]
    pub fn products(&self) -> &Dictionary {
        &self.dicts.products
    }

    /// The categories ([`Row::category_key`] indexes it).
    #[must_use]
    pub fn categories(&self) -> &Dictionary {
        &self.dicts.categories
    }

    /// The order ids ([`Row::order_key`] indexes it).
    #[must_use]
    pub fn orders(&self) -> &Dictionary {
        &self.dicts.orders
    }

    /// The campaigns ([`Row::campaign_key`] indexes it).
    #[must_use]
    pub fn campaigns(&self) -> &Dictionary {
        &self.dicts.campaigns
    }

    /// Splits the customers into at most `parts` contiguous ranges of about
    /// equal row counts, for work across threads.
    #[must_use]
    pub fn split(&self, parts: usize) -> Vec<std::ops::Range<usize>> {
        let n = self.customers.len();
        let parts = parts.clamp(1, MAX_THREADS).min(n.max(1));
        let rows = self.len().max(1);
        let mut out = Vec::with_capacity(parts);
        let mut start = 0;
        for p in 1..=parts {
            if start >= n {
                break;
            }
            let target = (rows as u128 * p as u128 / parts as u128) as u32;
            let end = if p == parts {
                n
            } else {
                let e = self
                    .offsets
                    .partition_point(|&o| o <= target)
                    .saturating_sub(1);
                e.clamp(start + 1, n)
            };
            out.push(start..end);
            start = end;
        }
        out
    }
}

pub(crate) fn micros_to_time(us: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(us).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The time of a row: microseconds plus the nanoseconds below them.
pub(crate) fn row_time(us: i64, nanos: u16) -> DateTime<Utc> {
    let t = micros_to_time(us);
    t.checked_add_signed(chrono::TimeDelta::nanoseconds(i64::from(nanos)))
        .unwrap_or(t)
}

/// An event log as deserialized, before its invariants are checked.
#[derive(Deserialize)]
struct Unchecked {
    config: JourneyConfig,
    customers: Vec<CustomerId>,
    customer_keys: Option<Dictionary>,
    offsets: Vec<u32>,
    cols: Columns,
    dicts: Dictionaries,
}

impl TryFrom<Unchecked> for EventLog {
    type Error = crate::error::Error;

    fn try_from(u: Unchecked) -> Result<EventLog> {
        let bad = |what: &str, value: String| crate::error::Error::InvalidRecord {
            line: 0,
            column: format!("event log {what}"),
            value,
            reason: "a deserialized event log breaks this invariant".into(),
        };
        u.config.validate()?;
        let c = &u.cols;
        let n = c.time.len();
        if n > MAX_ROWS {
            return Err(bad("rows", n.to_string()));
        }
        fn fits<T>(col: &[T], n: usize) -> bool {
            col.is_empty() || col.len() == n
        }
        let lengths = [
            ("kind", c.kind.len() == n),
            ("channel", c.channel.len() == n),
            ("nanos", fits(&c.nanos, n)),
            ("event", fits(&c.event, n)),
            ("order", fits(&c.order, n)),
            ("product", fits(&c.product, n)),
            ("category", fits(&c.category, n)),
            ("campaign", fits(&c.campaign, n)),
            ("value", fits(&c.value, n)),
            (
                "currency",
                fits(&c.currency, n) && (c.currency.is_empty() || !c.value.is_empty()),
            ),
            ("discounted", fits(&c.discounted, n)),
            ("device", fits(&c.device, n)),
            ("payment", fits(&c.payment, n)),
            ("checkout", fits(&c.checkout, n)),
            ("stage", fits(&c.stage, n)),
            ("promised", fits(&c.promised, n)),
            (
                "promised_nanos",
                fits(&c.promised_nanos, n)
                    && (c.promised_nanos.is_empty() || !c.promised.is_empty()),
            ),
        ];
        if let Some((name, _)) = lengths.iter().find(|(_, ok)| !ok) {
            return Err(bad("column length", (*name).to_owned()));
        }
        // Offsets: 0, strictly increasing (every customer has a row), n.
        let m = u.customers.len();
        let offsets_ok = if m == 0 {
            n == 0 && u.offsets.len() <= 1 && u.offsets.iter().all(|&o| o == 0)
        } else {
            u.offsets.len() == m + 1
                && u.offsets.first() == Some(&0)
                && u.offsets.last().is_some_and(|&o| o as usize == n)
                && u.offsets.windows(2).all(|w| w.first() < w.get(1))
        };
        if !offsets_ok {
            return Err(bad(
                "offsets",
                format!("{} offsets for {m} customers and {n} rows", u.offsets.len()),
            ));
        }
        if !u.customers.windows(2).all(|w| w.first() < w.get(1)) {
            return Err(bad("customers", "not strictly ascending".into()));
        }
        if u.customer_keys.as_ref().is_some_and(|k| k.len() != m) {
            return Err(bad("customer keys", format!("not one per customer ({m})")));
        }
        let d = &u.dicts;
        let small = |col: &[u8], len: usize| col.iter().all(|&x| usize::from(x) <= len);
        let keys = |col: &[u32], dict: &Dictionary| {
            col.iter()
                .all(|&k| k == NULL_KEY || (k as usize) < dict.len())
        };
        let checks = [
            (
                "nanos",
                c.nanos.iter().chain(&c.promised_nanos).all(|&x| x <= 999),
            ),
            (
                "kind",
                c.kind.iter().all(|&k| usize::from(k) < d.kinds.len()),
            ),
            (
                "channel",
                c.channel.iter().all(|&k| usize::from(k) < d.channels.len()),
            ),
            ("event", keys(&c.event, &d.events)),
            ("order", keys(&c.order, &d.orders)),
            ("product", keys(&c.product, &d.products)),
            ("category", keys(&c.category, &d.categories)),
            ("campaign", keys(&c.campaign, &d.campaigns)),
            ("value", c.value.iter().all(|&v| v == NULL_MONEY || v >= 0)),
            (
                "currency",
                c.currency.iter().zip(&c.value).all(|(&k, &v)| {
                    if v == NULL_MONEY {
                        k == 0
                    } else {
                        usize::from(k) < d.currencies.len()
                    }
                }),
            ),
            ("device", small(&c.device, Device::ALL.len())),
            ("payment", small(&c.payment, PaymentMethod::ALL.len())),
            ("checkout", small(&c.checkout, CheckoutType::ALL.len())),
            ("stage", small(&c.stage, Stage::ALL.len())),
        ];
        if let Some((name, _)) = checks.iter().find(|(_, ok)| !ok) {
            return Err(bad("codes or keys", (*name).to_owned()));
        }
        // Each customer's rows in time order.
        let time_of = |i: usize| (c.time.get(i).copied(), c.nanos.get(i).copied().unwrap_or(0));
        for w in u.offsets.windows(2) {
            let (lo, hi) = (
                w.first().copied().unwrap_or(0) as usize,
                w.get(1).copied().unwrap_or(0) as usize,
            );
            if (lo + 1..hi).any(|i| time_of(i - 1) > time_of(i)) {
                return Err(bad(
                    "row order",
                    format!("rows {lo}..{hi} are not in time order"),
                ));
            }
        }
        Ok(EventLog {
            config: u.config,
            customers: u.customers,
            customer_keys: u.customer_keys,
            offsets: u.offsets,
            cols: u.cols,
            dicts: u.dicts,
        })
    }
}

/// Splits a time into microseconds and the nanoseconds below them.
pub(crate) fn split_time(t: DateTime<Utc>) -> (i64, u16) {
    let us = t.timestamp_micros();
    let nanos = (t.timestamp_subsec_nanos() % 1_000) as u16;
    (us, nanos)
}

pub(crate) fn decode<T: Copy>(all: &[T], code: u8) -> Option<T> {
    all.get(usize::from(code).checked_sub(1)?).copied()
}

pub(crate) fn stage_code(s: Option<Stage>) -> u8 {
    s.map_or(0, |s| s.index() as u8 + 1)
}
pub(crate) fn device_code(s: Option<Device>) -> u8 {
    s.map_or(0, |s| s.index() as u8 + 1)
}
pub(crate) fn payment_code(s: Option<PaymentMethod>) -> u8 {
    s.map_or(0, |s| s.index() as u8 + 1)
}
pub(crate) fn checkout_code(s: Option<CheckoutType>) -> u8 {
    s.map_or(0, |s| s.index() as u8 + 1)
}

/// Runs the jobs, the last on this thread and the others each on its own;
/// their results in job order.
///
/// # Errors
///
/// [`Error::NumericFailure`](crate::Error::NumericFailure) when a job
/// panicked (the others still run to their end).
fn run_jobs<T: Send, F: FnOnce() -> T + Send>(mut jobs: Vec<F>) -> Result<Vec<T>> {
    let last = jobs.pop();
    let done: Vec<std::thread::Result<T>> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs.into_iter().map(|f| s.spawn(f)).collect();
        let last = last.map(|f| f());
        let mut done: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        done.extend(last.map(Ok));
        done
    });
    done.into_iter()
        .map(|r| {
            r.map_err(|_| crate::error::Error::NumericFailure {
                what: "an event-log builder thread panicked".into(),
            })
        })
        .collect()
}

/// A small seeded generator for the builders' tests (the layering keeps
/// `sample` out of `log`): xorshift, each call a value below `m`.
#[cfg(test)]
fn xorshift(mut state: u64) -> impl FnMut(u64) -> u64 {
    move |m| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    }
}

/// The row ranges `(lo, hi)` of consecutive runs that start at `starts`
/// (ascending), the last one ending at `end`.
fn run_bounds(starts: &[u32], end: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let ends = starts
        .iter()
        .skip(1)
        .map(|&s| s as usize)
        .chain(std::iter::once(end));
    starts.iter().map(|&s| s as usize).zip(ends)
}
