//! The absorbing Markov chain of a path set, built as ChannelAttribution
//! builds it: states are the sliding windows of `order` channels (a path of
//! at most `order` channels is one state, the whole path), consecutive
//! identical states collapsed, `(start) -> s1 -> ... -> s_last` weighted by
//! the path's conversions plus non-conversions, `s_last -> (conversion)` by
//! its conversions and `s_last -> (null)` by its non-conversions.

use std::collections::HashMap;

use crate::attribution::fixed::Fixed;
use crate::attribution::paths::PathSet;
use crate::error::{Error, Result};
use crate::hash::SeededState;

/// The most channels a chain can name: state keys pack `id + 1` into 16 bits
/// per channel.
pub(crate) const MAX_CHAIN_CHANNELS: usize = 65_534;

/// Channels up to this count take the dense table of first-order edges.
const DENSE_EDGES: usize = 1024;

/// The chain, states in canonical order (their channel names compared
/// position by position, a shorter state first when it is a prefix).
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    /// The path set's channel names by id.
    pub(crate) names: Vec<String>,
    /// The channel ids of state `s`: `state_ids[state_starts[s]..state_starts[s + 1]]`.
    pub(crate) state_ids: Vec<u32>,
    pub(crate) state_starts: Vec<u32>,
    /// Out-edges of `s`: `out_start[s]..out_start[s + 1]` into `out_to` / `out_w`.
    pub(crate) out_start: Vec<u32>,
    pub(crate) out_to: Vec<u32>,
    pub(crate) out_w: Vec<f64>,
    /// `(start) -> s`.
    pub(crate) start_w: Vec<f64>,
    /// `s -> (conversion)` and `s -> (null)`.
    pub(crate) conv_w: Vec<f64>,
    pub(crate) null_w: Vec<f64>,
    /// The value of the conversions of paths that end in `s`.
    pub(crate) end_value: Vec<f64>,
    /// Per counted path (for the bootstrap), in canonical path order.
    pub(crate) rows: Option<RowEdges>,
}

/// Which states and edges each path walks, for reweighting.
#[derive(Debug, Clone, Default)]
pub(crate) struct RowEdges {
    pub(crate) first: Vec<u32>,
    pub(crate) last: Vec<u32>,
    /// Edge indices (into `out_to`) of path `r`: `edges[starts[r]..starts[r + 1]]`.
    pub(crate) edges: Vec<u32>,
    pub(crate) starts: Vec<u32>,
    pub(crate) conversions: Vec<u64>,
    pub(crate) nulls: Vec<u64>,
    /// The mean value of one conversion of the path.
    pub(crate) mean_value: Vec<f64>,
}

impl Chain {
    /// The number of channel states.
    pub(crate) fn len(&self) -> usize {
        self.start_w.len()
    }

