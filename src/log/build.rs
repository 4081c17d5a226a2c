//! Building an [`EventLog`] from rows in any order.

use std::cmp::Ordering;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use chrono::{DateTime, Utc};

use super::codes::{Coded, Codes};
use super::dict::{Dictionary, NULL_KEY, remap};
use super::{
    Columns, Dictionaries, EventLog, MAX_ROWS, NULL_MONEY, NULL_TIME, checkout_code, device_code,
    payment_code, stage_code,
};
use super::{run_bounds, run_jobs};
use crate::error::{Error, Result};
use crate::journey::JourneyConfig;
use crate::model::{
    Channel, CheckoutType, Currency, CustomerId, Device, Money, PaymentMethod, Stage, Touchpoint,
    TouchpointKind,
};

/// One row to add, borrowing its strings (nothing is allocated for values the
/// log has seen before).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use cxjourney::log::{EventLogBuilder, NewRow};
/// use cxjourney::{BuiltinKind, CustomerId, JourneyConfig, TouchpointKind};
/// let view = TouchpointKind::from(BuiltinKind::ProductView);
/// let at = Utc.with_ymd_and_hms(2024, 12, 12, 9, 0, 0).unwrap();
/// let mut b = EventLogBuilder::new(&JourneyConfig::default())?;
/// b.push_row(&NewRow::new(CustomerId(7), at, &view).product("sku-1").event("view_item"))?;
/// let log = b.finish()?;
/// assert_eq!(log.find(CustomerId(7)).unwrap().row(0).unwrap().event_name(), "view_item");
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct NewRow<'a> {
    customer: CustomerId,
    at: DateTime<Utc>,
    kind: &'a TouchpointKind,
    channel: Option<&'a Channel>,
    event: Option<&'a str>,
    stage: Option<Stage>,
    device: Option<Device>,
    order: Option<&'a str>,
    value: Option<Money>,
    discounted: Option<bool>,
    checkout: Option<CheckoutType>,
    payment: Option<PaymentMethod>,
    promised_delivery: Option<DateTime<Utc>>,
    product: Option<&'a str>,
    category: Option<&'a str>,
    campaign: Option<&'a str>,
}

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$m])*
            #[must_use]
            pub fn $name(mut self, $name: $ty) -> Self {
                self.$name = Some($name);
                self
            }
        )*
    };
}

impl<'a> NewRow<'a> {
    /// A row with a customer, a time and a kind; the channel defaults to direct.
    #[must_use]
    pub fn new(customer: CustomerId, at: DateTime<Utc>, kind: &'a TouchpointKind) -> Self {
        NewRow {
            customer,
            at,
            kind,
            channel: None,
            event: None,
            stage: None,
            device: None,
            order: None,
            value: None,
            discounted: None,
            checkout: None,
            payment: None,
            promised_delivery: None,
            product: None,
            category: None,
            campaign: None,
        }
    }

    setters! {
        /// The channel.
        channel: &'a Channel,
        /// The source event name.
        event: &'a str,
        /// An explicit stage.
        stage: Stage,
        /// The device.
        device: Device,
        /// The order id.
        order: &'a str,
        /// The money value.
        value: Money,
        /// Whether the price was discounted.
        discounted: bool,
        /// Guest or registered checkout.
        checkout: CheckoutType,
        /// The payment method.
        payment: PaymentMethod,
        /// The promised delivery time.
        promised_delivery: DateTime<Utc>,
        /// The product id.
        product: &'a str,
        /// The category.
        category: &'a str,
        /// The campaign.
        campaign: &'a str,
    }

    /// The row of a touchpoint.
    #[must_use]
    pub fn of(t: &'a Touchpoint) -> Self {
        NewRow {
            customer: t.customer,
            at: t.at,
            kind: &t.kind,
            channel: Some(&t.channel),
            event: t.event.as_ref().map(|e| e.as_str()),
            stage: t.stage,
            device: t.device,
            order: t.order.as_ref().map(|o| o.as_str()),
            value: t.value,
            discounted: Some(t.discounted),
            checkout: t.checkout,
            payment: t.payment,
            promised_delivery: t.promised_delivery,
            product: t.product.as_ref().map(|p| p.as_str()),
            category: t.category.as_ref().map(|c| c.as_str()),
            campaign: t.campaign.as_ref().map(|c| c.as_str()),
        }
    }
}

/// One row as codes and dictionary keys (see [`EventLogBuilder::push_keys`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RowKeys {
    pub(crate) customer: u64,
    pub(crate) time: i64,
    pub(crate) nanos: u16,
    pub(crate) kind: u16,
    pub(crate) channel: u16,
    pub(crate) event: Option<u32>,
    pub(crate) order: Option<u32>,
    pub(crate) product: Option<u32>,
    pub(crate) category: Option<u32>,
    pub(crate) campaign: Option<u32>,
    /// Minor units and currency code.
    pub(crate) value: Option<(i64, u8)>,
    pub(crate) discounted: Option<bool>,
    pub(crate) device: u8,
    pub(crate) payment: u8,
    pub(crate) checkout: u8,
    pub(crate) stage: u8,
    pub(crate) promised: Option<(i64, u16)>,
}

/// Collects rows in any order and builds an [`EventLog`]: dictionaries sorted,
/// rows grouped by customer and ordered as journeys order them.
///
/// Memory while building: the columns of the rows pushed plus 8 bytes per
/// row of customer id; [`finish`](Self::finish) groups by a counting sort
/// (4 bytes per customer id up to the largest, and per row 16 bytes when the
/// rows have no values beyond time, kind, channel and event, else 4) when
/// customer ids are dense, else sorts 24-byte keys.
#[derive(Debug, Clone)]
pub struct EventLogBuilder {
    config: JourneyConfig,
    customer: Vec<u64>,
    cols: Columns,
    dicts: Dictionaries,
    /// Text customer keys, when rows come by key (provisional id =
    /// `TEXT_KEY | key`).
    keys: Option<Dictionary>,
    /// Rows come by key ([`EventLogBuilder::customer_for_key`]).
    keyed: bool,
    by_id: bool,
}

/// Grows an optional column to `len - 1` nulls before its first value.
pub(super) fn opt<T: Copy>(col: &mut Vec<T>, len: usize, null: T, v: Option<T>) {
    match v {
        Some(v) => {
            if col.len() + 1 < len {
                col.resize(len - 1, null);
            }
            col.push(v);
        }
        None if !col.is_empty() => col.push(null),
        None => {}
    }
}

impl EventLogBuilder {
    /// An empty builder.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad configuration.
    pub fn new(config: &JourneyConfig) -> Result<Self> {
        config.validate()?;
        Ok(EventLogBuilder {
            config: config.clone(),
            customer: Vec::new(),
            cols: Columns::default(),
            dicts: Dictionaries::default(),
            keys: None,
            keyed: false,
            by_id: false,
        })
    }

    /// Reserves room for `rows` more rows in the always-present columns.
    pub fn reserve(&mut self, rows: usize) {
        self.customer.reserve(rows);
        self.cols.time.reserve(rows);
        self.cols.kind.reserve(rows);
        self.cols.channel.reserve(rows);
    }

    /// The number of rows pushed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// Whether no rows were pushed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }

    /// The id that rows of the caller's key `key` should carry. Keys that are
    /// decimal integers below 2^63 are their value (`007` and `7` are one
    /// customer); other keys are text. When the log is finished, a log of
    /// integer keys only keeps those values as ids; with any text key,
    /// customers are numbered `0, 1, ...`: integer keys first, ascending, then
    /// text keys in byte order, so ids never depend on the order of the rows.
    /// The id returned for a text key is provisional until then.
    /// [`EventLog::customer_key`] gives every customer's key back (integers
    /// in plain decimal).
    ///
    /// # Errors
    /// [`Error::Mismatch`] when rows were already pushed with plain ids;
    /// [`Error::TooMuchWork`] beyond [`MAX_DICTIONARY_LEN`](super::MAX_DICTIONARY_LEN)
    /// text keys.
    pub fn customer_for_key(&mut self, key: &str) -> Result<CustomerId> {
        if self.by_id {
            return Err(Error::Mismatch {
                expected: "rows by customer key only".into(),
                found: format!("a customer key {key:?} after rows with plain customer ids"),
            });
        }
        self.keyed = true;
        if let Ok(v) = key.parse::<u64>()
            && v < TEXT_KEY
        {
            return Ok(CustomerId(v));
        }
        let keys = self.keys.get_or_insert_with(Dictionary::new);
        Ok(CustomerId(TEXT_KEY | u64::from(keys.intern(key)?)))
    }

