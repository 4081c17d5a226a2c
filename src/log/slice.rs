//! Building an [`EventLog`] from a slice of touchpoints: each touchpoint
//! read once, in input order, and each row written once, in its final place.
//!
//! A builder fed row by row stores every column in arrival order and moves
//! each one through the grouping permutation at the end (a random read per
//! row and column). A slice is known in full before the first row is
//! stored, so [`EventLog::from_slice`] does this instead, the work cut in
//! parts, one thread each:
//!
//! 1. one sequential pass per input part: the customer ids (as `u32`), and
//!    every row's common fields as a 32-byte packed record ([`Rec`]: time,
//!    value, kind, channel, product and category keys, small codes), the
//!    rare fields (event, order, campaign, promised delivery) in
//!    input-order columns; strings interned into the part's own
//!    dictionaries through a small cache by string address ([`Interner`]);
//!    the records' and ids' memory comes zeroed from the allocator, so its
//!    pages are mapped by the threads that write them;
//! 2. a counting sort of the rows by customer id (dense ids only: at most
//!    about two per row and below 2^32; other ids go through the builder),
//!    each input part counted and scattered on its thread;
//! 3. the parts' dictionaries joined in value order (the canonical order),
//!    with each part's map of keys into them;
//! 4. each part of the grouped order (cut at customer boundaries) on its
//!    thread, a block of whole customers at a time: the block's records
//!    gathered (one cache line each), each customer's rows put in time
//!    order, the rows written into the log's columns (zeroed by the
//!    allocator, every row written here) with the joined keys;
//! 5. the rare columns gathered through the grouping, and runs of rows of
//!    one customer at one microsecond put in [`tie`] order, while another
//!    thread frees the records.
//!
//! The log is the one [`EventLogBuilder`](super::EventLogBuilder) gives for
//! the same rows, for any number of parts.

use super::build::{code_map, opt, pad, tie};
use super::codes::{Coded, Codes};
use super::dict::{Dictionary, NULL_KEY, join_sorted, remap};
use super::{
    Columns, Dictionaries, EventLog, MAX_ROWS, MAX_THREADS, NULL_MONEY, NULL_TIME, checkout_code,
    device_code, payment_code, run_bounds, run_jobs, split_time, stage_code,
};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use crate::error::{Error, Result};
use crate::journey::JourneyConfig;
use crate::model::{CheckoutType, Currency, CustomerId, Device, PaymentMethod, Stage, Touchpoint};

/// The log of `rows` on up to `threads` threads, or `None` when the builder
/// should make it (no rows, too many rows, or sparse customer ids).
pub(crate) fn from_slice(
    rows: &[Touchpoint],
    config: &JourneyConfig,
    threads: usize,
) -> Result<Option<EventLog>> {
    config.validate()?;
    let n = rows.len();
    if n == 0 || n > MAX_ROWS {
        return Ok(None);
    }
    let parts = threads.clamp(1, MAX_THREADS).min(n);
    // 1. Every touchpoint read once, in input order: its customer id, and
    // its fields as one packed record (the common fields) or in the part's
    // input-order columns (the rare ones), keys in the part's dictionaries.
    // Both zeroed by the allocator (pages mapped on first write, so the
    // scans on their threads fault them in, not this one).
    let mut cust = vec![0u32; n];
    let mut recs = Recs::zeroed(n);
    let chunk = n.div_ceil(parts);
    let jobs: Vec<_> = cust
        .chunks_mut(chunk)
        .zip(recs.parts_mut(chunk))
        .zip(rows.chunks(chunk))
        .map(|((c, r), rows)| move || scan(rows, c, r))
        .collect();
    let mut scans = Vec::with_capacity(parts);
    for s in run_jobs(jobs)? {
        scans.push(s?);
    }
    let max = scans.iter().map(|s| s.max).max().unwrap_or(0);
    let Some(k) = usize::try_from(max)
        .ok()
        .filter(|&m| m <= 2 * n + 1024 && u32::try_from(m).is_ok())
        .map(|m| m + 1)
    else {
        return Ok(None);
    };
    // 2. A counting sort by customer (stable: input order within each),
    // each part of the input counted and scattered on its own thread.
    let Grouping {
        mut perm,
        customers,
        mut offsets,
    } = counting_sort(&cust, k, parts)?;
    drop(cust);
    // 3. One set of dictionaries in canonical order, and each part's maps
    // into it.
    let joined = join(&mut scans, n)?;
    // 4. The grouped order cut in parts at customer boundaries; each part
    // gathers its records, puts its runs in time order and writes its rows
    // of the columns.
    let mut bounds = vec![0usize];
    for p in 1..parts {
        let target = n * p / parts;
        let i = offsets.partition_point(|&o| (o as usize) < target);
        let at = offsets.get(i).map_or(n, |&o| o as usize);
        bounds.push(at.max(bounds.last().copied().unwrap_or(0)));
    }
    bounds.push(n);
    let present = scans.iter().fold(0u32, |a, s| a | s.present);
    let mut cols = Columns::default();
    let col = |bit: u32| present & bit != 0;
    // Zeroed by the allocator: `unpack` writes every row of every column
    // here (nulls included), on its threads.
    let sized = |on: bool| if on { n } else { 0 };
    cols.time = vec![0; n];
    cols.kind = vec![0; n];
    cols.channel = vec![0; n];
    cols.discounted = vec![false; n];
    cols.nanos = vec![0; sized(col(NANOS))];
    cols.product = vec![0; sized(col(PRODUCT))];
    cols.category = vec![0; sized(col(CATEGORY))];
    cols.currency = vec![0; sized(col(VALUE))];
    cols.value = vec![0; sized(col(VALUE))];
    cols.device = vec![0; sized(col(DEVICE))];
    cols.payment = vec![0; sized(col(PAYMENT))];
    cols.checkout = vec![0; sized(col(CHECKOUT))];
    cols.stage = vec![0; sized(col(STAGE))];
    let lens: Vec<usize> = rows.chunks(chunk).map(<[Touchpoint]>::len).collect();
    let ties: Vec<(u32, u32)> = {
        let mut jobs = Vec::with_capacity(parts);
        let mut out = Out::of(&mut cols);
        let mut perm_rest = perm.as_mut_slice();
        let (recs, offsets, joined) = (&recs, &offsets, &joined);
        let part_of = PartOf::new(chunk);
        for w in bounds.windows(2) {
            let [lo, hi] = *w else { continue };
            let (p, pr) = perm_rest.split_at_mut(hi - lo);
            perm_rest = pr;
            let (o, or) = out.split_at(hi - lo);
            out = or;
            let starts = {
                let a = offsets.partition_point(|&o| (o as usize) < lo);
                let b = offsets.partition_point(|&o| (o as usize) < hi);
                offsets.get(a..b).unwrap_or(&[])
            };
            jobs.push(move || unpack(recs, p, o, starts, lo, joined, part_of));
        }
        run_jobs(jobs)?.into_iter().flatten().collect()
    };
    let rare = std::mem::take(&mut scans)
        .into_iter()
        .map(|s| s.cols)
        .collect::<Vec<_>>();
    let Joined { dicts, .. } = joined;
    let (c, d) = (&mut cols, &dicts);
    let tail = move || {
        // The rare columns, gathered from input order.
        let mut rare = rare;
        macro_rules! rare {
            ($($f:ident: $null:expr),* $(,)?) => {
                $(
                    let input = concat(rare.iter_mut().map(|c| std::mem::take(&mut c.$f)).collect(), &lens, n, $null);
                    if !input.is_empty() {
                        c.$f = perm.iter().map(|&p| input.get(p as usize).copied().unwrap_or($null)).collect();
                    }
                )*
            };
        }
        rare! {
            event: NULL_KEY,
            order: NULL_KEY,
            campaign: NULL_KEY,
            promised: NULL_TIME,
            promised_nanos: 0,
        };
        // 5. Rows of one customer at one microsecond, in `tie` order.
        order_ties(c, d, &ties);
    };
    if parts > 1 {
        // The records are unmapped (32 bytes a row) on a thread of their
        // own meanwhile.
        let jobs: Vec<Box<dyn FnOnce() + Send + '_>> =
            vec![Box::new(move || drop(recs)), Box::new(tail)];
        run_jobs(jobs)?;
    } else {
        drop(recs);
        tail();
    }
    offsets.push(n as u32);
    Ok(Some(EventLog {
        config: config.clone(),
        customers,
        customer_keys: None,
        offsets,
        cols,
        dicts,
    }))
}