    /// The channel ids of state `s`.
    pub(crate) fn state(&self, s: usize) -> &[u32] {
        match (self.state_starts.get(s), self.state_starts.get(s + 1)) {
            (Some(&a), Some(&b)) => self.state_ids.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The out-edges of `s` as `(edge index, to, weight)`.
    pub(crate) fn out(&self, s: usize) -> impl Iterator<Item = (usize, u32, f64)> + '_ {
        let (a, b) = match (self.out_start.get(s), self.out_start.get(s + 1)) {
            (Some(&a), Some(&b)) => (a as usize, b as usize),
            _ => (0, 0),
        };
        (a..b).map(move |e| {
            (
                e,
                self.out_to.get(e).copied().unwrap_or(0),
                self.out_w.get(e).copied().unwrap_or(0.0),
            )
        })
    }

    /// Builds the order-`order` chain of `paths`, with at most `max_states`
    /// states; `with_rows` keeps each path's walk for the bootstrap.
    pub(crate) fn build(
        paths: &PathSet,
        order: usize,
        max_states: usize,
        with_rows: bool,
    ) -> Result<Chain> {
        let channels = paths.channel_count();
        if channels > MAX_CHAIN_CHANNELS {
            return Err(Error::TooMuchWork {
                what: "channels in a Markov chain",
                limit: MAX_CHAIN_CHANNELS as u64,
            });
        }
        let mut b = Builder::new(channels, order, max_states, with_rows);
        let mut keys: Vec<u64> = Vec::new();
        for (row, (ids, conv, value, nulls)) in paths.rows().enumerate() {
            let w = u128::from(conv) + u128::from(nulls);
            if w == 0 {
                continue;
            }
            state_keys(ids, order, &mut keys);
            b.add_path(row, &keys, w, conv, nulls, value)?;
        }
        b.finish(paths)
    }
}

/// The state keys of one path: windows of `order` channels (the whole path
/// when it is shorter), consecutive repeats collapsed. A key packs
/// `id + 1` of each channel into 16 bits, the first channel highest.
pub(crate) fn state_keys(ids: &[u32], order: usize, out: &mut Vec<u64>) {
    out.clear();
    let pack = |w: &[u32]| -> u64 {
        let mut key = 0u64;
        for (i, &c) in w.iter().enumerate() {
            key |= (u64::from(c) + 1) << (48 - 16 * i);
        }
        key
    };
    if ids.len() <= order {
        out.push(pack(ids));
        return;
    }
    for w in ids.windows(order) {
        let key = pack(w);
        if out.last() != Some(&key) {
            out.push(key);
        }
    }
}

/// The channel ids of a state key.
fn unpack(key: u64, out: &mut Vec<u32>) {
    for i in 0..4 {
        let slot = (key >> (48 - 16 * i)) & 0xFFFF;
        if slot == 0 {
            break;
        }
        out.push((slot - 1) as u32);
    }
}

/// Collects states and edges with provisional ids (first seen), then
/// relabels them canonically.
struct Builder {
    order: usize,
    max_states: usize,
    /// Provisional state id by key (order 2 and above).
    state_of: HashMap<u64, u32, SeededState>,
    keys: Vec<u64>,
    /// First order: provisional state id by channel id (`u32::MAX`: none yet).
    direct_state: Vec<u32>,
    /// Edge index by `(from << 32) | to`, or a dense table for few channels.
    edge_of: HashMap<u64, u32, SeededState>,
    dense_edges: Vec<u32>,
    dense_side: usize,
    edge_from: Vec<u32>,
    edge_to: Vec<u32>,
    edge_w: Vec<u128>,
    start_w: Vec<u128>,
    conv_w: Vec<u128>,
    null_w: Vec<u128>,
    end_value: Vec<Fixed>,
    rows: Option<RowEdges>,
    row_index: Vec<u32>,
    scratch: Vec<u32>,
}

const NONE: u32 = u32::MAX;

impl Builder {
    fn new(channels: usize, order: usize, max_states: usize, with_rows: bool) -> Builder {
        let dense_side = if order == 1 && channels <= DENSE_EDGES {
            channels
        } else {
            0
        };
        Builder {
            order,
            max_states,
            state_of: HashMap::default(),
            keys: Vec::new(),
            direct_state: if order == 1 {
                vec![NONE; channels]
            } else {
                Vec::new()
            },
            edge_of: HashMap::default(),
            dense_edges: vec![NONE; dense_side * dense_side],
            dense_side,
            edge_from: Vec::new(),
            edge_to: Vec::new(),
            edge_w: Vec::new(),
            start_w: Vec::new(),
            conv_w: Vec::new(),
            null_w: Vec::new(),
            end_value: Vec::new(),
            rows: with_rows.then(|| RowEdges {
                starts: vec![0],
                ..RowEdges::default()
            }),
            row_index: Vec::new(),
            scratch: Vec::new(),
        }
    }

    fn state(&mut self, key: u64) -> Result<u32> {
        let existing = if self.order == 1 {
            let c = ((key >> 48) & 0xFFFF).saturating_sub(1) as usize;
            self.direct_state.get(c).copied().unwrap_or(NONE)
        } else {
            self.state_of.get(&key).copied().unwrap_or(NONE)
        };
        if existing != NONE {
            return Ok(existing);
        }
        if self.keys.len() >= self.max_states {
            return Err(Error::TooMuchWork {
                what: "states of the Markov chain (raise Markov::max_states, lower the order, or merge channels)",
                limit: self.max_states as u64,
            });
        }
        let id = self.keys.len() as u32;
        self.keys.push(key);
        self.start_w.push(0);
        self.conv_w.push(0);
        self.null_w.push(0);
        self.end_value.push(Fixed::ZERO);
        if self.order == 1 {
            let c = ((key >> 48) & 0xFFFF).saturating_sub(1) as usize;
            if let Some(slot) = self.direct_state.get_mut(c) {
                *slot = id;
            }
        } else {
            self.state_of.insert(key, id);
        }
        Ok(id)
    }