    /// Turns a builder of rows with plain customer ids into a builder of
    /// customer keys, as if each row had come through
    /// [`customer_for_key`](Self::customer_for_key) with its id in decimal:
    /// a reader can push integer ids (and group them without numbering keys)
    /// until the first text key. Nothing to do for a keyed builder.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when a row's id is 2^63 or more (not a key).
    pub(crate) fn ids_to_keys(&mut self) -> Result<()> {
        if let Some(&c) = self.customer.iter().find(|&&c| c >= TEXT_KEY) {
            return Err(Error::Mismatch {
                expected: "customer ids below 2^63 to turn into keys".into(),
                found: c.to_string(),
            });
        }
        self.by_id = false;
        self.keyed = true;
        Ok(())
    }

    /// Adds a touchpoint.
    ///
    /// # Errors
    /// As [`push_row`](Self::push_row).
    pub fn push(&mut self, t: &Touchpoint) -> Result<()> {
        self.push_row(&NewRow::of(t))
    }

    /// Adds one row.
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] beyond [`MAX_ROWS`] rows or
    /// [`MAX_DICTIONARY_LEN`](super::MAX_DICTIONARY_LEN) distinct values in a
    /// column (or 65,536 kinds or channels, built-in ones included), or more than 255
    /// currencies; [`Error::Mismatch`] when plain customer ids are mixed with
    /// [`customer_for_key`](Self::customer_for_key) rows.
    pub fn push_row(&mut self, r: &NewRow<'_>) -> Result<()> {
        if self.customer.len() >= MAX_ROWS {
            return Err(Error::TooMuchWork {
                what: "rows in one event log",
                limit: MAX_ROWS as u64,
            });
        }
        if self.keyed {
            let text = r.customer.0 & !TEXT_KEY;
            let known = self.keys.as_ref().map_or(0, Dictionary::len) as u64;
            if r.customer.0 >= TEXT_KEY && text >= known {
                return Err(Error::Mismatch {
                    expected: "a customer id from customer_for_key".into(),
                    found: r.customer.to_string(),
                });
            }
        } else {
            self.by_id = true;
        }
        let kind = self.dicts.kinds.code(r.kind)?;
        let channel = match r.channel {
            Some(c) => self.dicts.channels.code(c)?,
            None => self.dicts.channels.code(&Channel::DIRECT)?,
        };
        let d = &mut self.dicts;
        let event = r.event.map(|e| d.events.intern(e)).transpose()?;
        let order = r.order.map(|e| d.orders.intern(e)).transpose()?;
        let product = r.product.map(|e| d.products.intern(e)).transpose()?;
        let category = r.category.map(|e| d.categories.intern(e)).transpose()?;
        let campaign = r.campaign.map(|e| d.campaigns.intern(e)).transpose()?;
        let value = match r.value {
            Some(m) => Some((m.minor(), self.currency_code(m)?)),
            None => None,
        };
        let (time, nanos) = super::split_time(r.at);
        self.push_keys(&RowKeys {
            customer: r.customer.0,
            time,
            nanos,
            kind,
            channel,
            event,
            order,
            product,
            category,
            campaign,
            value,
            discounted: r.discounted,
            device: device_code(r.device),
            payment: payment_code(r.payment),
            checkout: checkout_code(r.checkout),
            stage: stage_code(r.stage),
            promised: r.promised_delivery.map(super::split_time),
        })
    }

    /// Stores one row whose values are already codes and dictionary keys.
    pub(crate) fn push_keys(&mut self, r: &RowKeys) -> Result<()> {
        let n = self.push_head(r)?;
        let c = &mut self.cols;
        opt(&mut c.nanos, n, 0, (r.nanos != 0).then_some(r.nanos));
        opt(&mut c.order, n, NULL_KEY, r.order);
        opt(&mut c.product, n, NULL_KEY, r.product);
        opt(&mut c.category, n, NULL_KEY, r.category);
        opt(&mut c.campaign, n, NULL_KEY, r.campaign);
        opt(&mut c.value, n, NULL_MONEY, r.value.map(|v| v.0));
        opt(&mut c.currency, n, 0, r.value.map(|v| v.1));
        opt(&mut c.discounted, n, false, r.discounted);
        opt(&mut c.device, n, 0, (r.device != 0).then_some(r.device));
        opt(&mut c.payment, n, 0, (r.payment != 0).then_some(r.payment));
        opt(
            &mut c.checkout,
            n,
            0,
            (r.checkout != 0).then_some(r.checkout),
        );
        opt(&mut c.stage, n, 0, (r.stage != 0).then_some(r.stage));
        opt(&mut c.promised, n, NULL_TIME, r.promised.map(|p| p.0));
        opt(
            &mut c.promised_nanos,
            n,
            0,
            r.promised.map(|p| p.1).filter(|&ns| ns != 0),
        );
        Ok(())
    }

    /// [`push_keys`](Self::push_keys) for a row with a customer, time,
    /// nanoseconds, kind, channel and event only (the other fields of `r`
    /// are not looked at): while every other optional column is empty, only
    /// those columns are touched.
    pub(crate) fn push_core(&mut self, r: &RowKeys) -> Result<()> {
        if r.nanos != 0 || !lean(&self.cols) {
            return self.push_keys(&RowKeys {
                customer: r.customer,
                time: r.time,
                nanos: r.nanos,
                kind: r.kind,
                channel: r.channel,
                event: r.event,
                ..RowKeys::default()
            });
        }
        self.push_head(r).map(|_| ())
    }

    /// Stores the customer, time, kind, channel and event of `r` (the
    /// columns every row has, and the event key); returns the row count.
    fn push_head(&mut self, r: &RowKeys) -> Result<usize> {
        if self.customer.len() >= MAX_ROWS {
            return Err(Error::TooMuchWork {
                what: "rows in one event log",
                limit: MAX_ROWS as u64,
            });
        }
        let n = self.customer.len() + 1;
        let c = &mut self.cols;
        self.customer.push(r.customer);
        c.time.push(r.time);
        c.kind.push(r.kind);
        c.channel.push(r.channel);
        opt(&mut c.event, n, NULL_KEY, r.event);
        Ok(n)
    }

    /// Appends the rows of another builder of the same configuration (built
    /// on another thread), translating its codes and keys into this one's.
    pub(crate) fn absorb(&mut self, other: EventLogBuilder) -> Result<()> {
        let EventLogBuilder {
            config: _,
            customer,
            cols,
            dicts,
            keys,
            keyed,
            by_id,
        } = other;
        let (n, m) = (self.customer.len(), customer.len());
        if m == 0 {
            return Ok(());
        }
        if n + m > MAX_ROWS {
            return Err(Error::TooMuchWork {
                what: "rows in one event log",
                limit: MAX_ROWS as u64,
            });
        }
        if (self.keyed && by_id) || (self.by_id && keyed) {
            return Err(Error::Mismatch {
                expected: "rows by customer key only".into(),
                found: "rows with plain customer ids".into(),
            });
        }
        self.keyed |= keyed;
        self.by_id |= by_id;
        let kinds: Vec<u16> = code_map(&mut self.dicts.kinds, &dicts.kinds)?;
        let channels: Vec<u16> = code_map(&mut self.dicts.channels, &dicts.channels)?;
        let map_dict = |into: &mut Dictionary, from: &Dictionary| -> Result<Vec<u32>> {
            from.iter().map(|v| into.intern(v)).collect()
        };
        let events = map_dict(&mut self.dicts.events, &dicts.events)?;
        let orders = map_dict(&mut self.dicts.orders, &dicts.orders)?;
        let products = map_dict(&mut self.dicts.products, &dicts.products)?;
        let categories = map_dict(&mut self.dicts.categories, &dicts.categories)?;
        let campaigns = map_dict(&mut self.dicts.campaigns, &dicts.campaigns)?;
        let mut currencies = Vec::with_capacity(dicts.currencies.len());
        for &cur in &dicts.currencies {
            currencies.push(self.currency_code(Money::zero(cur))?);
        }
        let texts = match &keys {
            Some(k) => map_dict(self.keys.get_or_insert_with(Dictionary::new), k)?,
            None => Vec::new(),
        };
        // The columns are appended on two threads for a large part (each
        // thread its own columns); each column of `other` is freed once
        // appended.
        let key = |map: &[u32]| {
            let map = map.to_vec();
            move |k: u32| {
                if k == NULL_KEY {
                    k
                } else {
                    map.get(k as usize).copied().unwrap_or(NULL_KEY)
                }
            }
        };
        let Columns {
            time,
            nanos,
            kind,
            channel,
            event,
            order,
            product,
            category,
            campaign,
            value,
            currency,
            discounted,
            device,
            payment,
            checkout,
            stage,
            promised,
            promised_nanos,
        } = &mut self.cols;
        let Columns {
            time: time_b,
            nanos: nanos_b,
            kind: kind_b,
            channel: channel_b,
            event: event_b,
            order: order_b,
            product: product_b,
            category: category_b,
            campaign: campaign_b,
            value: value_b,
            currency: currency_b,
            discounted: discounted_b,
            device: device_b,
            payment: payment_b,
            checkout: checkout_b,
            stage: stage_b,
            promised: promised_b,
            promised_nanos: promised_nanos_b,
        } = cols;
        let rows = &mut self.customer;
        let (kinds, channels, texts, currencies) = (&kinds, &channels, &texts, &currencies);
        let (event_key, order_key, product_key) = (key(&events), key(&orders), key(&products));
        let (category_key, campaign_key) = (key(&categories), key(&campaigns));
        let first = move || {
            rows.extend(customer.iter().map(|&c| {
                if c >= TEXT_KEY {
                    let i = (c & !TEXT_KEY) as usize;
                    TEXT_KEY | u64::from(texts.get(i).copied().unwrap_or(0))
                } else {
                    c
                }
            }));
            drop(customer);
            append(kind, n, kind_b, m, 0, |k: u16| {
                kinds.get(usize::from(k)).copied().unwrap_or(0)
            });
            append(channel, n, channel_b, m, 0, |k: u16| {
                channels.get(usize::from(k)).copied().unwrap_or(0)
            });
            append(event, n, event_b, m, NULL_KEY, event_key);
            append(order, n, order_b, m, NULL_KEY, order_key);
            append(
                discounted,
                n,
                discounted_b,
                m,
                false,
                std::convert::identity,
            );
            append(device, n, device_b, m, 0, std::convert::identity);
            append(payment, n, payment_b, m, 0, std::convert::identity);
        };
        let second = move || {
            append(time, n, time_b, m, 0, std::convert::identity);
            append(nanos, n, nanos_b, m, 0, std::convert::identity);
            append(product, n, product_b, m, NULL_KEY, product_key);
            append(category, n, category_b, m, NULL_KEY, category_key);
            append(campaign, n, campaign_b, m, NULL_KEY, campaign_key);
            append(value, n, value_b, m, NULL_MONEY, std::convert::identity);
            append(currency, n, currency_b, m, 0, |k: u8| {
                currencies.get(usize::from(k)).copied().unwrap_or(0)
            });
            append(checkout, n, checkout_b, m, 0, std::convert::identity);
            append(stage, n, stage_b, m, 0, std::convert::identity);
            append(
                promised,
                n,
                promised_b,
                m,
                NULL_TIME,
                std::convert::identity,
            );
            append(
                promised_nanos,
                n,
                promised_nanos_b,
                m,
                0,
                std::convert::identity,
            );
        };
        if m >= 1 << 16 {
            std::thread::scope(|s| {
                s.spawn(first);
                second();
            });
        } else {
            first();
            second();
        }
        Ok(())
    }

    /// Whether [`finish_parts`](Self::finish_parts) can group this part
    /// without absorbing it: rows by integer customer key only, values in
    /// the time, kind, channel and event columns only.
    fn lean_part(&self) -> bool {
        let d = &self.dicts;
        self.keyed
            && !self.by_id
            && self.keys.is_none()
            && lean(&self.cols)
            && d.orders.is_empty()
            && d.products.is_empty()
            && d.categories.is_empty()
            && d.campaigns.is_empty()
            && d.currencies.is_empty()
    }

    /// The log of the rows of `parts` (builders of one configuration, each
    /// holding the rows of one part of the input, in order): the log
    /// [`absorb`](Self::absorb)ing each part into the first and finishing
    /// it gives. Parts of integer keys whose rows have a time, kind,
    /// channel and event only (a CSV file of `user_id,ts,event` read on
    /// several threads) are grouped without being joined first: each part
    /// is counted and scattered on its own thread, its codes translated on
    /// the way.
    ///
    /// # Errors
    /// As [`absorb`](Self::absorb) and [`finish`](Self::finish).
    pub(crate) fn finish_parts(mut parts: Vec<EventLogBuilder>) -> Result<EventLog> {
        // A part without rows adds nothing (as `absorb` takes it).
        if parts.len() > 1 {
            parts.retain(|p| !p.is_empty());
        }
        let n: usize = parts.iter().map(EventLogBuilder::len).sum();
        let max = parts
            .iter()
            .filter_map(|p| p.customer.iter().copied().max())
            .max()
            .unwrap_or(0);
        let k = usize::try_from(max).map_or(usize::MAX, |m| m.saturating_add(1));
        if parts.len() > 1
            && n <= MAX_ROWS
            && k <= 2 * n + 1025
            && (parts.len() <= 2 || n / k >= parts.len())
            && parts.iter().all(EventLogBuilder::lean_part)
        {
            return finish_lean_parts(parts, n, k);
        }
        let mut parts = parts.into_iter();
        let Some(mut first) = parts.next() else {
            return EventLogBuilder::new(&JourneyConfig::default())?.finish();
        };
        for p in parts {
            first.absorb(p)?;
        }
        first.finish()
    }

    /// The dictionaries, for readers that intern values themselves.
    pub(crate) fn dicts_mut(&mut self) -> &mut Dictionaries {
        &mut self.dicts
    }

    pub(crate) fn currency_code(&mut self, m: Money) -> Result<u8> {
        let cur = m.currency();
        if let Some(i) = self.dicts.currencies.iter().position(|&c| c == cur) {
            return Ok(i as u8);
        }
        if self.dicts.currencies.len() >= usize::from(u8::MAX) {
            return Err(Error::TooMuchWork {
                what: "currencies in one event log",
                limit: u64::from(u8::MAX),
            });
        }
        self.dicts.currencies.push(cur);
        Ok((self.dicts.currencies.len() - 1) as u8)
    }

    /// Sorts and groups the rows into an [`EventLog`].
    ///
    /// # Errors
    /// None today beyond those of the pushes; the `Result` leaves room for
    /// checks that need every row.
    pub fn finish(self) -> Result<EventLog> {
        let EventLogBuilder {
            config,
            mut customer,
            mut cols,
            mut dicts,
            keys,
            keyed,
            by_id: _,
        } = self;
        let n = customer.len();
        // Optional columns that got values late are already full length; pad
        // those that stopped growing after their last value.
        pad(&mut cols, n);
        // Canonical dictionaries: key order = value order (on two threads
        // for a large log; each dictionary and its column on its own).
        {
            let Dictionaries {
                kinds,
                channels,
                events,
                orders,
                products,
                categories,
                campaigns,
                currencies,
            } = &mut dicts;
            let Columns {
                kind,
                channel,
                event,
                order,
                product,
                category,
                campaign,
                value,
                currency,
                ..
            } = &mut cols;
            let mut first = || {
                remap(order, &orders.canonicalize());
                remap(product, &products.canonicalize());
                remap(campaign, &campaigns.canonicalize());
            };
            let mut second = || {
                remap16(kind, &kinds.canonicalize());
                remap16(channel, &channels.canonicalize());
                remap(event, &events.canonicalize());
                remap(category, &categories.canonicalize());
                canonical_currencies(currency, value, currencies);
            };
            if n >= 1 << 16 {
                std::thread::scope(|s| {
                    s.spawn(&mut first);
                    second();
                });
            } else {
                first();
                second();
            }
        }
        let key_order = keyed
            .then(|| number_keys(keys, &mut customer))
            .transpose()?;
        // The keys' dictionary is built while the rows are grouped (on
        // another thread when there are many keys).
        let (grouped, customer_keys) = std::thread::scope(|s| {
            let keys = key_order.map(|k| {
                if k.len() < 1 << 16 {
                    Ok(k.into_dictionary())
                } else {
                    Err(s.spawn(move || k.into_dictionary()))
                }
            });
            let grouped = group(customer, &mut cols, &dicts);
            let keys = keys.map(|k| k.or_else(|h| h.join()));
            (grouped, keys)
        });
        let (customers, offsets) = grouped?;
        let customer_keys = match customer_keys {
            Some(Err(_)) => {
                return Err(Error::NumericFailure {
                    what: "the thread numbering customer keys panicked".into(),
                });
            }
            Some(Ok(k)) => Some(k),
            None => None,
        };
        Ok(EventLog {
            config,
            customers,
            customer_keys,
            offsets,
            cols,
            dicts,
        })
    }
}