/// The common fields of one row, stored packed in four words by [`Recs`].
#[derive(Debug, Clone, Copy, Default)]
struct Rec {
    time: i64,
    /// The value's minor amount, [`NULL_MONEY`] for none.
    value: i64,
    product: u32,
    category: u32,
    kind: u16,
    channel: u16,
    nanos: u16,
    device: u8,
    payment: u8,
    checkout: u8,
    stage: u8,
    currency: u8,
    discounted: bool,
}

// The small codes share one 32-bit word of a packed record.
const _: () = assert!(
    Device::ALL.len() < 8
        && PaymentMethod::ALL.len() < 8
        && CheckoutType::ALL.len() < 4
        && Stage::ALL.len() < 8
);

impl Rec {
    /// Four words: time; value; product and category; kind, channel and
    /// the small codes (nanoseconds 10 bits, device 3, payment 3,
    /// checkout 2, stage 3, currency 8, discounted 1).
    fn pack(&self) -> [u64; 4] {
        let small = u64::from(self.nanos & 0x3ff)
            | u64::from(self.device & 7) << 10
            | u64::from(self.payment & 7) << 13
            | u64::from(self.checkout & 3) << 16
            | u64::from(self.stage & 7) << 18
            | u64::from(self.currency) << 21
            | u64::from(self.discounted) << 29;
        [
            self.time as u64,
            self.value as u64,
            u64::from(self.product) | u64::from(self.category) << 32,
            u64::from(self.kind) | u64::from(self.channel) << 16 | small << 32,
        ]
    }

    fn unpack(w: [u64; 4]) -> Rec {
        let [time, value, keys, codes] = w;
        let small = codes >> 32;
        Rec {
            time: time as i64,
            value: value as i64,
            product: keys as u32,
            category: (keys >> 32) as u32,
            kind: codes as u16,
            channel: (codes >> 16) as u16,
            nanos: (small & 0x3ff) as u16,
            device: (small >> 10 & 7) as u8,
            payment: (small >> 13 & 7) as u8,
            checkout: (small >> 16 & 3) as u8,
            stage: (small >> 18 & 7) as u8,
            currency: (small >> 21) as u8,
            discounted: small >> 29 & 1 != 0,
        }
    }
}

/// Every row's [`Rec`] in input order, four words each, aligned to 32
/// bytes (one record never spans two cache lines, so a random read of one
/// costs one line). The words come zeroed from the allocator, so the
/// pages are mapped by the threads that first write them.
struct Recs {
    words: Vec<u64>,
    /// Where the first record starts in `words` (for the alignment).
    at: usize,
    n: usize,
}