    fn edge(&mut self, from: u32, to: u32, from_key: u64, to_key: u64) -> u32 {
        let slot = if self.dense_side > 0 {
            // First order with few channels: index by channel ids.
            let a = ((from_key >> 48) & 0xFFFF).saturating_sub(1) as usize;
            let b = ((to_key >> 48) & 0xFFFF).saturating_sub(1) as usize;
            self.dense_edges.get(a * self.dense_side + b).copied()
        } else {
            None
        };
        let found = match slot {
            Some(e) => e,
            None => self
                .edge_of
                .get(&((u64::from(from) << 32) | u64::from(to)))
                .copied()
                .unwrap_or(NONE),
        };
        if found != NONE {
            return found;
        }
        let e = self.edge_from.len() as u32;
        self.edge_from.push(from);
        self.edge_to.push(to);
        self.edge_w.push(0);
        if self.dense_side > 0 {
            let a = ((from_key >> 48) & 0xFFFF).saturating_sub(1) as usize;
            let b = ((to_key >> 48) & 0xFFFF).saturating_sub(1) as usize;
            if let Some(x) = self.dense_edges.get_mut(a * self.dense_side + b) {
                *x = e;
            }
        } else {
            self.edge_of
                .insert((u64::from(from) << 32) | u64::from(to), e);
        }
        e
    }

    fn add_path(
        &mut self,
        row: usize,
        keys: &[u64],
        w: u128,
        conv: u64,
        nulls: u64,
        value: Fixed,
    ) -> Result<()> {
        let (Some(&first_key), Some(&last_key)) = (keys.first(), keys.last()) else {
            return Ok(());
        };
        let first = self.state(first_key)?;
        if let Some(x) = self.start_w.get_mut(first as usize) {
            *x += w;
        }
        let mut prev = first;
        let mut prev_key = first_key;
        for &key in keys.get(1..).unwrap_or(&[]) {
            let s = self.state(key)?;
            let e = self.edge(prev, s, prev_key, key);
            if let Some(x) = self.edge_w.get_mut(e as usize) {
                *x += w;
            }
            if self.rows.is_some() {
                self.scratch.push(e);
            }
            prev = s;
            prev_key = key;
        }
        let last = self.state(last_key)?;
        let l = last as usize;
        if let Some(x) = self.conv_w.get_mut(l) {
            *x += u128::from(conv);
        }
        if let Some(x) = self.null_w.get_mut(l) {
            *x += u128::from(nulls);
        }
        if let Some(x) = self.end_value.get_mut(l) {
            *x += value;
        }
        if let Some(rows) = &mut self.rows {
            rows.first.push(first);
            rows.last.push(last);
            rows.edges.append(&mut self.scratch);
            rows.starts.push(rows.edges.len() as u32);
            rows.conversions.push(conv);
            rows.nulls.push(nulls);
            rows.mean_value.push(if conv == 0 {
                0.0
            } else {
                value.to_f64() / conv as f64
            });
            self.row_index.push(row as u32);
        }
        Ok(())
    }

    fn finish(self, paths: &PathSet) -> Result<Chain> {
        let ranks = paths.name_ranks();
        let n = self.keys.len();
        // Canonical order: the key with channel ids replaced by name ranks.
        let rank_key = |key: u64| -> u64 {
            let mut k = 0u64;
            for i in 0..4 {
                let slot = (key >> (48 - 16 * i)) & 0xFFFF;
                if slot == 0 {
                    break;
                }
                let r = ranks.get((slot - 1) as usize).copied().unwrap_or(0);
                k |= (u64::from(r) + 1) << (48 - 16 * i);
            }
            k
        };
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|&s| rank_key(self.keys.get(s as usize).copied().unwrap_or(0)));
        let mut new_id = vec![0u32; n];
        for (new, &old) in order.iter().enumerate() {
            if let Some(x) = new_id.get_mut(old as usize) {
                *x = new as u32;
            }
        }
        let remap = |old: u32| new_id.get(old as usize).copied().unwrap_or(0);
        let gather = |v: &[u128]| -> Vec<f64> {
            order
                .iter()
                .map(|&old| v.get(old as usize).copied().unwrap_or(0) as f64)
                .collect()
        };
        let mut state_ids = Vec::new();
        let mut state_starts = vec![0u32];
        for &old in &order {
            unpack(
                self.keys.get(old as usize).copied().unwrap_or(0),
                &mut state_ids,
            );
            state_starts.push(state_ids.len() as u32);
        }
        // Edges sorted by (from, to) in the new ids.
        let m = self.edge_from.len();
        let mut edges: Vec<u32> = (0..m as u32).collect();
        let key_of = |e: u32| -> (u32, u32) {
            let e = e as usize;
            (
                remap(self.edge_from.get(e).copied().unwrap_or(0)),
                remap(self.edge_to.get(e).copied().unwrap_or(0)),
            )
        };
        edges.sort_by_key(|&e| key_of(e));
        let mut new_edge = vec![0u32; m];
        let mut out_start = vec![0u32; n + 1];
        let mut out_to = Vec::with_capacity(m);
        let mut out_w = Vec::with_capacity(m);
        for (pos, &e) in edges.iter().enumerate() {
            let (from, to) = key_of(e);
            if let Some(x) = new_edge.get_mut(e as usize) {
                *x = pos as u32;
            }
            if let Some(x) = out_start.get_mut(from as usize + 1) {
                *x += 1;
            }
            out_to.push(to);
            out_w.push(self.edge_w.get(e as usize).copied().unwrap_or(0) as f64);
        }
        for s in 0..n {
            let prev = out_start.get(s).copied().unwrap_or(0);
            if let Some(x) = out_start.get_mut(s + 1) {
                *x += prev;
            }
        }
        let rows = self.rows.map(|mut r| {
            for s in r.first.iter_mut().chain(r.last.iter_mut()) {
                *s = remap(*s);
            }
            for e in &mut r.edges {
                *e = new_edge.get(*e as usize).copied().unwrap_or(0);
            }
            canonical_rows(r, &self.row_index, paths, &ranks)
        });
        Ok(Chain {
            names: paths.channels().map(str::to_owned).collect(),
            state_ids,
            state_starts,
            out_start,
            out_to,
            out_w,
            start_w: gather(&self.start_w),
            conv_w: gather(&self.conv_w),
            null_w: gather(&self.null_w),
            end_value: order
                .iter()
                .map(|&old| {
                    self.end_value
                        .get(old as usize)
                        .copied()
                        .unwrap_or_default()
                        .to_f64()
                })
                .collect(),
            rows,
        })
    }
}