/// The codes in `into` of every code of `from`.
pub(super) fn code_map<T: Coded>(into: &mut Codes<T>, from: &Codes<T>) -> Result<Vec<u16>> {
    (0..from.len())
        .map(|c| match from.get(c as u16) {
            Some(v) => into.code(v),
            None => Ok(0),
        })
        .collect()
}

/// Appends `src` (the column of `m` rows of another builder, empty when it
/// had no values) to `dst` (the column of `n` rows, empty when none had a
/// value), translating values with `map` and padding with `null`.
fn append<T: Copy>(
    dst: &mut Vec<T>,
    n: usize,
    src: Vec<T>,
    m: usize,
    null: T,
    map: impl Fn(T) -> T,
) {
    if src.is_empty() && dst.is_empty() {
        return;
    }
    if dst.len() < n {
        dst.resize(n, null);
    }
    dst.extend(src.iter().map(|&v| map(v)));
    if src.len() < m {
        dst.resize(n + m, null);
    }
}

/// Groups the rows by customer and orders each customer's rows (time, then
/// [`tie`]); returns the customers ascending and their row offsets.
///
/// Customer ids that are dense (at most about two per row, as integer keys
/// and the numbering of text keys give) are grouped by a counting sort in two
/// passes, which keeps each customer's rows in input order: rows exported in
/// time order then need no sort at all. A [`lean`] log moves its four
/// columns in the counting sort's scatter itself ([`lean_scatter`]). Sparse ids
/// fall back to one sort of (customer, time, row) keys.
fn group(
    customer: Vec<u64>,
    cols: &mut Columns,
    dicts: &Dictionaries,
) -> Result<(Vec<CustomerId>, Vec<u32>)> {
    group_with(customer, cols, dicts, true)
}

