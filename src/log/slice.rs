//! Building an [`EventLog`] from a slice of touchpoints, every row read once
//! in its final place.
//!
//! A builder fed row by row must store each row in arrival order and move
//! every column through the grouping permutation at the end (one random
//! read per row and column). A slice is known in full before the first row
//! is stored, so [`EventLog::from_slice`] groups first and stores after:
//!
//! 1. one pass over the customer ids and times (the slice cut in parts, one
//!    thread each);
//! 2. a counting sort of the rows by customer id (dense ids only: at most
//!    about two per row; sparse ids go through the builder), each
//!    customer's rows then in time order, runs of equal times noted;
//! 3. each part of the grouped order on its own thread: every touchpoint
//!    read once, in the log's row order, straight into the part's columns,
//!    strings interned into the part's own dictionaries (with a small cache
//!    by string address, see [`Interner`]);
//! 4. the parts' dictionaries joined in value order (canonical), each part's
//!    keys rewritten on its thread, the parts' columns put end to end;
//! 5. runs of rows of one customer at one microsecond put in [`tie`] order.
//!
//! The log is the one [`EventLogBuilder`](super::EventLogBuilder) gives for
//! the same rows, for any number of parts.

use super::build::{code_map, opt, pad, remap16, tie};
use super::codes::{Coded, Codes};
use super::dict::{Dictionary, NULL_KEY, join_sorted, remap};
use super::{
    Columns, Dictionaries, EventLog, MAX_ROWS, MAX_THREADS, NULL_MONEY, NULL_TIME, checkout_code,
    device_code, payment_code, split_time, stage_code,
};
use crate::error::{Error, Result};
use crate::journey::JourneyConfig;
use crate::model::{Currency, CustomerId, Touchpoint};

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
    // 1. Customer ids and times in input order.
    let mut cust = vec![0u64; n];
    let mut tin = vec![0i64; n];
    let chunk = n.div_ceil(parts);
    let jobs: Vec<_> = cust
        .chunks_mut(chunk)
        .zip(tin.chunks_mut(chunk))
        .zip(rows.chunks(chunk))
        .map(|((c, t), rows)| {
            move || {
                let mut max = 0u64;
                for ((c, t), row) in c.iter_mut().zip(t.iter_mut()).zip(rows) {
                    *c = row.customer.0;
                    *t = row.at.timestamp_micros();
                    max = max.max(*c);
                }
                max
            }
        })
        .collect();
    let max = run(jobs)?.into_iter().max().unwrap_or(0);
    let Some(k) = usize::try_from(max)
        .ok()
        .filter(|&m| m <= 2 * n + 1024)
        .map(|m| m + 1)
    else {
        return Ok(None);
    };
    // 2. A counting sort by customer (stable: input order within each).
    let mut next = vec![0u32; k + 1];
    for &c in &cust {
        if let Some(x) = next.get_mut(c as usize + 1) {
            *x += 1;
        }
    }
    let mut sum = 0u32;
    for x in &mut next {
        sum += *x;
        *x = sum;
    }
    let mut customers = Vec::new();
    let mut offsets = Vec::new();
    for (c, w) in next.windows(2).enumerate() {
        if let [lo, hi] = *w
            && hi > lo
        {
            customers.push(CustomerId(c as u64));
            offsets.push(lo);
        }
    }
    let mut perm = vec![0u32; n];
    for (i, &c) in cust.iter().enumerate() {
        if let Some(slot) = next.get_mut(c as usize)
            && let Some(p) = perm.get_mut(*slot as usize)
        {
            *p = i as u32;
            *slot += 1;
        }
    }
    drop(next);
    drop(cust);
    // The parts of the grouped order, cut at customer boundaries.
    let mut bounds = vec![0usize];
    for p in 1..parts {
        let target = n * p / parts;
        let i = offsets.partition_point(|&o| (o as usize) < target);
        let at = offsets.get(i).map_or(n, |&o| o as usize);
        bounds.push(at.max(bounds.last().copied().unwrap_or(0)));
    }
    bounds.push(n);
    // 3. Each part: its runs in time order, then its rows into its columns.
    let mut time = vec![0i64; n];
    let parts_out: Vec<Result<Part>> = {
        let mut jobs = Vec::with_capacity(parts);
        let (mut perm_rest, mut time_rest) = (perm.as_mut_slice(), time.as_mut_slice());
        let tin = &tin;
        let offsets = &offsets;
        for w in bounds.windows(2) {
            let (lo, hi) = match *w {
                [lo, hi] => (lo, hi),
                _ => continue,
            };
            let (p, pr) = perm_rest.split_at_mut(hi - lo);
            let (t, tr) = time_rest.split_at_mut(hi - lo);
            perm_rest = pr;
            time_rest = tr;
            let starts = {
                let a = offsets.partition_point(|&o| (o as usize) < lo);
                let b = offsets.partition_point(|&o| (o as usize) < hi);
                offsets.get(a..b).unwrap_or(&[])
            };
            jobs.push(move || fill(rows, tin, p, t, starts, lo));
        }
        run(jobs)?
    };
    drop(tin);
    let mut parts_ok = Vec::with_capacity(parts_out.len());
    for p in parts_out {
        parts_ok.push(p?);
    }
    // 4. One set of dictionaries; the parts' columns end to end.
    let (mut cols, dicts, ties) = join(parts_ok, n)?;
    cols.time = time;
    // 5. Rows of one customer at one microsecond, in `tie` order.
    order_ties(&mut cols, &dicts, &ties);
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

