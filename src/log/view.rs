//! Borrowed views of one customer's rows.

use chrono::{DateTime, TimeDelta, Utc};

use super::dict::NULL_KEY;
use super::{EventLog, NULL_MONEY, NULL_TIME, decode, row_time};
use crate::journey::{JourneyConfig, Session, StageVisit};
use crate::model::{
    BuiltinKind, CampaignId, CategoryId, Channel, CheckoutType, CustomerId, Device, EventName,
    Money, OrderId, PaymentMethod, ProductId, Stage, Touchpoint, TouchpointKind,
};

const ORDER_COMPLETED: u16 = BuiltinKind::OrderCompleted as u16;

/// One customer's rows of an [`EventLog`], in journey order: what every
/// analysis takes. Cheap to copy (a reference and a range).
///
/// The same questions as [`Journey`](crate::Journey) answers, computed from
/// the columns on demand: rows, sessions, the stage path, the current and
/// furthest stage, the first order.
#[derive(Debug, Clone, Copy)]
pub struct JourneyView<'a> {
    log: &'a EventLog,
    index: usize,
    start: usize,
    end: usize,
}

/// One row of a [`JourneyView`]: accessors read the log's columns.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    log: &'a EventLog,
    i: usize,
}

fn key_at(col: &[u32], i: usize) -> Option<u32> {
    col.get(i).copied().filter(|&k| k != NULL_KEY)
}

impl<'a> Row<'a> {
    /// The time, to the nanosecond.
    #[must_use]
    pub fn at(&self) -> DateTime<Utc> {
        row_time(self.micros(), self.nanos())
    }

    /// The nanoseconds below the microsecond (0 when the log has none).
    #[must_use]
    pub fn nanos(&self) -> u16 {
        self.log.cols.nanos.get(self.i).copied().unwrap_or(0)
    }

    /// The time in whole microseconds since the Unix epoch (UTC), truncated.
    #[must_use]
    pub fn micros(&self) -> i64 {
        self.log.cols.time.get(self.i).copied().unwrap_or_default()
    }

    /// The kind code (built-in kinds: [`BuiltinKind::index`]).
    #[must_use]
    pub fn kind_code(&self) -> u16 {
        self.log.cols.kind.get(self.i).copied().unwrap_or_default()
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> &'a TouchpointKind {
        static FALLBACK: TouchpointKind = TouchpointKind::Builtin(BuiltinKind::AdImpression);
        self.log
            .dicts
            .kinds
            .get(self.kind_code())
            .unwrap_or(&FALLBACK)
    }

    /// The built-in kind, if it is one.
    #[must_use]
    pub fn builtin_kind(&self) -> Option<BuiltinKind> {
        BuiltinKind::ALL.get(usize::from(self.kind_code())).copied()
    }

    /// Whether the row is of built-in kind `kind`.
    #[must_use]
    pub fn is(&self, kind: BuiltinKind) -> bool {
        self.kind_code() == kind as u16
    }