/// [`group`]; `allow_lean` false takes the general path for a [`lean`]
/// log too (the tests compare the two).
fn group_with(
    customer: Vec<u64>,
    cols: &mut Columns,
    dicts: &Dictionaries,
    allow_lean: bool,
) -> Result<(Vec<CustomerId>, Vec<u32>)> {
    let n = customer.len();
    if n == 0 {
        return Ok((Vec::new(), vec![0]));
    }
    let max = halves(&customer, |part| part.iter().copied().max().unwrap_or(0))?
        .into_iter()
        .max()
        .unwrap_or(0);
    let dense = usize::try_from(max).is_ok_and(|m| m <= 2 * n + 1024);
    let mut customers = Vec::new();
    let mut offsets = Vec::new();
    if dense && allow_lean && lean(cols) {
        let k = max as usize + 1;
        let threads = if n >= 1 << 16 { 2 } else { 1 };
        // Each half of the rows counted and scattered on its own thread
        // for a large log (at most as many parts as rows per id).
        let chunk = n.div_ceil(threads.min(n / k).max(1)).max(1);
        let (customers, mut offsets, rows) = {
            let c = &*cols;
            let parts: Vec<LeanPart<'_>> = customer
                .chunks(chunk)
                .enumerate()
                .map(|(i, ids)| LeanPart {
                    customer: ids,
                    cols: c,
                    base: i * chunk,
                    kinds: None,
                    channels: None,
                    events: None,
                })
                .collect();
            let codes = (
                dicts.kinds.len().saturating_sub(1) as u16,
                dicts.channels.len().saturating_sub(1) as u16,
                dicts.events.len() as u32,
            );
            lean_scatter(&parts, k, codes, None)?
        };
        drop(customer);
        lean_write(&rows, &offsets, threads, cols)?;
        offsets.push(n as u32);
        return Ok((customers, offsets));
    }
    let perm: Vec<u32> = if dense {
        // A counting sort, each half of the rows counted and scattered on
        // its own thread for a large log.
        let k = max as usize + 1;
        let threads = if n >= 1 << 16 { 2 } else { 1 };
        let grouping = super::slice::counting_sort(&customer, k, threads)?;
        let mut perm = grouping.perm;
        customers = grouping.customers;
        offsets = grouping.offsets;
        // The rows' customer ids are not needed past this point.
        drop(customer);
        // Each customer's rows in time order (then `tie`): the time column
        // is gathered first, so that runs already in order (rows exported
        // in time order) are recognized by one sequential pass over it; the
        // customers are split in two halves of the rows, one per thread.
        let mut time = vec![0i64; n];
        let half = offsets.partition_point(|&o| (o as usize) < n / 2);
        let mid = offsets.get(half).map_or(n, |&o| o as usize);
        let (time_a, time_b) = time.split_at_mut(mid);
        let (perm_a, perm_b) = perm.split_at_mut(mid);
        let (runs_a, runs_b) = offsets.split_at(half);
        let (cols_ref, n32) = (&*cols, n as u32);
        std::thread::scope(|s| {
            if n >= 1 << 16 {
                s.spawn(|| order_runs(perm_b, time_b, runs_b, mid, n32, cols_ref, dicts));
            } else {
                order_runs(perm_b, time_b, runs_b, mid, n32, cols_ref, dicts);
            }
            order_runs(perm_a, time_a, runs_a, 0, mid as u32, cols_ref, dicts);
        });
        cols.time = time;
        perm
    } else {
        let mut keys: Vec<(u64, i64, u32)> = customer
            .iter()
            .zip(&cols.time)
            .enumerate()
            .map(|(i, (&c, &t))| (c, t, i as u32))
            .collect();
        drop(customer);
        keys.sort_unstable();
        let mut i = 0;
        while let Some(&(c, t, _)) = keys.get(i) {
            if customers.last() != Some(&CustomerId(c)) {
                customers.push(CustomerId(c));
                offsets.push(i as u32);
            }
            let mut j = i + 1;
            while keys.get(j).is_some_and(|k| k.0 == c && k.1 == t) {
                j += 1;
            }
            if j - i > 1
                && let Some(run) = keys.get_mut(i..j)
            {
                run.sort_by(|a, b| tie(cols, dicts, a.2 as usize, b.2 as usize));
            }
            i = j;
        }
        keys.iter().map(|k| k.2).collect()
    };
    offsets.push(n as u32);
    // Only the columns are gathered: the customers and their offsets are
    // known, and the customer ids of the rows were freed first. (The dense
    // path has gathered the time column already.)
    if perm.iter().enumerate().any(|(i, &p)| p as usize != i) {
        let time = dense.then(|| std::mem::take(&mut cols.time));
        permute(cols, &perm);
        if let Some(time) = time {
            cols.time = time;
        }
    }
    Ok((customers, offsets))
}