/// Runs the jobs, the last on this thread and the others each on its own.
fn run<T: Send, F: FnOnce() -> T + Send>(mut jobs: Vec<F>) -> Result<Vec<T>> {
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
            r.map_err(|_| Error::NumericFailure {
                what: "an event-log builder thread panicked".into(),
            })
        })
        .collect()
}

/// One part of the grouped rows: its columns (not the time column) and
/// dictionaries, and its runs of equal times (global row ranges).
struct Part {
    len: usize,
    cols: Columns,
    dicts: Dictionaries,
    ties: Vec<(u32, u32)>,
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

/// Orders the runs of one part (`perm`, rows `base..` of the grouped order,
/// runs starting at `starts`) by time into `time`, and stores the part's
/// rows in that order.
fn fill(
    rows: &[Touchpoint],
    tin: &[i64],
    perm: &mut [u32],
    time: &mut [i64],
    starts: &[u32],
    base: usize,
) -> Result<Part> {
    let at = |p: u32| tin.get(p as usize).copied().unwrap_or(0);
    for (t, &p) in time.iter_mut().zip(perm.iter()) {
        *t = at(p);
    }
    let end = base + perm.len();
    let mut ties = Vec::new();
    let ends = starts
        .iter()
        .skip(1)
        .map(|&s| s as usize)
        .chain(std::iter::once(end));
    for (&lo, hi) in starts.iter().zip(ends) {
        let (lo, hi) = ((lo as usize).saturating_sub(base), hi.saturating_sub(base));
        let (Some(run), Some(times)) = (perm.get_mut(lo..hi), time.get_mut(lo..hi)) else {
            continue;
        };
        if times.windows(2).any(|w| matches!(w, [a, b] if a > b)) {
            // Stable: rows at one time stay in input order until step 5.
            run.sort_by_key(|&p| at(p));
            for (t, &p) in times.iter_mut().zip(run.iter()) {
                *t = at(p);
            }
        }
        let mut i = 0;
        while let Some(t) = times.get(i) {
            let mut j = i + 1;
            while times.get(j) == Some(t) {
                j += 1;
            }
            if j - i > 1 {
                ties.push(((base + lo + i) as u32, (base + lo + j) as u32));
            }
            i = j;
        }
    }
    let m = perm.len();
    let mut c = Columns::default();
    let mut d = Dictionaries::default();
    c.kind.reserve_exact(m);
    c.channel.reserve_exact(m);
    c.discounted.reserve_exact(m);
    let (mut events, mut orders, mut products, mut categories, mut campaigns) = (
        Interner::new(),
        Interner::new(),
        Interner::new(),
        Interner::new(),
        Interner::new(),
    );
    for (i, &p) in perm.iter().enumerate() {
        let Some(t) = rows.get(p as usize) else {
            return Err(Error::NumericFailure {
                what: "a row index out of range while building an event log".into(),
            });
        };
        let len = i + 1;
        let nanos = (t.at.timestamp_subsec_nanos() % 1_000) as u16;
        opt(&mut c.nanos, len, 0, (nanos != 0).then_some(nanos));
        c.kind.push(d.kinds.code(&t.kind)?);
        c.channel.push(d.channels.code(&t.channel)?);
        let event = match &t.event {
            Some(v) => Some(events.key(&mut d.events, v.as_str())?),
            None => None,
        };
        opt(&mut c.event, len, NULL_KEY, event);
        let order = match &t.order {
            Some(v) => Some(orders.key(&mut d.orders, v.as_str())?),
            None => None,
        };
        opt(&mut c.order, len, NULL_KEY, order);
        let product = match &t.product {
            Some(v) => Some(products.key(&mut d.products, v.as_str())?),
            None => None,
        };
        opt(&mut c.product, len, NULL_KEY, product);
        let category = match &t.category {
            Some(v) => Some(categories.key(&mut d.categories, v.as_str())?),
            None => None,
        };
        opt(&mut c.category, len, NULL_KEY, category);
        let campaign = match &t.campaign {
            Some(v) => Some(campaigns.key(&mut d.campaigns, v.as_str())?),
            None => None,
        };
        opt(&mut c.campaign, len, NULL_KEY, campaign);
        let value = match t.value {
            Some(v) => Some((v.minor(), currency_code(&mut d.currencies, v.currency())?)),
            None => None,
        };
        opt(&mut c.value, len, NULL_MONEY, value.map(|v| v.0));
        opt(&mut c.currency, len, 0, value.map(|v| v.1));
        c.discounted.push(t.discounted);
        for (col, code) in [
            (&mut c.device, device_code(t.device)),
            (&mut c.payment, payment_code(t.payment)),
            (&mut c.checkout, checkout_code(t.checkout)),
            (&mut c.stage, stage_code(t.stage)),
        ] {
            opt(col, len, 0, (code != 0).then_some(code));
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
    pad(&mut c, m);
    Ok(Part {
        len: m,
        cols: c,
        dicts: d,
        ties,
    })
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

/// Joins the parts: one set of dictionaries in canonical order, each part's
/// codes and keys rewritten (each part on its thread), the columns put end
/// to end; the parts' runs of equal times.
fn join(mut parts: Vec<Part>, n: usize) -> Result<(Columns, Dictionaries, Vec<(u32, u32)>)> {
    let (kinds, kind_maps) = join_codes(&parts.iter().map(|p| &p.dicts.kinds).collect::<Vec<_>>())?;
    let (channels, channel_maps) =
        join_codes(&parts.iter().map(|p| &p.dicts.channels).collect::<Vec<_>>())?;
    let mut take = |f: fn(&mut Dictionaries) -> &mut Dictionary| {
        join_dict(
            parts
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
    for p in &parts {
        for &c in &p.dicts.currencies {
            if !currencies.contains(&c) {
                currencies.push(c);
            }
        }
    }
    currencies.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    let currency_maps: Vec<Vec<u8>> = parts
        .iter()
        .map(|p| {
            p.dicts
                .currencies
                .iter()
                .map(|c| currencies.iter().position(|s| s == c).unwrap_or(0) as u8)
                .collect()
        })
        .collect();
    // Each part's codes and keys rewritten on its own thread.
    let jobs: Vec<_> = parts
        .iter_mut()
        .enumerate()
        .map(|(i, p)| {
            let maps = (
                kind_maps.get(i),
                channel_maps.get(i),
                event_maps.get(i),
                order_maps.get(i),
                product_maps.get(i),
                category_maps.get(i),
                campaign_maps.get(i),
                currency_maps.get(i),
            );
            let c = &mut p.cols;
            move || {
                let (kind, channel, event, order, product, category, campaign, currency) = maps;
                let identity16 = |m: &[u16]| m.iter().enumerate().all(|(i, &c)| usize::from(c) == i);
                if let Some(m) = kind.filter(|m| !identity16(m)) {
                    remap16(&mut c.kind, m);
                }
                if let Some(m) = channel.filter(|m| !identity16(m)) {
                    remap16(&mut c.channel, m);
                }
                for (col, map) in [
                    (&mut c.event, event),
                    (&mut c.order, order),
                    (&mut c.product, product),
                    (&mut c.category, category),
                    (&mut c.campaign, campaign),
                ] {
                    if let Some(m) = map {
                        remap(col, m);
                    }
                }
                if let Some(m) = currency {
                    for (k, &v) in c.currency.iter_mut().zip(&c.value) {
                        *k = if v == NULL_MONEY {
                            0
                        } else {
                            m.get(usize::from(*k)).copied().unwrap_or(0)
                        };
                    }
                }
            }
        })
        .collect();
    run(jobs)?;
    let lens: Vec<usize> = parts.iter().map(|p| p.len).collect();
    let mut ties = Vec::new();
    let mut pcols = Vec::with_capacity(parts.len());
    for p in parts {
        ties.extend(p.ties);
        pcols.push(p.cols);
    }
    macro_rules! cat {
        ($($f:ident: $null:expr),* $(,)?) => {
            Columns {
                time: Vec::new(),
                $($f: concat(pcols.iter_mut().map(|c| std::mem::take(&mut c.$f)).collect(), &lens, n, $null),)*
            }
        };
    }
    let cols = cat! {
        nanos: 0,
        kind: 0,
        channel: 0,
        event: NULL_KEY,
        order: NULL_KEY,
        product: NULL_KEY,
        category: NULL_KEY,
        campaign: NULL_KEY,
        value: NULL_MONEY,
        currency: 0,
        discounted: false,
        device: 0,
        payment: 0,
        checkout: 0,
        stage: 0,
        promised: NULL_TIME,
        promised_nanos: 0,
    };
    let dicts = Dictionaries {
        kinds,
        channels,
        events,
        orders,
        products,
        categories,
        campaigns,
        currencies,
    };
    Ok((cols, dicts, ties))
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
    use crate::model::{BuiltinKind, Money, TouchpointKind};
    use crate::sample::{Rng, StreamConfig, event_stream};

    fn by_builder(rows: &[Touchpoint]) -> EventLog {
        let mut b = EventLogBuilder::new(&JourneyConfig::default()).unwrap();
        for t in rows {
            b.push(t).unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn the_fused_build_equals_the_builder_for_any_part_count() {
        let mut rows = event_stream(&StreamConfig {
            touchpoints: 20_000,
            customers: 2_000,
            ..StreamConfig::default()
        })
        .unwrap();
        // Ties at one microsecond that only later fields break, custom
        // kinds, values in two currencies, text strings not shared.
        let mut rng = Rng::new(7);
        let custom = TouchpointKind::custom("zz_custom").unwrap();
        for i in 0..rows.len() {
            let j = rng.below(rows.len() as u64) as usize;
            let mut t = rows[j].clone();
            t.kind = if i % 3 == 0 {
                custom.clone()
            } else {
                BuiltinKind::ALL[i % BuiltinKind::ALL.len()].into()
            };
            t.order = (i % 5 == 0).then(|| format!("o-{}", i % 97).as_str().into());
            t.value = (i % 7 == 0).then(|| {
                let cur = if i % 2 == 0 {
                    crate::model::Currency::USD
                } else {
                    crate::model::Currency::IDR
                };
                Money::new((i % 4) as i64, cur).unwrap()
            });
            t.at += chrono::TimeDelta::nanoseconds((i % 3) as i64 * 7);
            rows.push(t);
            if rows.len() > 30_000 {
                break;
            }
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