impl Recs {
    fn zeroed(n: usize) -> Self {
        let words = vec![0u64; 4 * n + 3];
        let at = (32 - words.as_ptr().addr() % 32) % 32 / 8;
        Recs { words, at, n }
    }

    /// The records in parts of `chunk` rows, as words.
    fn parts_mut(&mut self, chunk: usize) -> std::slice::ChunksMut<'_, u64> {
        let all = self
            .words
            .get_mut(self.at..self.at + 4 * self.n)
            .unwrap_or(&mut []);
        all.chunks_mut(4 * chunk.max(1))
    }

    /// Record `i`'s words.
    fn words(&self, i: usize) -> [u64; 4] {
        match self.words.get(self.at + 4 * i..self.at + 4 * i + 4) {
            Some(&[a, b, c, d]) => [a, b, c, d],
            _ => [0; 4],
        }
    }
}

// Bits of `Scan::present`: which columns some row has a value in.
const NANOS: u32 = 1;
const PRODUCT: u32 = 1 << 1;
const CATEGORY: u32 = 1 << 2;
const VALUE: u32 = 1 << 3;
const DEVICE: u32 = 1 << 4;
const PAYMENT: u32 = 1 << 5;
const CHECKOUT: u32 = 1 << 6;
const STAGE: u32 = 1 << 7;

/// What one part of the input gave: the largest customer id, which packed
/// fields some row has, the rare columns in input order (event, order,
/// campaign, value, promised delivery), and the part's dictionaries.
struct Scan {
    max: u64,
    present: u32,
    cols: Columns,
    dicts: Dictionaries,
}

/// Reads one part of the input in order.
fn scan(rows: &[Touchpoint], cust: &mut [u32], recs: &mut [u64]) -> Result<Scan> {
    let mut c = Columns::default();
    let mut d = Dictionaries::default();
    let (mut events, mut orders, mut products, mut categories, mut campaigns) = (
        Interner::new(),
        Interner::new(),
        Interner::new(),
        Interner::new(),
        Interner::new(),
    );
    let (mut max, mut present) = (0u64, 0u32);
    for (i, ((t, id), r)) in rows
        .iter()
        .zip(cust.iter_mut())
        .zip(recs.chunks_exact_mut(4))
        .enumerate()
    {
        let len = i + 1;
        // An id past `u32` makes `max` too large for the counting sort
        // (the caller checks), so its truncation here is never read.
        *id = t.customer.0 as u32;
        max = max.max(t.customer.0);
        let (time, nanos) = split_time(t.at);
        let product = match &t.product {
            Some(v) => products.key(&mut d.products, v.as_str())?,
            None => NULL_KEY,
        };
        let category = match &t.category {
            Some(v) => categories.key(&mut d.categories, v.as_str())?,
            None => NULL_KEY,
        };
        // The currency's code + 1; 0 for no value (as the value column
        // stores it: a minor amount of `NULL_MONEY` is no value).
        let currency = match t.value {
            Some(v) => {
                let code = currency_code(&mut d.currencies, v.currency())?;
                if v.minor() == NULL_MONEY { 0 } else { code + 1 }
            }
            None => 0,
        };
        let rec = Rec {
            time,
            value: t.value.map_or(NULL_MONEY, |v| v.minor()),
            product,
            category,
            kind: d.kinds.code(&t.kind)?,
            channel: d.channels.code(&t.channel)?,
            nanos,
            device: device_code(t.device),
            payment: payment_code(t.payment),
            checkout: checkout_code(t.checkout),
            stage: stage_code(t.stage),
            currency,
            discounted: t.discounted,
        };
        r.copy_from_slice(&rec.pack());
        for (has, bit) in [
            (nanos != 0, NANOS),
            (product != NULL_KEY, PRODUCT),
            (category != NULL_KEY, CATEGORY),
            (t.value.is_some(), VALUE),
            (rec.device != 0, DEVICE),
            (rec.payment != 0, PAYMENT),
            (rec.checkout != 0, CHECKOUT),
            (rec.stage != 0, STAGE),
        ] {
            if has {
                present |= bit;
            }
        }
        if let Some(v) = &t.event {
            let k = events.key(&mut d.events, v.as_str())?;
            opt(&mut c.event, len, NULL_KEY, Some(k));
        } else if !c.event.is_empty() {
            c.event.push(NULL_KEY);
        }
        if let Some(v) = &t.order {
            let k = orders.key(&mut d.orders, v.as_str())?;
            opt(&mut c.order, len, NULL_KEY, Some(k));
        } else if !c.order.is_empty() {
            c.order.push(NULL_KEY);
        }
        if let Some(v) = &t.campaign {
            let k = campaigns.key(&mut d.campaigns, v.as_str())?;
            opt(&mut c.campaign, len, NULL_KEY, Some(k));
        } else if !c.campaign.is_empty() {
            c.campaign.push(NULL_KEY);
        }
        let promised = t.promised_delivery.map(split_time);
        opt(&mut c.promised, len, NULL_TIME, promised.map(|p| p.0));
        opt(
            &mut c.promised_nanos,
            len,
            0,
            promised.map(|p| p.1).filter(|&ns| ns != 0),
        );
    }
    pad(&mut c, rows.len());
    Ok(Scan {
        max,
        present,
        cols: c,
        dicts: d,
    })
}

/// The log's dictionaries, and each input part's maps into them.
struct Joined {
    dicts: Dictionaries,
    kinds: Vec<Vec<u16>>,
    channels: Vec<Vec<u16>>,
    products: Vec<Vec<u32>>,
    categories: Vec<Vec<u32>>,
    currencies: Vec<Vec<u8>>,
}