/// [`EventLogBuilder::finish_parts`] for [`lean_part`](EventLogBuilder::lean_part)s
/// of `n` rows in all, customer ids below `k` (dense).
fn finish_lean_parts(parts: Vec<EventLogBuilder>, n: usize, k: usize) -> Result<EventLog> {
    let mut parts = parts.into_iter();
    let Some(mut first) = parts.next() else {
        return EventLogBuilder::new(&JourneyConfig::default())?.finish();
    };
    let mut rest: Vec<EventLogBuilder> = parts.collect();
    // The first part's dictionaries take the others' values, as `absorb`
    // does; then they are put in canonical order, as `finish` does, and
    // every part's codes map through both.
    let mut kind_maps = Vec::with_capacity(rest.len());
    let mut channel_maps = Vec::with_capacity(rest.len());
    let mut event_maps = Vec::with_capacity(rest.len());
    for p in &rest {
        kind_maps.push(code_map(&mut first.dicts.kinds, &p.dicts.kinds)?);
        channel_maps.push(code_map(&mut first.dicts.channels, &p.dicts.channels)?);
        event_maps.push(
            p.dicts
                .events
                .iter()
                .map(|v| first.dicts.events.intern(v))
                .collect::<Result<Vec<u32>>>()?,
        );
    }
    let kinds = first.dicts.kinds.canonicalize();
    let channels = first.dicts.channels.canonicalize();
    let events = first.dicts.events.canonicalize();
    // The other dictionaries are empty ([`EventLogBuilder::lean_part`]).
    let d = &mut first.dicts;
    let _ = (
        d.orders.canonicalize(),
        d.products.canonicalize(),
        d.categories.canonicalize(),
        d.campaigns.canonicalize(),
    );
    for m in &mut kind_maps {
        for c in m.iter_mut() {
            *c = kinds.get(usize::from(*c)).copied().unwrap_or(0);
        }
    }
    for m in &mut channel_maps {
        for c in m.iter_mut() {
            *c = channels.get(usize::from(*c)).copied().unwrap_or(0);
        }
    }
    for m in &mut event_maps {
        for c in m.iter_mut() {
            *c = events.get(*c as usize).copied().unwrap_or(NULL_KEY);
        }
    }
    let has_event = !first.cols.event.is_empty() || rest.iter().any(|p| !p.cols.event.is_empty());
    pad(&mut first.cols, first.customer.len());
    for p in &mut rest {
        let len = p.customer.len();
        pad(&mut p.cols, len);
    }
    // The customers' keys: the integer ids used, ascending (each part
    // marks its own in a table of every id, on its thread).
    // The same threads take each part's times' range for the packing.
    let (seen, times): (Vec<Vec<bool>>, Vec<_>) = {
        let jobs: Vec<_> = std::iter::once((&first.customer, &first.cols))
            .chain(rest.iter().map(|p| (&p.customer, &p.cols)))
            .map(|(ids, cols)| {
                move || {
                    let mut seen = vec![false; k];
                    for &c in ids {
                        if let Some(s) = seen.get_mut(c as usize) {
                            *s = true;
                        }
                    }
                    let part = LeanPart {
                        customer: ids,
                        cols,
                        base: 0,
                        kinds: None,
                        channels: None,
                        events: None,
                    };
                    (seen, part.times())
                }
            })
            .collect();
        run_jobs(jobs)?.into_iter().unzip()
    };
    let numbers: Vec<u64> = (0..k)
        .filter(|&v| seen.iter().any(|s| s.get(v) == Some(&true)))
        .map(|v| v as u64)
        .collect();
    drop(seen);
    let key_order = KeyOrder {
        numbers,
        texts: Dictionary::new(),
        order: Vec::new(),
    };
    let (customers, mut offsets, rows) = {
        let mut parts = vec![LeanPart {
            customer: &first.customer,
            cols: &first.cols,
            base: 0,
            kinds: None,
            channels: None,
            events: None,
        }];
        for (i, p) in rest.iter().enumerate() {
            parts.push(LeanPart {
                customer: &p.customer,
                cols: &p.cols,
                base: 0,
                kinds: kind_maps.get(i).map(Vec::as_slice),
                channels: channel_maps.get(i).map(Vec::as_slice),
                events: event_maps.get(i).map(Vec::as_slice),
            });
        }
        // The first part's codes go through the canonical maps too.
        if let Some(p) = parts.first_mut() {
            p.kinds = Some(&kinds);
            p.channels = Some(&channels);
            p.events = Some(&events);
        }
        let d = &first.dicts;
        let codes = (
            d.kinds.len().saturating_sub(1) as u16,
            d.channels.len().saturating_sub(1) as u16,
            d.events.len() as u32,
        );
        lean_scatter(&parts, k, codes, Some(times))?
    };
    drop(rest);
    let EventLogBuilder {
        config,
        customer,
        mut cols,
        dicts,
        ..
    } = first;
    drop(customer);
    // The first part's columns, grown to every row, take the log's.
    cols.time.resize(n, 0);
    cols.kind.resize(n, 0);
    cols.channel.resize(n, 0);
    if has_event {
        cols.event.resize(n, NULL_KEY);
    }
    let threads = if n >= 1 << 16 { 2 } else { 1 };
    let (written, customer_keys) = std::thread::scope(|s| {
        if threads > 1 {
            let keys = s.spawn(move || key_order.into_dictionary());
            let written = lean_write(&rows, &offsets, threads, &mut cols);
            (written, keys.join())
        } else {
            let written = lean_write(&rows, &offsets, threads, &mut cols);
            (written, Ok(key_order.into_dictionary()))
        }
    });
    written?;
    let customer_keys = customer_keys.map_err(|_| Error::NumericFailure {
        what: "the thread numbering customer keys panicked".into(),
    })?;
    drop(rows);
    offsets.push(n as u32);
    Ok(EventLog {
        config,
        customers,
        customer_keys: Some(customer_keys),
        offsets,
        cols,
        dicts,
    })
}

/// Whether every column but the time, kind, channel and event is empty:
/// then [`tie`] orders two rows of one time by (kind, channel, event key +
/// 1), rows equal in those are equal in every column, and
/// [`lean_scatter`] and [`lean_write`] can group them.
fn lean(c: &Columns) -> bool {
    c.nanos.is_empty()
        && c.order.is_empty()
        && c.product.is_empty()
        && c.category.is_empty()
        && c.campaign.is_empty()
        && c.value.is_empty()
        && c.currency.is_empty()
        && c.discounted.is_empty()
        && c.device.is_empty()
        && c.payment.is_empty()
        && c.checkout.is_empty()
        && c.stage.is_empty()
        && c.promised.is_empty()
        && c.promised_nanos.is_empty()
}

/// One row of a [`lean`] log as [`lean_scatter`] moves it: the time, and the
/// kind, channel and event key + 1 packed high to low, so that comparing
/// the two words in turn orders rows as the log does (time, then [`tie`]).
/// 16 bytes, never across two cache lines: a row is moved by one random
/// store. Atomic only so that two threads can scatter into one table
/// (disjoint places; relaxed stores and loads are plain ones).
#[derive(Default)]
#[repr(align(16))]
struct LeanRow(AtomicU64, AtomicU64);

/// The rows of a [`lean`] grouping in grouped order: as [`LeanRow`]s, or
/// when every time is a whole number of seconds after the first, within
/// 2^32 seconds, and the codes fit 32 bits, as one word each ([`Narrow`]):
/// half the memory moved at random.
enum LeanRows {
    Wide(Vec<LeanRow>),
    Narrow(Vec<AtomicU64>, Narrow),
}

/// One word per row: seconds after `base` in the high 32 bits, then the
/// kind, channel and event key + 1 (`channel_bits` and `event_bits`
/// wide): comparing words orders rows as [`LeanRow`]s compare.
#[derive(Debug, Clone, Copy)]
struct Narrow {
    base: i64,
    channel_bits: u32,
    event_bits: u32,
}

impl Narrow {
    /// The packing of rows with times `min..=max` (all equal modulo a
    /// second) and codes up to these, if it fits.
    fn of(min: i64, max: i64, kind: u16, channel: u16, event: u32) -> Option<Narrow> {
        let bits = |v: u64| 64 - v.leading_zeros();
        let (kb, cb, eb) = (
            bits(u64::from(kind)),
            bits(u64::from(channel)),
            bits(u64::from(event)),
        );
        let span = i128::from(max) - i128::from(min);
        (kb + cb + eb <= 32 && (0..(1i128 << 32) * 1_000_000).contains(&span)).then_some(Narrow {
            base: min,
            channel_bits: cb,
            event_bits: eb,
        })
    }

    #[inline(always)]
    fn pack(self, time: i64, kind: u16, channel: u16, event: u32) -> u64 {
        let secs = (time.wrapping_sub(self.base) / 1_000_000) as u64;
        (secs << 32)
            | (u64::from(kind) << (self.channel_bits + self.event_bits))
            | (u64::from(channel) << self.event_bits)
            | u64::from(event)
    }

    /// The time and the [`LeanRow`] low word of a packed row.
    #[inline(always)]
    fn unpack(self, w: u64) -> (i64, u64) {
        let time = self.base + (w >> 32) as i64 * 1_000_000;
        let codes = w & 0xffff_ffff;
        let event = codes & ((1 << self.event_bits) - 1);
        let channel = (codes >> self.event_bits) & ((1 << self.channel_bits) - 1);
        let kind = codes >> (self.channel_bits + self.event_bits);
        (time, (kind << 48) | (channel << 32) | event)
    }
}

impl LeanRows {
    fn len(&self) -> usize {
        match self {
            LeanRows::Wide(r) => r.len(),
            LeanRows::Narrow(r, _) => r.len(),
        }
    }

    /// Row `i`: its time and [`LeanRow`] low word.
    #[inline(always)]
    fn get(&self, i: usize) -> Option<(i64, u64)> {
        match self {
            LeanRows::Wide(r) => r
                .get(i)
                .map(|r| (r.0.load(Relaxed) as i64, r.1.load(Relaxed))),
            LeanRows::Narrow(r, n) => r.get(i).map(|w| n.unpack(w.load(Relaxed))),
        }
    }
}

/// One input part of a [`lean`] grouping: its rows' customer ids, the
/// columns holding its rows (from row `base` on), and the maps of its
/// kind, channel and event codes into the log's (none: the same codes).
struct LeanPart<'a> {
    customer: &'a [u64],
    cols: &'a Columns,
    base: usize,
    kinds: Option<&'a [u16]>,
    channels: Option<&'a [u16]>,
    events: Option<&'a [u32]>,
}