    /// The channel.
    #[must_use]
    pub fn channel(&self) -> &'a Channel {
        let code = self
            .log
            .cols
            .channel
            .get(self.i)
            .copied()
            .unwrap_or_default();
        self.log
            .dicts
            .channels
            .get(code)
            .unwrap_or(&Channel::DIRECT)
    }

    /// The channel code (built-in channels: their canonical index).
    #[must_use]
    pub fn channel_code(&self) -> u16 {
        self.log
            .cols
            .channel
            .get(self.i)
            .copied()
            .unwrap_or_default()
    }

    /// The source event name, or the kind's name when none was given.
    #[must_use]
    pub fn event_name(&self) -> &'a str {
        match self.event() {
            Some(e) => e,
            None => self.kind().as_str(),
        }
    }

    /// The source event name, if one was given.
    #[must_use]
    pub fn event(&self) -> Option<&'a str> {
        self.log.dicts.events.value(self.event_key()?)
    }

    /// Key of the source event name in [`EventLog::event_names`].
    #[must_use]
    pub fn event_key(&self) -> Option<u32> {
        key_at(&self.log.cols.event, self.i)
    }

    /// The explicit stage override, if any.
    #[must_use]
    pub fn stage_override(&self) -> Option<Stage> {
        decode(
            Stage::ALL,
            self.log.cols.stage.get(self.i).copied().unwrap_or(0),
        )
    }

    /// The stage: the override, else the kind's default.
    #[must_use]
    pub fn stage(&self) -> Option<Stage> {
        self.stage_override()
            .or_else(|| self.builtin_kind().map(BuiltinKind::default_stage))
    }

    /// The device.
    #[must_use]
    pub fn device(&self) -> Option<Device> {
        decode(
            Device::ALL,
            self.log.cols.device.get(self.i).copied().unwrap_or(0),
        )
    }

    /// The payment method.
    #[must_use]
    pub fn payment(&self) -> Option<PaymentMethod> {
        decode(
            PaymentMethod::ALL,
            self.log.cols.payment.get(self.i).copied().unwrap_or(0),
        )
    }

    /// Guest or registered checkout.
    #[must_use]
    pub fn checkout(&self) -> Option<CheckoutType> {
        decode(
            CheckoutType::ALL,
            self.log.cols.checkout.get(self.i).copied().unwrap_or(0),
        )
    }

    /// The order id.
    #[must_use]
    pub fn order(&self) -> Option<&'a str> {
        self.log.dicts.orders.value(self.order_key()?)
    }

    /// Key of the order id in [`EventLog::orders`].
    #[must_use]
    pub fn order_key(&self) -> Option<u32> {
        key_at(&self.log.cols.order, self.i)
    }

    /// The product id.
    #[must_use]
    pub fn product(&self) -> Option<&'a str> {
        self.log.dicts.products.value(self.product_key()?)
    }

    /// Key of the product id in [`EventLog::products`].
    #[must_use]
    pub fn product_key(&self) -> Option<u32> {
        key_at(&self.log.cols.product, self.i)
    }

    /// The category.
    #[must_use]
    pub fn category(&self) -> Option<&'a str> {
        self.log.dicts.categories.value(self.category_key()?)
    }

    /// Key of the category in [`EventLog::categories`].
    #[must_use]
    pub fn category_key(&self) -> Option<u32> {
        key_at(&self.log.cols.category, self.i)
    }

    /// The campaign.
    #[must_use]
    pub fn campaign(&self) -> Option<&'a str> {
        self.log.dicts.campaigns.value(self.campaign_key()?)
    }

    /// Key of the campaign in [`EventLog::campaigns`].
    #[must_use]
    pub fn campaign_key(&self) -> Option<u32> {
        key_at(&self.log.cols.campaign, self.i)
    }

    /// The money value.
    #[must_use]
    pub fn value(&self) -> Option<Money> {
        let minor = self
            .log
            .cols
            .value
            .get(self.i)
            .copied()
            .filter(|&v| v != NULL_MONEY)?;
        let cur = self.log.cols.currency.get(self.i).copied().unwrap_or(0);
        let currency = *self.log.dicts.currencies.get(usize::from(cur))?;
        Money::new(minor, currency).ok()
    }

    /// Whether the price was discounted (`false` when the log has no such column).
    #[must_use]
    pub fn discounted(&self) -> bool {
        self.log
            .cols
            .discounted
            .get(self.i)
            .copied()
            .unwrap_or(false)
    }

    /// The promised delivery time.
    #[must_use]
    pub fn promised_delivery(&self) -> Option<DateTime<Utc>> {
        let us = self
            .log
            .cols
            .promised
            .get(self.i)
            .copied()
            .filter(|&v| v != NULL_TIME)?;
        let ns = self
            .log
            .cols
            .promised_nanos
            .get(self.i)
            .copied()
            .unwrap_or(0);
        Some(row_time(us, ns))
    }

    /// The row as an owned [`Touchpoint`] of `customer`.
    #[must_use]
    pub fn to_touchpoint(&self, customer: CustomerId) -> Touchpoint {
        let mut t = Touchpoint::new(customer, self.at(), self.kind().clone())
            .with_channel(self.channel().clone())
            .with_discounted(self.discounted());
        t.event = self.event().map(EventName::new);
        t.stage = self.stage_override();
        t.device = self.device();
        t.order = self.order().map(OrderId::new);
        t.value = self.value();
        t.checkout = self.checkout();
        t.payment = self.payment();
        t.promised_delivery = self.promised_delivery();
        t.product = self.product().map(ProductId::new);
        t.category = self.category().map(CategoryId::new);
        t.campaign = self.campaign().map(CampaignId::new);
        t
    }
}

impl<'a> JourneyView<'a> {
    pub(crate) fn new(log: &'a EventLog, index: usize, start: usize, end: usize) -> Self {
        JourneyView {
            log,
            index,
            start,
            end,
        }
    }