/// The slices of the packed columns one output part writes.
struct Out<'a> {
    time: &'a mut [i64],
    kind: &'a mut [u16],
    channel: &'a mut [u16],
    discounted: &'a mut [bool],
    nanos: &'a mut [u16],
    product: &'a mut [u32],
    category: &'a mut [u32],
    currency: &'a mut [u8],
    value: &'a mut [i64],
    device: &'a mut [u8],
    payment: &'a mut [u8],
    checkout: &'a mut [u8],
    stage: &'a mut [u8],
}

/// The first `m` rows of a column and the rest; an absent (empty) column
/// stays empty on both sides.
fn cut<T>(col: &mut [T], m: usize) -> (&mut [T], &mut [T]) {
    if col.is_empty() {
        return (&mut [], &mut []);
    }
    col.split_at_mut(m.min(col.len()))
}

impl<'a> Out<'a> {
    fn of(c: &'a mut Columns) -> Self {
        Out {
            time: &mut c.time,
            kind: &mut c.kind,
            channel: &mut c.channel,
            discounted: &mut c.discounted,
            nanos: &mut c.nanos,
            product: &mut c.product,
            category: &mut c.category,
            currency: &mut c.currency,
            value: &mut c.value,
            device: &mut c.device,
            payment: &mut c.payment,
            checkout: &mut c.checkout,
            stage: &mut c.stage,
        }
    }

    fn split_at(self, m: usize) -> (Out<'a>, Out<'a>) {
        let (time, time_r) = cut(self.time, m);
        let (kind, kind_r) = cut(self.kind, m);
        let (channel, channel_r) = cut(self.channel, m);
        let (discounted, discounted_r) = cut(self.discounted, m);
        let (nanos, nanos_r) = cut(self.nanos, m);
        let (product, product_r) = cut(self.product, m);
        let (category, category_r) = cut(self.category, m);
        let (currency, currency_r) = cut(self.currency, m);
        let (value, value_r) = cut(self.value, m);
        let (device, device_r) = cut(self.device, m);
        let (payment, payment_r) = cut(self.payment, m);
        let (checkout, checkout_r) = cut(self.checkout, m);
        let (stage, stage_r) = cut(self.stage, m);
        (
            Out {
                time,
                kind,
                channel,
                discounted,
                nanos,
                product,
                category,
                currency,
                value,
                device,
                payment,
                checkout,
                stage,
            },
            Out {
                time: time_r,
                kind: kind_r,
                channel: channel_r,
                discounted: discounted_r,
                nanos: nanos_r,
                product: product_r,
                category: category_r,
                currency: currency_r,
                value: value_r,
                device: device_r,
                payment: payment_r,
                checkout: checkout_r,
                stage: stage_r,
            },
        )
    }
}

/// Sets row `i` of a column, if the column is present.
fn set<T>(col: &mut [T], i: usize, v: T) {
    if let Some(x) = col.get_mut(i) {
        *x = v;
    }
}

/// The input part of a row, parts being `chunk` rows each: the division
/// done as a multiplication by a rounded-up reciprocal, exact for every
/// row number below 2^32 and every chunk below 2^32 (Granlund and
/// Montgomery: `m * chunk - 2^64 < chunk <= 2^32`).
#[derive(Debug, Clone, Copy)]
struct PartOf {
    m: u128,
}

impl PartOf {
    fn new(chunk: usize) -> Self {
        let d = chunk.max(1) as u128;
        PartOf {
            m: (1u128 << 64).div_ceil(d),
        }
    }

    fn part_of(self, row: u32) -> usize {
        ((u128::from(row) * self.m) >> 64) as usize
    }
}

/// Rows gathered at a time by [`unpack`] (whole customers; a customer with
/// more rows is a block of its own).
const BLOCK: usize = 4096;

/// One output part (`perm`, rows `base..` of the grouped order, customers'
/// runs starting at `starts`), a block of whole customers at a time: the
/// block's records gathered, its runs put in time order, its rows written
/// with the log's codes and keys. Returns its runs of equal times (global
/// row ranges).
#[allow(clippy::too_many_arguments)]
fn unpack(
    recs: &Recs,
    perm: &mut [u32],
    mut out: Out<'_>,
    starts: &[u32],
    base: usize,
    j: &Joined,
    chunk: PartOf,
) -> Vec<(u32, u32)> {
    let end = base + perm.len();
    let mut ties = Vec::new();
    let mut g: Vec<[u64; 4]> = Vec::with_capacity(BLOCK);
    let mut pairs: Vec<([u64; 4], u32)> = Vec::new();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut block = 0;
    for (lo, hi) in run_bounds(starts, end) {
        let (lo, hi) = (lo.saturating_sub(base), hi.saturating_sub(base));
        if hi - block > BLOCK && !runs.is_empty() {
            let Some(p) = perm.get_mut(block..lo) else {
                break;
            };
            write_block(
                recs, p, &mut out, block, &runs, j, chunk, &mut g, &mut pairs, base, &mut ties,
            );
            runs.clear();
            block = lo;
        }
        runs.push((lo, hi));
    }
    if let Some(p) = perm.get_mut(block..) {
        write_block(
            recs, p, &mut out, block, &runs, j, chunk, &mut g, &mut pairs, base, &mut ties,
        );
    }
    ties
}