/// The paths' walks sorted by their channel names, so the bootstrap draws
/// the same replicates whatever order the paths were added in.
fn canonical_rows(r: RowEdges, row_index: &[u32], paths: &PathSet, ranks: &[u32]) -> RowEdges {
    let count = r.first.len();
    let mut order: Vec<usize> = (0..count).collect();
    let ranked = |i: usize| {
        let row = row_index.get(i).copied().unwrap_or(0) as usize;
        paths
            .row_ids(row)
            .iter()
            .map(|&c| ranks.get(c as usize).copied().unwrap_or(0))
    };
    order.sort_by(|&a, &b| ranked(a).cmp(ranked(b)));
    let mut out = RowEdges {
        starts: vec![0],
        ..RowEdges::default()
    };
    for i in order {
        let get = |v: &[u32]| v.get(i).copied().unwrap_or(0);
        out.first.push(get(&r.first));
        out.last.push(get(&r.last));
        let (a, b) = (
            r.starts.get(i).copied().unwrap_or(0) as usize,
            r.starts.get(i + 1).copied().unwrap_or(0) as usize,
        );
        out.edges
            .extend_from_slice(r.edges.get(a..b).unwrap_or(&[]));
        out.starts.push(out.edges.len() as u32);
        out.conversions
            .push(r.conversions.get(i).copied().unwrap_or(0));
        out.nulls.push(r.nulls.get(i).copied().unwrap_or(0));
        out.mean_value
            .push(r.mean_value.get(i).copied().unwrap_or(0.0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_follow_channelattribution() {
        let mut keys = Vec::new();
        state_keys(&[0, 0, 1], 1, &mut keys);
        assert_eq!(keys.len(), 2);
        state_keys(&[0, 0, 1], 2, &mut keys);
        assert_eq!(keys.len(), 2); // (a,a), (a,b)
        state_keys(&[0, 0, 0, 1], 2, &mut keys);
        assert_eq!(keys.len(), 2); // (a,a), (a,a) collapsed, (a,b)
        state_keys(&[3], 2, &mut keys);
        let mut ids = Vec::new();
        unpack(keys[0], &mut ids);
        assert_eq!(ids, [3]);
        state_keys(&[0, 1, 0, 1], 2, &mut keys);
        assert_eq!(keys.len(), 3);
    }

    #[test]
    fn canonical_order_and_weights() {
        let mut paths = PathSet::new();
        paths.add(&["b", "a", "a"], 2, 10.0, 1).unwrap();
        paths.add(&["a"], 0, 0.0, 4).unwrap();
        let chain = Chain::build(&paths, 1, 10, true).unwrap();
        assert_eq!(chain.len(), 2);
        // State 0 is "a" (id 1), state 1 is "b" (id 0).
        assert_eq!(chain.state(0), [1]);
        assert_eq!(chain.start_w, [4.0, 3.0]);
        assert_eq!(chain.conv_w, [2.0, 0.0]);
        assert_eq!(chain.null_w, [5.0, 0.0]);
        let out: Vec<_> = chain.out(1).collect();
        assert_eq!(out, [(0, 0, 3.0)]);
        assert!(matches!(
            Chain::build(&paths, 1, 1, false),
            Err(Error::TooMuchWork { .. })
        ));
        let rows = chain.rows.unwrap();
        assert_eq!(rows.first, [0, 1]); // "a" sorts before "b > a > a"
    }
}
