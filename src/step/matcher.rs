//! Which steps each row of a log matches, as table lookups.
//!
//! A [`Matcher`] resolves up to 32 steps and 32 more (a funnel's steps and
//! exclusions, a pattern's conditions, a path's anchors) against one log's
//! dictionaries once: a kind condition becomes a kind code, an event-name
//! condition an event key (plus the kind codes whose name stands in for rows
//! without one), a channel condition a channel code, a category or campaign
//! condition a dictionary key. From those it builds one bit-mask table per
//! column a condition reads (bit `i`: step `i + 1`; bit `32 + e`: exclusion
//! `e`), so a row's steps are the AND of a few lookups on the view's column
//! slices: no allocation, no string comparison, no `Touchpoint` per row.
//! Conditions that are not lookups (an amount, a stage, a closure) are
//! checked on the [`Row`] only for the steps still in the mask.
//!
//! The resolved codes ("atoms") are checked against a view's log before it is
//! scanned ([`Matcher::fits`]): a key still names the same value, an absent
//! value is still absent. The tables depend on nothing else, so a matcher
//! that fits a log is exact for it, whichever log it was built from.

use crate::log::{EventLog, JourneyView, NULL_KEY};
use crate::model::{BuiltinKind, Channel, TouchpointKind};
use crate::step::{Condition, Step};

/// Bits 0..32: steps; bits 32..64: exclusions.
const EXCLUSION_BIT: u32 = 32;

/// A mask table over one column's codes; codes beyond it (and the null key)
/// take `default`: the bits of the steps without a condition on the column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Table {
    entries: Vec<u64>,
    default: u64,
}

impl Table {
    #[inline(always)]
    fn get(&self, code: usize) -> u64 {
        self.entries.get(code).copied().unwrap_or(self.default)
    }

    fn set(&mut self, code: usize, bit: u64) {
        if self.entries.len() <= code {
            self.entries.resize(code + 1, self.default);
        }
        if let Some(e) = self.entries.get_mut(code) {
            *e |= bit;
        }
    }
}

/// Which dictionary a key atom resolves in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dict {
    Events,
    Categories,
    Campaigns,
}

impl Dict {
    fn of(self, log: &EventLog) -> &crate::log::Dictionary {
        match self {
            Dict::Events => log.event_names(),
            Dict::Categories => log.categories(),
            Dict::Campaigns => log.campaigns(),
        }
    }
}

/// One resolved value, and how to check it still holds in another log.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Key {
        dict: Dict,
        name: String,
        key: Option<u32>,
    },
    /// A custom kind, by name (built-in kinds have fixed codes).
    CustomKind { name: String, code: Option<u16> },
    /// A custom channel, by name.
    CustomChannel { name: String, code: Option<u16> },
}

impl Atom {
    fn fits(&self, log: &EventLog) -> bool {
        match self {
            Atom::Key { dict, name, key } => {
                let d = dict.of(log);
                match key {
                    Some(k) => d.value(*k) == Some(name.as_str()),
                    None => d.get(name).is_none(),
                }
            }
            Atom::CustomKind { name, code } => match code {
                Some(c) => log.kind_of_code(*c).is_some_and(|k| k.as_str() == name),
                None => custom_kind_code(log, name).is_none(),
            },
            Atom::CustomChannel { name, code } => match code {
                Some(c) => log.channel_of_code(*c).is_some_and(|k| k.as_str() == name),
                None => custom_channel_code(log, name).is_none(),
            },
        }
    }
}

fn custom_kind_code(log: &EventLog, name: &str) -> Option<u16> {
    log.custom_kind_code(name)
}

fn custom_channel_code(log: &EventLog, name: &str) -> Option<u16> {
    log.custom_channel_code(name)
}

/// The column slices of one view that the tables read.
#[derive(Clone, Copy)]
pub(crate) struct Cols<'a> {
    kind: &'a [u16],
    channel: &'a [u16],
    event: &'a [u32],
    category: &'a [u32],
    campaign: &'a [u32],
}

impl<'a> Cols<'a> {
    pub(crate) fn of(view: &JourneyView<'a>) -> Self {
        Cols {
            kind: view.kind_codes(),
            channel: view.channel_codes(),
            event: view.event_keys(),
            category: view.category_keys(),
            campaign: view.campaign_keys(),
        }
    }
}

#[inline(always)]
fn key_at(col: &[u32], i: usize) -> u32 {
    col.get(i).copied().unwrap_or(NULL_KEY)
}

/// A funnel's steps and exclusions resolved against a log's dictionaries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Matcher {
    atoms: Vec<Atom>,
    /// Every step and exclusion bit.
    all: u64,
    kind: Option<Table>,
    /// The event-name tables: by event key, and by kind code for rows
    /// without an event name (the kind's name stands in).
    event: Option<(Table, Table)>,
    channel: Option<Table>,
    category: Option<Table>,
    campaign: Option<Table>,
    /// Bits with conditions checked on the row; with those conditions.
    residual: u64,
    checks: Vec<(u64, Vec<Condition>)>,
}