/// One block of [`unpack`]: rows `at..` of the part (`perm`), whose
/// customers' runs are `runs` (relative to the part).
#[allow(clippy::too_many_arguments)]
fn write_block(
    recs: &Recs,
    perm: &mut [u32],
    out: &mut Out<'_>,
    at: usize,
    runs: &[(usize, usize)],
    j: &Joined,
    chunk: PartOf,
    g: &mut Vec<[u64; 4]>,
    pairs: &mut Vec<([u64; 4], u32)>,
    base: usize,
    ties: &mut Vec<(u32, u32)>,
) {
    // The block's records, copied as they are (the loop only loads and
    // stores, so many of its random reads are in flight at once).
    g.clear();
    g.extend(perm.iter().map(|&p| recs.words(p as usize)));
    let time = |w: &[u64; 4]| w[0] as i64;
    for &(lo, hi) in runs {
        let (lo, hi) = (lo - at, hi - at);
        let (Some(run), Some(rs)) = (perm.get_mut(lo..hi), g.get_mut(lo..hi)) else {
            continue;
        };
        if rs
            .windows(2)
            .any(|w| matches!(w, [a, b] if time(a) > time(b)))
        {
            // Stable: rows at one time stay in input order until the ties
            // are ordered.
            pairs.clear();
            pairs.extend(rs.iter().copied().zip(run.iter().copied()));
            pairs.sort_by_key(|(r, _)| time(r));
            for ((r, p), &(nr, np)) in rs.iter_mut().zip(run.iter_mut()).zip(pairs.iter()) {
                *r = nr;
                *p = np;
            }
        }
        let mut i = 0;
        while let Some(t) = rs.get(i).map(time) {
            let mut k = i + 1;
            while rs.get(k).is_some_and(|r| time(r) == t) {
                k += 1;
            }
            if k - i > 1 {
                let first = base + at + lo + i;
                ties.push((first as u32, (first + k - i) as u32));
            }
            i = k;
        }
    }
    let identity16 = |m: &Vec<u16>| m.iter().enumerate().all(|(i, &c)| usize::from(c) == i);
    let plain_codes = j.kinds.iter().all(identity16) && j.channels.iter().all(identity16);
    let empty: &[u16] = &[];
    for (o, (w, &p)) in g.iter().zip(perm.iter()).enumerate() {
        let i = at + o;
        let r = Rec::unpack(*w);
        let part = chunk.part_of(p);
        set(out.time, i, r.time);
        if plain_codes {
            set(out.kind, i, r.kind);
            set(out.channel, i, r.channel);
        } else {
            let km = j.kinds.get(part).map_or(empty, Vec::as_slice);
            let cm = j.channels.get(part).map_or(empty, Vec::as_slice);
            set(
                out.kind,
                i,
                km.get(usize::from(r.kind)).copied().unwrap_or(0),
            );
            set(
                out.channel,
                i,
                cm.get(usize::from(r.channel)).copied().unwrap_or(0),
            );
        }
        set(out.discounted, i, r.discounted);
        set(out.nanos, i, r.nanos);
        let key = |maps: &[Vec<u32>], k: u32| {
            if k == NULL_KEY {
                k
            } else {
                maps.get(part)
                    .and_then(|m| m.get(k as usize))
                    .copied()
                    .unwrap_or(NULL_KEY)
            }
        };
        set(out.product, i, key(&j.products, r.product));
        set(out.category, i, key(&j.categories, r.category));
        if !out.currency.is_empty() {
            // Rows without a value get code 0.
            let cur = match r.currency.checked_sub(1) {
                Some(c) => j
                    .currencies
                    .get(part)
                    .and_then(|m| m.get(usize::from(c)))
                    .copied()
                    .unwrap_or(0),
                None => 0,
            };
            set(out.currency, i, cur);
            set(out.value, i, r.value);
        }
        set(out.device, i, r.device);
        set(out.payment, i, r.payment);
        set(out.checkout, i, r.checkout);
        set(out.stage, i, r.stage);
    }
}

/// A customer id as the counting sort reads it: `u64` as the model has
/// it, or `u32` where the ids were checked to fit.
pub(super) trait Id: Copy + Send + Sync {
    /// The id as a table index.
    fn index(self) -> usize;
}

impl Id for u64 {
    fn index(self) -> usize {
        self as usize
    }
}

impl Id for u32 {
    fn index(self) -> usize {
        self as usize
    }
}

/// Rows grouped by customer: the row of each place, the customers
/// ascending, and where each one's rows start.
pub(super) struct Grouping {
    /// `perm[i]` is the input row that goes to place `i`.
    pub(super) perm: Vec<u32>,
    /// The customers that have rows, ascending.
    pub(super) customers: Vec<CustomerId>,
    /// Where each customer's rows start (no final end).
    pub(super) offsets: Vec<u32>,
}

/// Groups rows by customer id (each below `k`) with a counting sort that
/// keeps input order within each customer, on up to `threads` threads:
/// each part of the input is counted and scattered on its own thread, and
/// part `p`'s rows of customer `c` go after those of the parts before it.
/// Each part counts in a table of every customer id, so there are at most
/// as many parts as rows per id (the tables hold at most 4 bytes per row).
///
/// # Errors
/// [`Error::NumericFailure`] if a thread panicked.
pub(super) fn counting_sort<T: Id>(cust: &[T], k: usize, threads: usize) -> Result<Grouping> {
    let n = cust.len();
    let sort_parts = threads.clamp(1, MAX_THREADS).min(n / k.max(1)).max(1);
    let chunk = n.div_ceil(sort_parts).max(1);
    let parts: Vec<&[T]> = cust.chunks(chunk).collect();
    let mut counted = count_parts(&parts, k)?;
    let slots: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    // Positions are disjoint across parts: the stores only need to be
    // atomic in name (relaxed stores are plain stores).
    counted.scatter(&parts, |place, part, row| {
        if let Some(p) = slots.get(place) {
            p.store((part * chunk + row) as u32, Relaxed);
        }
    })?;
    let perm: Vec<u32> = slots.into_iter().map(AtomicU32::into_inner).collect();
    Ok(Grouping {
        perm,
        customers: counted.customers,
        offsets: counted.offsets,
    })
}