impl LeanPart<'_> {
    /// Row `i` of the part: its time, kind, channel and event key + 1 (0
    /// for none), in the log's codes.
    #[inline(always)]
    fn row(&self, i: usize) -> (i64, u16, u16, u32) {
        let c = self.cols;
        let at = self.base + i;
        let time = c.time.get(at).copied().unwrap_or(0);
        let mut kind = c.kind.get(at).copied().unwrap_or(0);
        if let Some(m) = self.kinds {
            kind = m.get(usize::from(kind)).copied().unwrap_or(0);
        }
        let mut channel = c.channel.get(at).copied().unwrap_or(0);
        if let Some(m) = self.channels {
            channel = m.get(usize::from(channel)).copied().unwrap_or(0);
        }
        let mut event = c.event.get(at).copied().unwrap_or(NULL_KEY);
        if let Some(m) = self.events
            && event != NULL_KEY
        {
            event = m.get(event as usize).copied().unwrap_or(NULL_KEY);
        }
        (time, kind, channel, event.wrapping_add(1))
    }

    /// The part's times: the least, the greatest, and whether all are equal
    /// modulo a second.
    fn times(&self) -> Option<(i64, i64, bool)> {
        let time = self
            .cols
            .time
            .get(self.base..self.base + self.customer.len())?;
        let first = time.first()?.rem_euclid(1_000_000);
        let (mut min, mut max, mut odd) = (i64::MAX, i64::MIN, false);
        for &t in time {
            min = min.min(t);
            max = max.max(t);
            odd |= t.rem_euclid(1_000_000) != first;
        }
        Some((min, max, !odd))
    }
}

/// The counting sort of a [`lean`] grouping (customer ids below `k`,
/// dense; codes up to `codes`: kind, channel, event key + 1, as the
/// dictionaries the codes come from bound them): each part
/// counted and scattered on its own thread, the scatter moving each row's
/// time, kind, channel and event at once (no permutation, no gathers).
/// `times`: each part's [`LeanPart::times`], if known. Returns the
/// customers ascending, where each one's rows start (no final end) and the
/// rows in grouped order, each customer's in input order.
fn lean_scatter(
    parts: &[LeanPart<'_>],
    k: usize,
    codes: (u16, u16, u32),
    times: Option<Vec<Option<(i64, i64, bool)>>>,
) -> Result<(Vec<CustomerId>, Vec<u32>, LeanRows)> {
    let n: usize = parts.iter().map(|p| p.customer.len()).sum();
    let ids: Vec<&[u64]> = parts.iter().map(|p| p.customer).collect();
    let times = match times {
        Some(t) => t,
        None => run_jobs(parts.iter().map(|p| move || p.times()).collect())?,
    };
    let mut counted = super::slice::count_parts(&ids, k)?;
    // One word per row when the times and codes fit.
    let mut narrow = None;
    let mut all = times.iter();
    if let Some(&Some((min0, max0, whole0))) = all.next() {
        let (mut min, mut max, mut whole) = (min0, max0, whole0);
        for t in all {
            let Some((lo, hi, w)) = *t else {
                whole = false;
                break;
            };
            whole &= w && (i128::from(lo) - i128::from(min0)).rem_euclid(1_000_000) == 0;
            min = min.min(lo);
            max = max.max(hi);
        }
        if whole {
            narrow = Narrow::of(min, max, codes.0, codes.1, codes.2);
        }
    }
    let rows = match narrow {
        Some(packing) => {
            let rows: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
            counted.scatter(&ids, |place, part, i| {
                if let (Some(p), Some(r)) = (parts.get(part), rows.get(place)) {
                    let (time, kind, channel, event) = p.row(i);
                    r.store(packing.pack(time, kind, channel, event), Relaxed);
                }
            })?;
            LeanRows::Narrow(rows, packing)
        }
        None => {
            let rows: Vec<LeanRow> = (0..n).map(|_| LeanRow::default()).collect();
            counted.scatter(&ids, |place, part, i| {
                if let (Some(p), Some(r)) = (parts.get(part), rows.get(place)) {
                    let (time, kind, channel, event) = p.row(i);
                    r.0.store(time as u64, Relaxed);
                    r.1.store(
                        (u64::from(kind) << 48) | (u64::from(channel) << 32) | u64::from(event),
                        Relaxed,
                    );
                }
            })?;
            LeanRows::Wide(rows)
        }
    };
    let customers = std::mem::take(&mut counted.customers);
    let offsets = std::mem::take(&mut counted.offsets);
    Ok((customers, offsets, rows))
}

/// Writes the grouped rows of a [`lean`] grouping into the time, kind,
/// channel and event columns (`n` rows each; an empty event column stays
/// empty), each customer's rows (starting at `offsets`) in order, one half
/// of the rows per thread when `threads` > 1.
fn lean_write(rows: &LeanRows, offsets: &[u32], threads: usize, cols: &mut Columns) -> Result<()> {
    let n = rows.len();
    // The halves of the rows, cut at a customer boundary.
    let half = offsets.partition_point(|&o| (o as usize) < n / 2);
    let mid = offsets.get(half).map_or(n, |&o| o as usize);
    let (runs_a, runs_b) = offsets.split_at(half);
    let Columns {
        time,
        kind,
        channel,
        event,
        ..
    } = cols;
    let (time_a, time_b) = split_at_most(time, mid);
    let (kind_a, kind_b) = split_at_most(kind, mid);
    let (channel_a, channel_b) = split_at_most(channel, mid);
    let (event_a, event_b) = split_at_most(event, mid);
    let a = LeanOut {
        time: time_a,
        kind: kind_a,
        channel: channel_a,
        event: event_a,
    };
    let b = LeanOut {
        time: time_b,
        kind: kind_b,
        channel: channel_b,
        event: event_b,
    };
    let done = std::thread::scope(|s| {
        if threads > 1 {
            let second = s.spawn(|| b.write(rows, runs_b, mid, n));
            a.write(rows, runs_a, 0, mid);
            second.join().is_ok()
        } else {
            b.write(rows, runs_b, mid, n);
            a.write(rows, runs_a, 0, mid);
            true
        }
    });
    if done {
        Ok(())
    } else {
        Err(Error::NumericFailure {
            what: "an event-log builder thread panicked".into(),
        })
    }
}

/// The first `m` rows of a column (at most all) and the rest.
fn split_at_most<T>(col: &mut [T], m: usize) -> (&mut [T], &mut [T]) {
    let m = m.min(col.len());
    col.split_at_mut(m)
}

/// The columns [`lean_write`] writes, for one range of rows.
struct LeanOut<'a> {
    time: &'a mut [i64],
    kind: &'a mut [u16],
    channel: &'a mut [u16],
    /// Empty when the log has no event column.
    event: &'a mut [u32],
}

impl LeanOut<'_> {
    /// Writes rows `base..end` of `rows` (customers' runs starting at
    /// `starts`), each run in order.
    fn write(self, rows: &LeanRows, starts: &[u32], base: usize, end: usize) {
        let mut run: Vec<(u64, u64)> = Vec::new();
        for (lo, hi) in run_bounds(starts, end) {
            run.clear();
            // Times compare as signed: the sign bit flipped, as unsigned.
            run.extend(
                (lo..hi)
                    .filter_map(|i| rows.get(i))
                    .map(|(t, low)| (t as u64 ^ (1 << 63), low)),
            );
            if run.windows(2).any(|w| matches!(w, [x, y] if x > y)) {
                // Rows equal in both words are equal in every column.
                run.sort_unstable();
            }
            let (lo, hi) = (lo.saturating_sub(base), hi.saturating_sub(base));
            for (i, &(t, low)) in (lo..hi).zip(&run) {
                if let Some(x) = self.time.get_mut(i) {
                    *x = (t ^ (1 << 63)) as i64;
                }
                if let Some(x) = self.kind.get_mut(i) {
                    *x = (low >> 48) as u16;
                }
                if let Some(x) = self.channel.get_mut(i) {
                    *x = (low >> 32) as u16;
                }
                if let Some(x) = self.event.get_mut(i) {
                    *x = (low as u32).wrapping_sub(1);
                }
            }
        }
    }
}