impl Matcher {
    /// Resolves `steps` and `exclusions` against `log`.
    pub(crate) fn new<'s>(
        steps: impl IntoIterator<Item = &'s Step>,
        exclusions: impl IntoIterator<Item = &'s Step>,
        log: &EventLog,
    ) -> Matcher {
        let bits: Vec<(u64, &Step)> = steps
            .into_iter()
            .take(32)
            .enumerate()
            .map(|(i, s)| (1u64 << i, s))
            .chain(
                exclusions
                    .into_iter()
                    .take(32)
                    .enumerate()
                    .map(|(e, s)| (1u64 << (EXCLUSION_BIT as usize + e), s)),
            )
            .collect();
        let all = bits.iter().fold(0, |m, (b, _)| m | b);
        let mut atoms = Vec::new();
        let uses = |f: fn(&Condition) -> bool| bits.iter().any(|(_, s)| s.conditions.iter().any(f));
        let free = |f: fn(&Condition) -> bool| {
            bits.iter()
                .filter(|(_, s)| !s.conditions.iter().any(f))
                .fold(0u64, |m, (b, _)| m | b)
        };
        let is_kind = |c: &Condition| matches!(c, Condition::Kind { .. });
        let is_event = |c: &Condition| matches!(c, Condition::Event { .. });
        let is_channel = |c: &Condition| matches!(c, Condition::Channel { .. });
        let is_category = |c: &Condition| matches!(c, Condition::Category { .. });
        let is_campaign = |c: &Condition| matches!(c, Condition::Campaign { .. });

        // The one value all of a step's conditions on a column ask for, or
        // None when they ask for different values (the step never matches).
        fn one<'c, T: PartialEq + ?Sized>(
            conds: &'c [Condition],
            pick: impl Fn(&'c Condition) -> Option<&'c T>,
        ) -> Option<Option<&'c T>> {
            let mut it = conds.iter().filter_map(pick);
            let first = it.next()?;
            Some(it.all(|v| v == first).then_some(first))
        }

        let kind = uses(is_kind).then(|| {
            let mut t = Table {
                entries: Vec::new(),
                default: free(is_kind),
            };
            for (b, s) in &bits {
                if let Some(Some(k)) = one::<TouchpointKind>(&s.conditions, kind_of) {
                    if let Some(code) = kind_code(log, k, &mut atoms) {
                        t.set(usize::from(code), *b);
                    }
                }
            }
            t
        });
        let event = uses(is_event).then(|| {
            let default = free(is_event);
            let mut by_key = Table {
                entries: Vec::new(),
                default,
            };
            let mut by_kind = by_key.clone();
            for (b, s) in &bits {
                if let Some(Some(name)) = one::<str>(&s.conditions, event_of) {
                    let key = log.event_names().get(name);
                    atoms.push(Atom::Key {
                        dict: Dict::Events,
                        name: name.to_owned(),
                        key,
                    });
                    if let Some(k) = key {
                        by_key.set(k as usize, *b);
                    }
                    let code = match name.parse::<BuiltinKind>() {
                        Ok(k) => u16::try_from(k.index()).ok(),
                        Err(_) => {
                            let code = custom_kind_code(log, name);
                            atoms.push(Atom::CustomKind {
                                name: name.to_owned(),
                                code,
                            });
                            code
                        }
                    };
                    if let Some(c) = code {
                        by_kind.set(usize::from(c), *b);
                    }
                }
            }
            (by_key, by_kind)
        });
        let channel = uses(is_channel).then(|| {
            let mut t = Table {
                entries: Vec::new(),
                default: free(is_channel),
            };
            for (b, s) in &bits {
                if let Some(Some(ch)) = one::<Channel>(&s.conditions, channel_of) {
                    let code = match ch.builtin() {
                        Some(bc) => u16::try_from(bc.index()).ok(),
                        None => {
                            let code = custom_channel_code(log, ch.as_str());
                            atoms.push(Atom::CustomChannel {
                                name: ch.as_str().to_owned(),
                                code,
                            });
                            code
                        }
                    };
                    if let Some(c) = code {
                        t.set(usize::from(c), *b);
                    }
                }
            }
            t
        });
        let mut keyed = |dict: Dict, is: fn(&Condition) -> bool| {
            uses(is).then(|| {
                let mut t = Table {
                    entries: Vec::new(),
                    default: free(is),
                };
                for (b, s) in &bits {
                    let pick = match dict {
                        Dict::Categories => category_of,
                        _ => campaign_of,
                    };
                    if let Some(Some(name)) = one::<str>(&s.conditions, pick) {
                        let key = dict.of(log).get(name);
                        atoms.push(Atom::Key {
                            dict,
                            name: name.to_owned(),
                            key,
                        });
                        if let Some(k) = key {
                            t.set(k as usize, *b);
                        }
                    }
                }
                t
            })
        };
        let category = keyed(Dict::Categories, is_category);
        let campaign = keyed(Dict::Campaigns, is_campaign);
        let mut residual = 0u64;
        let mut checks = Vec::new();
        for (b, s) in &bits {
            let rest: Vec<Condition> = s
                .conditions
                .iter()
                .filter(|c| {
                    matches!(
                        c,
                        Condition::MinAmount { .. }
                            | Condition::Stage { .. }
                            | Condition::Custom(_)
                    )
                })
                .cloned()
                .collect();
            if !rest.is_empty() {
                residual |= b;
                checks.push((*b, rest));
            }
        }
        Matcher {
            atoms,
            all,
            kind,
            event,
            channel,
            category,
            campaign,
            residual,
            checks,
        }
    }

    /// Whether the resolved codes hold in `log` (then the tables are exact
    /// for it).
    pub(crate) fn fits(&self, log: &EventLog) -> bool {
        self.atoms.iter().all(|a| a.fits(log))
    }

    /// Whether every table reads only the event-name column (and kinds for
    /// rows without a name), with no row checks: the common case.
    pub(crate) fn events_only(&self) -> bool {
        self.event.is_some()
            && self.kind.is_none()
            && self.channel.is_none()
            && self.category.is_none()
            && self.campaign.is_none()
            && self.residual == 0
    }

    /// The steps (bits 0..32) and exclusions (bits 32..64) that row `i` of
    /// `view` matches; `cols` are the view's columns.
    #[inline]
    pub(crate) fn mask(&self, view: &JourneyView<'_>, cols: &Cols<'_>, i: usize) -> u64 {
        let kind = usize::from(cols.kind.get(i).copied().unwrap_or(0));
        let mut m = self.all;
        if let Some((by_key, by_kind)) = &self.event {
            let k = key_at(cols.event, i);
            m &= if k == NULL_KEY {
                by_kind.get(kind)
            } else {
                by_key.get(k as usize)
            };
        }
        if let Some(t) = &self.kind {
            m &= t.get(kind);
        }
        if let Some(t) = &self.channel {
            m &= t.get(usize::from(cols.channel.get(i).copied().unwrap_or(0)));
        }
        if let Some(t) = &self.category {
            m &= t.get(key_at(cols.category, i) as usize);
        }
        if let Some(t) = &self.campaign {
            m &= t.get(key_at(cols.campaign, i) as usize);
        }
        if m & self.residual != 0 {
            if let Some(row) = view.row(i) {
                for (b, conds) in &self.checks {
                    if m & b != 0 && !conds.iter().all(|c| c.matches(row)) {
                        m &= !b;
                    }
                }
            }
        }
        m
    }

    /// [`Matcher::mask`] when [`Matcher::events_only`]: one lookup.
    #[inline(always)]
    pub(crate) fn event_mask(&self, cols: &Cols<'_>, i: usize) -> u64 {
        let Some((by_key, by_kind)) = &self.event else {
            return self.all;
        };
        let k = key_at(cols.event, i);
        if k == NULL_KEY {
            by_kind.get(usize::from(cols.kind.get(i).copied().unwrap_or(0)))
        } else {
            by_key.get(k as usize)
        }
    }
}

fn kind_of(c: &Condition) -> Option<&TouchpointKind> {
    match c {
        Condition::Kind { kind } => Some(kind),
        _ => None,
    }
}

fn event_of(c: &Condition) -> Option<&str> {
    match c {
        Condition::Event { name } => Some(name),
        _ => None,
    }
}

fn channel_of(c: &Condition) -> Option<&Channel> {
    match c {
        Condition::Channel { channel } => Some(channel),
        _ => None,
    }
}

fn category_of(c: &Condition) -> Option<&str> {
    match c {
        Condition::Category { category } => Some(category),
        _ => None,
    }
}

fn campaign_of(c: &Condition) -> Option<&str> {
    match c {
        Condition::Campaign { campaign } => Some(campaign),
        _ => None,
    }
}

/// The code of `kind` in `log`, recording the atom for a custom kind.
fn kind_code(log: &EventLog, kind: &TouchpointKind, atoms: &mut Vec<Atom>) -> Option<u16> {
    match kind.builtin() {
        Some(b) => u16::try_from(b.index()).ok(),
        None => {
            let code = custom_kind_code(log, kind.as_str());
            atoms.push(Atom::CustomKind {
                name: kind.as_str().to_owned(),
                code,
            });
            code
        }
    }
}