    /// The log this view borrows.
    #[must_use]
    pub fn log(&self) -> &'a EventLog {
        self.log
    }

    /// The customer.
    #[must_use]
    pub fn customer(&self) -> CustomerId {
        self.log
            .customers
            .get(self.index)
            .copied()
            .unwrap_or(CustomerId(0))
    }

    /// The customer's dense index in the log.
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// The caller's own key of the customer, if the log was built from keys.
    #[must_use]
    pub fn customer_key(&self) -> Option<&'a str> {
        self.log
            .customer_keys
            .as_ref()?
            .value(u32::try_from(self.index).ok()?)
    }

    /// How sessions and stages are cut.
    #[must_use]
    pub fn config(&self) -> &'a JourneyConfig {
        &self.log.config
    }

    /// The number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the view has no rows (never for views of a log's customers).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Row `i` (0-based within the journey).
    #[must_use]
    pub fn row(&self, i: usize) -> Option<Row<'a>> {
        (i < self.len()).then_some(Row {
            log: self.log,
            i: self.start + i,
        })
    }

    /// The rows in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = Row<'a>> + DoubleEndedIterator + 'a {
        let log = self.log;
        (self.start..self.end).map(move |i| Row { log, i })
    }

    /// The time column of this journey: whole microseconds since the epoch,
    /// UTC (any nanoseconds below are in [`Row::nanos`]).
    #[must_use]
    pub fn times(&self) -> &'a [i64] {
        self.log.cols.time.get(self.start..self.end).unwrap_or(&[])
    }

    /// The kind codes of this journey (built-in kinds at [`BuiltinKind::index`]).
    #[must_use]
    pub fn kind_codes(&self) -> &'a [u16] {
        self.log.cols.kind.get(self.start..self.end).unwrap_or(&[])
    }

    /// The channel codes of this journey.
    #[must_use]
    pub fn channel_codes(&self) -> &'a [u16] {
        self.log
            .cols
            .channel
            .get(self.start..self.end)
            .unwrap_or(&[])
    }

    /// The event-name keys ([`NULL_KEY`]: none); empty when the log has none.
    #[must_use]
    pub fn event_keys(&self) -> &'a [u32] {
        self.log.cols.event.get(self.start..self.end).unwrap_or(&[])
    }

    /// The product keys ([`NULL_KEY`]: none); empty when the log has none.
    #[must_use]
    pub fn product_keys(&self) -> &'a [u32] {
        self.log
            .cols
            .product
            .get(self.start..self.end)
            .unwrap_or(&[])
    }

    /// The category keys ([`NULL_KEY`]: none); empty when the log has none.
    #[must_use]
    pub fn category_keys(&self) -> &'a [u32] {
        self.log
            .cols
            .category
            .get(self.start..self.end)
            .unwrap_or(&[])
    }

    /// The order-id keys ([`NULL_KEY`]: none); empty when the log has none.
    #[must_use]
    pub fn order_keys(&self) -> &'a [u32] {
        self.log.cols.order.get(self.start..self.end).unwrap_or(&[])
    }

    /// The campaign keys ([`NULL_KEY`]: none); empty when the log has none.
    #[must_use]
    pub fn campaign_keys(&self) -> &'a [u32] {
        self.log
            .cols
            .campaign
            .get(self.start..self.end)
            .unwrap_or(&[])
    }

    /// The money values in minor units (`i64::MIN`: none; the currency is in
    /// [`Row::value`]); empty when the log has none.
    #[must_use]
    pub fn value_minors(&self) -> &'a [i64] {
        self.log.cols.value.get(self.start..self.end).unwrap_or(&[])
    }

    /// The discounted flags; empty when the log has none (then no row is
    /// discounted).
    #[must_use]
    pub fn discounted_flags(&self) -> &'a [bool] {
        self.log
            .cols
            .discounted
            .get(self.start..self.end)
            .unwrap_or(&[])
    }

    /// The rows as owned touchpoints.
    #[must_use]
    pub fn touchpoints(&self) -> Vec<Touchpoint> {
        let c = self.customer();
        self.rows().map(|r| r.to_touchpoint(c)).collect()
    }

    /// The sessions: runs without an inactivity gap longer than the
    /// configured session gap.
    #[must_use]
    pub fn sessions(&self) -> Sessions<'a> {
        Sessions {
            view: *self,
            pos: 0,
            gap: self.log.config.session_gap,
        }
    }

    /// Index of the first completed order.
    #[must_use]
    pub fn first_order_index(&self) -> Option<usize> {
        self.kind_codes().iter().position(|&k| k == ORDER_COMPLETED)
    }

    /// Whether the customer completed at least one order.
    #[must_use]
    pub fn converted(&self) -> bool {
        self.first_order_index().is_some()
    }

    /// The number of completed orders.
    #[must_use]
    pub fn orders(&self) -> usize {
        self.kind_codes()
            .iter()
            .filter(|&&k| k == ORDER_COMPLETED)
            .count()
    }

    /// The first row's time.
    #[must_use]
    pub fn first_touch_at(&self) -> DateTime<Utc> {
        self.row(0).map_or(DateTime::<Utc>::MIN_UTC, |r| r.at())
    }

    /// The last row's time.
    #[must_use]
    pub fn last_touch_at(&self) -> DateTime<Utc> {
        self.len()
            .checked_sub(1)
            .and_then(|i| self.row(i))
            .map_or(DateTime::<Utc>::MIN_UTC, |r| r.at())
    }

    /// When the first order was completed.
    #[must_use]
    pub fn first_order_at(&self) -> Option<DateTime<Utc>> {
        self.first_order_index()
            .and_then(|i| self.row(i))
            .map(|r| r.at())
    }

    /// From the first touch to the first completed order.
    #[must_use]
    pub fn time_to_first_order(&self) -> Option<TimeDelta> {
        self.first_order_at().map(|at| at - self.first_touch_at())
    }

    /// The stage the journey assigns to row `i`: its override, else its
    /// kind's default, moved to retention after the first order when the
    /// configuration says so.
    #[must_use]
    pub fn stage_of(&self, i: usize) -> Option<Stage> {
        let after = self.first_order_index().is_some_and(|f| f < i);
        contextual_stage(self.row(i)?, after, self.config())
    }

    /// The stages entered, in order, with entry time and time spent (see
    /// [`Journey::stage_path`](crate::Journey::stage_path)).
    #[must_use]
    pub fn stage_path(&self) -> StagePath<'a> {
        StagePath {
            view: *self,
            pos: 0,
            after_order: false,
            last: None,
        }
    }

    /// The stage of the last staged row.
    #[must_use]
    pub fn current_stage(&self) -> Option<Stage> {
        self.stage_path().last().map(|v| v.stage)
    }

    /// The furthest stage ever reached.
    #[must_use]
    pub fn furthest_stage(&self) -> Option<Stage> {
        self.stage_path().map(|v| v.stage).max()
    }
}