/// The counting pass of [`counting_sort`] ([`count_parts`]): the customers, their offsets,
/// and each input part's next place per customer id.
pub(super) struct Counted {
    /// The customers that have rows, ascending.
    pub(super) customers: Vec<CustomerId>,
    /// Where each customer's rows start (no final end).
    pub(super) offsets: Vec<u32>,
    /// Per input part: the next place of each customer id's rows.
    next: Vec<Vec<u32>>,
}

/// Counts the rows of each customer id (each below `k`), given in parts
/// (the input is the parts end to end), each part counted on its own
/// thread in a table of every customer id (see [`counting_sort`]).
///
/// # Errors
/// [`Error::NumericFailure`] if a thread panicked.
pub(super) fn count_parts<T: Id>(parts: &[&[T]], k: usize) -> Result<Counted> {
    let jobs: Vec<_> = parts
        .iter()
        .map(|&c| {
            move || {
                let mut count = vec![0u32; k];
                for &c in c {
                    if let Some(x) = count.get_mut(c.index()) {
                        *x += 1;
                    }
                }
                count
            }
        })
        .collect();
    let mut next = run_jobs(jobs)?;
    let mut customers = Vec::new();
    let mut offsets = Vec::new();
    let mut sum = 0u32;
    for c in 0..k {
        let start = sum;
        for count in &mut next {
            if let Some(x) = count.get_mut(c) {
                let here = *x;
                *x = sum;
                sum += here;
            }
        }
        if sum > start {
            customers.push(CustomerId(c as u64));
            offsets.push(start);
        }
    }
    Ok(Counted {
        customers,
        offsets,
        next,
    })
}

impl Counted {
    /// Calls `put(place, part, row)` for every row of `parts` (the ids
    /// counted, in the same parts; `row` counts from the part's start),
    /// each part on its own thread: rows of one customer get consecutive
    /// places in input order. Places are disjoint across threads.
    ///
    /// # Errors
    /// [`Error::NumericFailure`] if a thread panicked.
    pub(super) fn scatter<T: Id>(
        &mut self,
        parts: &[&[T]],
        put: impl Fn(usize, usize, usize) + Sync,
    ) -> Result<()> {
        let put = &put;
        let jobs: Vec<_> = parts
            .iter()
            .zip(self.next.iter_mut())
            .enumerate()
            .map(|(part, (&c, next))| {
                move || {
                    for (i, &c) in c.iter().enumerate() {
                        if let Some(slot) = next.get_mut(c.index()) {
                            put(*slot as usize, part, i);
                            *slot += 1;
                        }
                    }
                }
            })
            .collect();
        run_jobs(jobs)?;
        Ok(())
    }
}

/// Slots of the [`Interner`] cache (a power of two).
const CACHE_SLOTS: usize = 1 << 10;

/// Dictionary keys of the strings of one column, with a direct-mapped cache
/// by the string's address and length in front of the dictionary.
///
/// Touchpoints share their ids (`Arc<str>`), so the same address comes back
/// row after row, and a hit costs no hashing of the text. The cache is only
/// ever used while the touchpoints are borrowed: memory that is borrowed
/// cannot change, so an address and a length seen twice are the same text.
/// Different strings with the same text still meet in the dictionary, which
/// decides the key; the cache only saves the look-up.
struct Interner {
    slots: Vec<(usize, usize, u32)>,
}

impl Interner {
    fn new() -> Self {
        Interner {
            slots: vec![(0, 0, 0); CACHE_SLOTS],
        }
    }