/// Gathers the row times of `perm` (the rows from `base` on) into `time`,
/// then puts each run of one customer (starting at `starts`, relative to the
/// whole; the last ending at `end`) in order of time, then [`tie`].
fn order_runs(
    perm: &mut [u32],
    time: &mut [i64],
    starts: &[u32],
    base: usize,
    end: u32,
    cols: &Columns,
    dicts: &Dictionaries,
) {
    let cmp_rows = |a: u32, b: u32| {
        let (a, b) = (a as usize, b as usize);
        cols.time
            .get(a)
            .cmp(&cols.time.get(b))
            .then_with(|| tie(cols, dicts, a, b))
    };
    for (t, &p) in time.iter_mut().zip(perm.iter()) {
        *t = cols.time.get(p as usize).copied().unwrap_or(0);
    }
    for (lo, hi) in run_bounds(starts, end as usize) {
        let (lo, hi) = (lo.saturating_sub(base), hi.saturating_sub(base));
        let (Some(run), Some(times)) = (perm.get_mut(lo..hi), time.get_mut(lo..hi)) else {
            continue;
        };
        let unordered = times
            .windows(2)
            .zip(run.windows(2))
            .any(|(t, p)| match (t, p) {
                ([a, b], _) if a != b => a > b,
                (_, [a, b]) => cmp_rows(*a, *b).is_gt(),
                _ => false,
            });
        if unordered {
            run.sort_by(|&a, &b| cmp_rows(a, b));
            for (t, &p) in times.iter_mut().zip(run.iter()) {
                *t = cols.time.get(p as usize).copied().unwrap_or(0);
            }
        }
    }
}

/// `f` of each half of `rows`, the halves on two threads when there are
/// many rows (else both on this one; the second half may be empty), through
/// [`run_jobs`]: a panic in either is an error.
fn halves<T: Copy + Send + Sync, R: Send>(
    rows: &[T],
    f: impl Fn(&[T]) -> R + Sync,
) -> Result<[R; 2]> {
    let (a, b) = rows.split_at(rows.len() / 2);
    if rows.len() < 1 << 16 {
        return Ok([f(a), f(b)]);
    }
    let f = &f;
    let jobs = [b, a].into_iter().map(|part| move || f(part)).collect();
    let mut done = run_jobs(jobs)?.into_iter();
    match (done.next(), done.next()) {
        (Some(second), Some(first)) => Ok([first, second]),
        _ => Err(Error::NumericFailure {
            what: "an event-log builder thread gave no result".into(),
        }),
    }
}

/// Provisional ids of text keys carry this bit (integer keys stay below it).
const TEXT_KEY: u64 = 1 << 63;

/// The customer keys of a keyed log in final id order: integer keys
/// ascending, then the used text keys in byte order.
struct KeyOrder {
    numbers: Vec<u64>,
    texts: Dictionary,
    /// Keys in `texts` of the used text keys, in byte order of the keys.
    order: Vec<u32>,
}

impl KeyOrder {
    fn len(&self) -> usize {
        self.numbers.len() + self.order.len()
    }

    /// The keys as a dictionary whose keys are the customers' final ids.
    fn into_dictionary(self) -> Dictionary {
        let mut out = Dictionary::with_capacity(self.len());
        let mut digits = [b'0'; 20];
        for &v in &self.numbers {
            // Distinct values have distinct decimal spellings (written here
            // without the formatting machinery: 1M keys and more are common).
            let mut at = digits.len();
            let mut rest = v;
            loop {
                at -= 1;
                if let Some(d) = digits.get_mut(at) {
                    *d = b'0' + (rest % 10) as u8;
                }
                rest /= 10;
                if rest == 0 || at == 0 {
                    break;
                }
            }
            if let Some(text) = digits.get(at..).and_then(|d| std::str::from_utf8(d).ok()) {
                let _ = out.push_new(text);
            }
        }
        for &i in &self.order {
            // Distinct keys: no lookup.
            let _ = out.push_new(self.texts.value(i).unwrap_or(""));
        }
        out
    }
}

/// Numbers the customers of a keyed log (see
/// [`EventLogBuilder::customer_for_key`]), rewrites the customer column, and
/// returns every customer's key in final id order.
fn number_keys(texts: Option<Dictionary>, customer: &mut [u64]) -> Result<KeyOrder> {
    let texts = texts.unwrap_or_default();
    // The integer keys ascending; when they are dense (at most about two
    // per row), from a table of their ranks by value rather than from a sort
    // of every row's key and a binary search per row.
    let max = halves(customer, |part| {
        part.iter().copied().filter(|&c| c < TEXT_KEY).max()
    })?
    .into_iter()
    .flatten()
    .max();
    let dense = max
        .and_then(|m| usize::try_from(m).ok())
        .filter(|&m| m <= 2 * customer.len() + 1024);
    let mut ranks: Vec<u32> = Vec::new();
    let numbers: Vec<u64> = match dense {
        Some(m) => {
            // Each half of the rows marks the keys it has in a table of its
            // own; a key is used when either half has it.
            let [seen_a, seen_b] = halves(customer, |part| {
                let mut seen = vec![false; m + 1];
                for &c in part {
                    if let Some(s) = seen.get_mut(c as usize) {
                        *s = true;
                    }
                }
                seen
            })?;
            ranks = vec![u32::MAX; m + 1];
            let mut numbers = Vec::new();
            for (v, r) in ranks.iter_mut().enumerate() {
                if seen_a.get(v) == Some(&true) || seen_b.get(v) == Some(&true) {
                    *r = numbers.len() as u32;
                    numbers.push(v as u64);
                }
            }
            numbers
        }
        None => {
            let mut numbers: Vec<u64> =
                customer.iter().copied().filter(|&c| c < TEXT_KEY).collect();
            numbers.sort_unstable();
            numbers.dedup();
            numbers
        }
    };
    // Only text keys that rows use get a customer (a key handed out by
    // `customer_for_key` but never pushed is no customer).
    let mut used = vec![false; texts.len()];
    if !texts.is_empty() {
        for &c in customer.iter() {
            if c >= TEXT_KEY
                && let Some(u) = used.get_mut((c & !TEXT_KEY) as usize)
            {
                *u = true;
            }
        }
    }
    if !used.contains(&true) {
        // Integer keys only: the ids are the keys.
        return Ok(KeyOrder {
            numbers,
            texts,
            order: Vec::new(),
        });
    }
    let mut order: Vec<u32> = (0..texts.len() as u32)
        .filter(|&i| used.get(i as usize) == Some(&true))
        .collect();
    order.sort_unstable_by(|&a, &b| texts.value(a).cmp(&texts.value(b)));
    let base = numbers.len() as u64;
    let mut text_id = vec![0u64; texts.len()];
    for (rank, &i) in order.iter().enumerate() {
        if let Some(slot) = text_id.get_mut(i as usize) {
            *slot = base + rank as u64;
        }
    }
    for c in customer.iter_mut() {
        *c = if *c >= TEXT_KEY {
            text_id.get((*c & !TEXT_KEY) as usize).copied().unwrap_or(0)
        } else if !ranks.is_empty() {
            u64::from(ranks.get(*c as usize).copied().unwrap_or(0))
        } else {
            numbers.binary_search(c).map_or(0, |r| r as u64)
        };
    }
    Ok(KeyOrder {
        numbers,
        texts,
        order,
    })
}

/// Sorts the currency table by code and rewrites the currency column; rows
/// without a value get code 0, so the column never depends on how rows were
/// joined.
fn canonical_currencies(col: &mut [u8], value: &[i64], table: &mut Vec<Currency>) {
    let mut sorted = table.clone();
    sorted.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    let map: Vec<u8> = table
        .iter()
        .map(|c| sorted.iter().position(|s| s == c).unwrap_or(0) as u8)
        .collect();
    for (k, &v) in col.iter_mut().zip(value) {
        *k = if v == NULL_MONEY {
            0
        } else {
            map.get(usize::from(*k)).copied().unwrap_or(0)
        };
    }
    *table = sorted;
}

pub(super) fn remap16(col: &mut [u16], map: &[u16]) {
    for c in col {
        if let Some(&n) = map.get(usize::from(*c)) {
            *c = n;
        }
    }
}

pub(super) fn pad(c: &mut Columns, n: usize) {
    fn p<T: Copy>(col: &mut Vec<T>, n: usize, null: T) {
        if !col.is_empty() && col.len() < n {
            col.resize(n, null);
        }
    }
    p(&mut c.nanos, n, 0);
    p(&mut c.event, n, NULL_KEY);
    p(&mut c.order, n, NULL_KEY);
    p(&mut c.product, n, NULL_KEY);
    p(&mut c.category, n, NULL_KEY);
    p(&mut c.campaign, n, NULL_KEY);
    p(&mut c.value, n, NULL_MONEY);
    p(&mut c.currency, n, 0);
    p(&mut c.discounted, n, false);
    p(&mut c.device, n, 0);
    p(&mut c.payment, n, 0);
    p(&mut c.checkout, n, 0);
    p(&mut c.stage, n, 0);
    p(&mut c.promised, n, NULL_TIME);
    p(&mut c.promised_nanos, n, 0);
}