pub(crate) fn contextual_stage(
    row: Row<'_>,
    after_first_order: bool,
    config: &JourneyConfig,
) -> Option<Stage> {
    if let Some(s) = row.stage_override() {
        return Some(s);
    }
    let s = row.builtin_kind()?.default_stage();
    if after_first_order && config.repeat_activity_as_retention && s < Stage::Retention {
        Some(Stage::Retention)
    } else {
        Some(s)
    }
}

/// The sessions of a [`JourneyView`], in order.
#[derive(Debug, Clone)]
pub struct Sessions<'a> {
    view: JourneyView<'a>,
    pos: usize,
    gap: TimeDelta,
}

impl Iterator for Sessions<'_> {
    type Item = Session;

    fn next(&mut self) -> Option<Session> {
        let start = self.pos;
        let first = self.view.row(start)?.at();
        let mut end = start + 1;
        let mut last = first;
        while let Some(row) = self.view.row(end) {
            let t = row.at();
            if t - last > self.gap {
                break;
            }
            last = t;
            end += 1;
        }
        self.pos = end;
        Some(Session {
            start,
            end,
            started_at: first,
            ended_at: last,
        })
    }
}

/// The stage path of a [`JourneyView`]: one [`StageVisit`] per run of rows
/// in one stage.
#[derive(Debug, Clone)]
pub struct StagePath<'a> {
    view: JourneyView<'a>,
    pos: usize,
    after_order: bool,
    /// The visit being extended, returned when the next stage starts.
    last: Option<StageVisit>,
}

impl Iterator for StagePath<'_> {
    type Item = StageVisit;

    fn next(&mut self) -> Option<StageVisit> {
        let config = self.view.config();
        while let Some(row) = self.view.row(self.pos) {
            let i = self.pos;
            self.pos += 1;
            let stage = contextual_stage(row, self.after_order, config);
            if row.is(BuiltinKind::OrderCompleted) {
                self.after_order = true;
            }
            let Some(stage) = stage else { continue };
            match &mut self.last {
                Some(v) if v.stage == stage => v.touchpoints += 1,
                _ => {
                    let at = row.at();
                    let visit = StageVisit {
                        stage,
                        entered_at: at,
                        first: i,
                        touchpoints: 1,
                        time_spent: TimeDelta::zero(),
                    };
                    if let Some(mut done) = self.last.replace(visit) {
                        done.time_spent = at - done.entered_at;
                        return Some(done);
                    }
                }
            }
        }
        let mut done = self.last.take()?;
        done.time_spent = self.view.last_touch_at() - done.entered_at;
        Some(done)
    }
}