    fn key(&mut self, dict: &mut Dictionary, s: &str) -> Result<u32> {
        let addr = s.as_ptr().addr();
        let h = ((addr as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize;
        match self.slots.get_mut(h & (CACHE_SLOTS - 1)) {
            // A string's address is never 0, the empty slots' mark.
            Some(slot) if slot.0 == addr && slot.1 == s.len() => Ok(slot.2),
            Some(slot) => {
                let k = dict.intern(s)?;
                *slot = (addr, s.len(), k);
                Ok(k)
            }
            None => dict.intern(s),
        }
    }
}

/// The code of a currency in a part's table (at most 255).
fn currency_code(table: &mut Vec<Currency>, cur: Currency) -> Result<u8> {
    if let Some(i) = table.iter().position(|&c| c == cur) {
        return Ok(i as u8);
    }
    if table.len() >= usize::from(u8::MAX) {
        return Err(Error::TooMuchWork {
            what: "currencies in one event log",
            limit: u64::from(u8::MAX),
        });
    }
    table.push(cur);
    Ok((table.len() - 1) as u8)
}

/// The codes of a "built-in or custom" column joined over the parts, in
/// canonical order, and each part's map into them.
fn join_codes<T: Coded>(parts: &[&Codes<T>]) -> Result<(Codes<T>, Vec<Vec<u16>>)> {
    let mut all = Codes::<T>::default();
    let mut maps = Vec::with_capacity(parts.len());
    for p in parts {
        maps.push(code_map(&mut all, p)?);
    }
    let canon = all.canonicalize();
    for map in &mut maps {
        for c in map.iter_mut() {
            *c = canon.get(usize::from(*c)).copied().unwrap_or(0);
        }
    }
    Ok((all, maps))
}

/// A string dictionary joined over the parts, in value order, and each
/// part's map into it.
fn join_dict(mut parts: Vec<Dictionary>) -> Result<(Dictionary, Vec<Vec<u32>>)> {
    if parts.len() == 1
        && let Some(mut d) = parts.pop()
    {
        let map = d.canonicalize();
        return Ok((d, vec![map]));
    }
    let refs: Vec<&Dictionary> = parts.iter().collect();
    join_sorted(&refs)
}

/// Joins the parts' dictionaries into the log's (canonical order), with
/// each part's maps into them; rewrites the keys of the parts' rare
/// columns.
fn join(scans: &mut [Scan], n: usize) -> Result<Joined> {
    let _ = n;
    let (kinds, kind_maps) = join_codes(&scans.iter().map(|p| &p.dicts.kinds).collect::<Vec<_>>())?;
    let (channels, channel_maps) =
        join_codes(&scans.iter().map(|p| &p.dicts.channels).collect::<Vec<_>>())?;
    let mut take = |f: fn(&mut Dictionaries) -> &mut Dictionary| {
        join_dict(
            scans
                .iter_mut()
                .map(|p| std::mem::take(f(&mut p.dicts)))
                .collect(),
        )
    };
    let (events, event_maps) = take(|d| &mut d.events)?;
    let (orders, order_maps) = take(|d| &mut d.orders)?;
    let (products, product_maps) = take(|d| &mut d.products)?;
    let (categories, category_maps) = take(|d| &mut d.categories)?;
    let (campaigns, campaign_maps) = take(|d| &mut d.campaigns)?;
    let mut currencies: Vec<Currency> = Vec::new();
    for p in scans.iter() {
        for &c in &p.dicts.currencies {
            if !currencies.contains(&c) {
                currencies.push(c);
            }
        }
    }
    currencies.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    let currency_maps: Vec<Vec<u8>> = scans
        .iter()
        .map(|p| {
            p.dicts
                .currencies
                .iter()
                .map(|c| currencies.iter().position(|s| s == c).unwrap_or(0) as u8)
                .collect()
        })
        .collect();
    for (i, s) in scans.iter_mut().enumerate() {
        for (col, maps) in [
            (&mut s.cols.event, &event_maps),
            (&mut s.cols.order, &order_maps),
            (&mut s.cols.campaign, &campaign_maps),
        ] {
            if let Some(m) = maps.get(i) {
                remap(col, m);
            }
        }
    }
    Ok(Joined {
        dicts: Dictionaries {
            kinds,
            channels,
            events,
            orders,
            products,
            categories,
            campaigns,
            currencies,
        },
        kinds: kind_maps,
        channels: channel_maps,
        products: product_maps,
        categories: category_maps,
        currencies: currency_maps,
    })
}

/// The parts' columns end to end (`lens` rows each, `n` in all); empty when
/// every part's is (a part without values pads with `null`).
fn concat<T: Copy>(mut cols: Vec<Vec<T>>, lens: &[usize], n: usize, null: T) -> Vec<T> {
    if cols.iter().all(Vec::is_empty) {
        return Vec::new();
    }
    if cols.len() == 1
        && let Some(c) = cols.pop()
    {
        return c;
    }
    let mut out = Vec::with_capacity(n);
    for (c, &len) in cols.iter().zip(lens) {
        if c.is_empty() {
            out.resize(out.len() + len, null);
        } else {
            out.extend_from_slice(c);
        }
    }
    out
}

/// Puts each run of rows `lo..hi` (one customer, one microsecond) in
/// [`tie`] order, moving the rows of every column.
fn order_ties(cols: &mut Columns, dicts: &Dictionaries, ties: &[(u32, u32)]) {
    let mut idx: Vec<usize> = Vec::new();
    let mut seen: Vec<bool> = Vec::new();
    let mut swaps: Vec<(usize, usize)> = Vec::new();
    for &(lo, hi) in ties {
        let (lo, hi) = (lo as usize, hi as usize);
        idx.clear();
        idx.extend(lo..hi);
        idx.sort_by(|&a, &b| tie(cols, dicts, a, b));
        if idx.iter().enumerate().all(|(i, &r)| r == lo + i) {
            continue;
        }
        // The permutation as swaps, one cycle at a time: position `j` takes
        // the row at `idx[j]`.
        swaps.clear();
        seen.clear();
        seen.resize(idx.len(), false);
        for s in 0..idx.len() {
            if seen.get(s).copied().unwrap_or(true) {
                continue;
            }
            let mut j = s;
            loop {
                if let Some(v) = seen.get_mut(j) {
                    *v = true;
                }
                let k = idx.get(j).map_or(s, |&r| r - lo);
                if k == s {
                    break;
                }
                swaps.push((lo + j, lo + k));
                j = k;
            }
        }
        swap_rows(cols, &swaps);
    }
}

/// Applies `swaps` of rows, in order, to every column but the time (equal
/// within a run).
fn swap_rows(c: &mut Columns, swaps: &[(usize, usize)]) {
    fn sw<T>(col: &mut [T], swaps: &[(usize, usize)]) {
        if col.is_empty() {
            return;
        }
        for &(a, b) in swaps {
            if a < col.len() && b < col.len() {
                col.swap(a, b);
            }
        }
    }
    sw(&mut c.nanos, swaps);
    sw(&mut c.kind, swaps);
    sw(&mut c.channel, swaps);
    sw(&mut c.event, swaps);
    sw(&mut c.order, swaps);
    sw(&mut c.product, swaps);
    sw(&mut c.category, swaps);
    sw(&mut c.campaign, swaps);
    sw(&mut c.value, swaps);
    sw(&mut c.currency, swaps);
    sw(&mut c.discounted, swaps);
    sw(&mut c.device, swaps);
    sw(&mut c.payment, swaps);
    sw(&mut c.checkout, swaps);
    sw(&mut c.stage, swaps);
    sw(&mut c.promised, swaps);
    sw(&mut c.promised_nanos, swaps);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EventLogBuilder;
    use crate::model::{
        BuiltinChannel, BuiltinKind, CategoryId, Device, Money, PaymentMethod, ProductId,
        TouchpointKind,
    };
    use chrono::{TimeDelta, TimeZone, Utc};

    fn by_builder(rows: &[Touchpoint]) -> EventLog {
        let mut b = EventLogBuilder::new(&JourneyConfig::default()).unwrap();
        for t in rows {
            b.push(t).unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn a_packed_record_keeps_every_field() {
        let mut next = super::super::xorshift(0x51_7cc1_b727_220a);
        let edge = [
            Rec {
                time: i64::MIN,
                value: NULL_MONEY,
                product: NULL_KEY,
                category: NULL_KEY,
                kind: u16::MAX,
                channel: u16::MAX,
                nanos: 999,
                device: Device::ALL.len() as u8,
                payment: PaymentMethod::ALL.len() as u8,
                checkout: CheckoutType::ALL.len() as u8,
                stage: Stage::ALL.len() as u8,
                currency: u8::MAX,
                discounted: true,
            },
            Rec {
                time: i64::MAX,
                value: i64::MIN + 1,
                ..Rec::default()
            },
        ];
        let random = (0..10_000).map(|_| Rec {
            time: (next(u64::MAX) as i64).wrapping_sub(1 << 62),
            value: next(u64::MAX) as i64,
            product: next(u64::from(u32::MAX) + 1) as u32,
            category: next(u64::from(u32::MAX) + 1) as u32,
            kind: next(1 << 16) as u16,
            channel: next(1 << 16) as u16,
            nanos: next(1000) as u16,
            device: next(Device::ALL.len() as u64 + 1) as u8,
            payment: next(PaymentMethod::ALL.len() as u64 + 1) as u8,
            checkout: next(CheckoutType::ALL.len() as u64 + 1) as u8,
            stage: next(Stage::ALL.len() as u64 + 1) as u8,
            currency: next(256) as u8,
            discounted: next(2) == 1,
        });
        for r in edge.into_iter().chain(random) {
            let back = Rec::unpack(r.pack());
            assert_eq!(format!("{back:?}"), format!("{r:?}"));
        }
    }

    #[test]
    fn part_of_is_the_division() {
        let mut next = super::super::xorshift(0x9e37_79b9_7f4a_7c15);
        let chunks = [
            1usize,
            2,
            3,
            7,
            4096,
            5_000_001,
            (u32::MAX / 2) as usize,
            MAX_ROWS,
        ];
        for &chunk in &chunks {
            let p = PartOf::new(chunk);
            let rows = [
                0u32,
                1,
                chunk as u32 - 1,
                chunk as u32,
                u32::MAX - 1,
                u32::MAX,
            ]
            .into_iter()
            .chain((0..2000).map(|_| next(u64::from(u32::MAX) + 1) as u32));
            for row in rows {
                assert_eq!(p.part_of(row), row as usize / chunk, "{row} / {chunk}");
            }
        }
        for chunk in 1..3000usize {
            let p = PartOf::new(chunk);
            for row in (0..20_000u32).step_by(7) {
                assert_eq!(p.part_of(row), row as usize / chunk);
            }
        }
    }

    #[test]
    fn the_fused_build_equals_the_builder_for_any_part_count() {
        // A small generator (the layering keeps `sample` out of `log`).
        let mut next = super::super::xorshift(0x2545_f491_4f6c_dd1d);
        let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 0, 0, 0).unwrap();
        let shared: Vec<ProductId> = (0..40)
            .map(|p| ProductId::new(&format!("sku-{p}")))
            .collect();
        let cats: Vec<CategoryId> = (0..5)
            .map(|c| CategoryId::new(&format!("cat-{c}")))
            .collect();
        let custom = TouchpointKind::custom("zz_custom").unwrap();
        let mut rows = Vec::new();
        for i in 0..30_000u64 {
            let kind: TouchpointKind = if next(9) == 0 {
                custom.clone()
            } else {
                BuiltinKind::ALL[next(BuiltinKind::ALL.len() as u64) as usize].into()
            };
            // Few distinct times per customer: unordered runs and ties.
            let at = t0
                + TimeDelta::seconds(next(20) as i64)
                + TimeDelta::nanoseconds(next(3) as i64 * 7);
            let mut t = Touchpoint::new(CustomerId(next(2_000)), at, kind)
                .with_channel(BuiltinChannel::ALL[next(3) as usize]);
            t.product = match next(4) {
                0 => None,
                1 => Some(ProductId::new(&format!("sku-{}", next(40)))),
                _ => shared.get(next(40) as usize).cloned(),
            };
            t.category = (next(2) == 0).then(|| cats[next(5) as usize].clone());
            t.order = (next(5) == 0).then(|| format!("o-{}", next(97)).as_str().into());
            t.value = (next(7) == 0).then(|| {
                let cur = if next(2) == 0 {
                    crate::model::Currency::USD
                } else {
                    crate::model::Currency::IDR
                };
                Money::new(next(4) as i64, cur).unwrap()
            });
            t.device = (next(3) == 0).then_some(Device::Desktop);
            t.payment = (next(11) == 0).then_some(PaymentMethod::EWallet);
            t.discounted = i % 2 == 0;
            rows.push(t);
        }
        let expected = by_builder(&rows);
        for threads in [1, 2, 3, 5] {
            let log = from_slice(&rows, &JourneyConfig::default(), threads)
                .unwrap()
                .unwrap();
            assert_eq!(log, expected, "{threads} threads");
        }
    }
}