fn gather<T: Copy + Default>(col: &mut Vec<T>, perm: &[u32]) {
    if col.is_empty() {
        return;
    }
    *col = gathered(col, perm);
}

/// `col` in the order of `perm` (a permutation of its indices), allocated
/// once at its final size.
fn gathered<T: Copy + Default>(col: &[T], perm: &[u32]) -> Vec<T> {
    perm.iter()
        .map(|&i| col.get(i as usize).copied().unwrap_or_default())
        .collect()
}

/// Reorders every column by `perm`, the columns split over two threads.
fn permute(c: &mut Columns, perm: &[u32]) {
    let Columns {
        time,
        nanos,
        kind,
        channel,
        event,
        order,
        product,
        category,
        campaign,
        value,
        currency,
        discounted,
        device,
        payment,
        checkout,
        stage,
        promised,
        promised_nanos,
    } = c;
    std::thread::scope(|s| {
        s.spawn(|| {
            gather(time, perm);
            gather(nanos, perm);
            gather(event, perm);
            gather(product, perm);
            gather(category, perm);
            gather(device, perm);
            gather(payment, perm);
        });
        gather(kind, perm);
        gather(channel, perm);
        gather(order, perm);
        gather(campaign, perm);
        gather(value, perm);
        gather(currency, perm);
        gather(discounted, perm);
        gather(checkout, perm);
        gather(stage, perm);
        gather(promised, perm);
        gather(promised_nanos, perm);
    });
}

/// The order of two rows with the same customer and microsecond: the
/// nanoseconds below it, then the order of
/// [`Touchpoint`]'s fields after them (kind, channel, event, stage, device,
/// order, value, discounted, checkout, payment, promised delivery, product,
/// category, campaign), absent before present.
pub(crate) fn tie(c: &Columns, d: &Dictionaries, a: usize, b: usize) -> Ordering {
    fn key(col: &[u32], i: usize) -> u32 {
        col.get(i).map_or(0, |k| k.wrapping_add(1))
    }
    fn small<T: Copy + Default>(col: &[T], i: usize) -> T {
        col.get(i).copied().unwrap_or_default()
    }
    let money = |i: usize| {
        let v = c.value.get(i).copied().unwrap_or(NULL_MONEY);
        if v == NULL_MONEY {
            None
        } else {
            let cur = c
                .currency
                .get(i)
                .and_then(|&k| d.currencies.get(usize::from(k)));
            Some((v, cur.map(|c| c.as_str().to_owned())))
        }
    };
    let time = |col: &[i64], i: usize| col.get(i).copied().unwrap_or(NULL_TIME);
    small(&c.nanos, a)
        .cmp(&small(&c.nanos, b))
        .then_with(|| small(&c.kind, a).cmp(&small(&c.kind, b)))
        .then_with(|| small(&c.channel, a).cmp(&small(&c.channel, b)))
        .then_with(|| key(&c.event, a).cmp(&key(&c.event, b)))
        .then_with(|| small(&c.stage, a).cmp(&small(&c.stage, b)))
        .then_with(|| small(&c.device, a).cmp(&small(&c.device, b)))
        .then_with(|| key(&c.order, a).cmp(&key(&c.order, b)))
        .then_with(|| money(a).cmp(&money(b)))
        .then_with(|| small(&c.discounted, a).cmp(&small(&c.discounted, b)))
        .then_with(|| small(&c.checkout, a).cmp(&small(&c.checkout, b)))
        .then_with(|| small(&c.payment, a).cmp(&small(&c.payment, b)))
        .then_with(|| time(&c.promised, a).cmp(&time(&c.promised, b)))
        .then_with(|| small(&c.promised_nanos, a).cmp(&small(&c.promised_nanos, b)))
        .then_with(|| key(&c.product, a).cmp(&key(&c.product, b)))
        .then_with(|| key(&c.category, a).cmp(&key(&c.category, b)))
        .then_with(|| key(&c.campaign, a).cmp(&key(&c.campaign, b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parts of a lean log finished together give the log one builder of
    /// every row gives, whichever part saw which custom kind, channel or
    /// event first, with and without events, for 1 to 4 parts.
    #[test]
    fn lean_parts_finish_as_one_builder() {
        use crate::model::{BuiltinChannel, BuiltinKind, TouchpointKind};
        use chrono::{TimeDelta, TimeZone, Utc};
        let mut next = super::super::xorshift(0x2545_f491_4f6c_dd1d);
        let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 0, 0, 0).unwrap();
        let customs: Vec<TouchpointKind> = ["zz", "aa", "mm"]
            .iter()
            .map(|n| TouchpointKind::custom(n).unwrap())
            .collect();
        let channels: Vec<Channel> = vec![
            BuiltinChannel::ALL[0].into(),
            BuiltinChannel::ALL[1].into(),
            "tiktok_shop".parse().unwrap(),
            "zalo".parse().unwrap(),
        ];
        let events = ["view", "cart", "buy", "zeta", "alpha"];
        for (rows, customers, with_event) in [
            (5_000usize, 300u64, true),
            (9_000, 2_000, false),
            (3, 2, true),
        ] {
            let table: Vec<(u64, i64, usize, usize, usize)> = (0..rows)
                .map(|_| {
                    (
                        next(customers),
                        next(6) as i64,
                        next(12) as usize,
                        next(4) as usize,
                        next(5) as usize,
                    )
                })
                .collect();
            let push = |b: &mut EventLogBuilder, r: &(u64, i64, usize, usize, usize)| {
                let kind: TouchpointKind = match customs.get(r.2) {
                    Some(k) => k.clone(),
                    None => BuiltinKind::ALL[r.2 % BuiltinKind::ALL.len()].into(),
                };
                let id = b.customer_for_key(&r.0.to_string()).unwrap();
                let mut row =
                    NewRow::new(id, t0 + TimeDelta::seconds(r.1), &kind).channel(&channels[r.3]);
                if with_event && r.4 != 0 {
                    row = row.event(events[r.4]);
                }
                b.push_row(&row).unwrap();
            };
            let config = JourneyConfig::default();
            let mut one = EventLogBuilder::new(&config).unwrap();
            for r in &table {
                push(&mut one, r);
            }
            let expected = one.finish().unwrap();
            for parts in 1..=4 {
                let mut builders: Vec<EventLogBuilder> = (0..parts)
                    .map(|_| EventLogBuilder::new(&config).unwrap())
                    .collect();
                let chunk = rows.div_ceil(parts);
                for (i, r) in table.iter().enumerate() {
                    push(&mut builders[i / chunk], r);
                }
                let log = EventLogBuilder::finish_parts(builders).unwrap();
                assert_eq!(log, expected, "{rows} rows, {parts} parts");
            }
        }
    }

    /// The lean grouping gives the columns and customers the general one
    /// gives, for logs with and without an event column, small and large
    /// (two threads), with unordered runs and ties.
    #[test]
    fn lean_grouping_equals_the_general_one() {
        let mut next = super::super::xorshift(0x9e37_79b9_7f4a_7c15);
        for (n, customers, with_event, unit) in [
            (1usize, 1u64, true, 1),
            (50, 7, false, 1),
            (3000, 400, true, 1),
            (3000, 400, true, 1_000_000),
            (70_000, 9_000, true, 1),
            (70_000, 9_000, true, 1_000_000),
            (70_000, 20_000, false, 1_000_000),
            (70_000, 20_000, false, 1),
        ] {
            let customer: Vec<u64> = (0..n).map(|_| next(customers)).collect();
            let mut cols = Columns {
                time: (0..n).map(|_| (next(4) as i64 - 2) * unit + 7).collect(),
                kind: (0..n).map(|_| next(3) as u16).collect(),
                channel: (0..n).map(|_| next(2) as u16).collect(),
                ..Columns::default()
            };
            if with_event {
                cols.event = (0..n)
                    .map(|_| match next(4) {
                        0 => NULL_KEY,
                        k => k as u32,
                    })
                    .collect();
            }
            assert!(lean(&cols));
            // Codes within the dictionaries, as a builder's are.
            let mut dicts = Dictionaries::default();
            for e in ["a", "b", "c", "d"] {
                dicts.events.intern(e).unwrap();
            }
            let mut general = cols.clone();
            let a = group_with(customer.clone(), &mut cols, &dicts, true).unwrap();
            let b = group_with(customer, &mut general, &dicts, false).unwrap();
            assert_eq!(a, b, "{n} rows");
            assert_eq!(cols, general, "{n} rows");
        }
    }
}
