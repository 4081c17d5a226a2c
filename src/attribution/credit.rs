//! What a model gives each channel, and the trait every model implements.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::attribution::fixed::Fixed;
use crate::attribution::paths::PathSet;
use crate::error::Result;

/// A channel's share of the conversions and of their value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Credit {
    /// Conversions credited to the channel.
    pub conversions: f64,
    /// Conversion value credited to the channel.
    pub value: f64,
}

/// One model's credit for every channel of a [`PathSet`], in the byte order
/// of the channel names (channels that earned nothing included, with zero).
pub type Credits = IndexMap<String, Credit>;

/// An attribution model: splits the conversions and value of a
/// [`PathSet`] among its channels.
///
/// Every model conserves: the credits add up to the path set's total
/// conversions and value (to rounding, about 1e-15 relative), except where a
/// model's documentation says it cannot (time decay of paths without touch
/// times is an error instead).
///
/// ```
/// use cxjourney::attribution::{FirstTouch, LastTouch, Linear, Markov, Model, PathSet};
/// let mut paths = PathSet::new();
/// paths.add(&["social", "search"], 3, 300.0, 2)?;
/// paths.add(&["search"], 1, 50.0, 4)?;
/// let models: [&dyn Model; 4] = [&FirstTouch, &LastTouch, &Linear, &Markov::order(1)];
/// for model in models {
///     let credit = model.attribute(&paths)?;
///     let total: f64 = credit.values().map(|c| c.conversions).sum();
///     assert!((total - 4.0).abs() < 1e-12, "{}", model.name());
/// }
/// assert_eq!(FirstTouch.attribute(&paths)?["social"].conversions, 3.0);
/// # Ok::<(), cxjourney::Error>(())
/// ```
pub trait Model {
    /// The model's name in reports (`"first_touch"`, `"markov"`, ...).
    fn name(&self) -> &'static str;

    /// Every channel's credit.
    ///
    /// # Errors
    /// The model's own (documented on each model): for example
    /// [`Error::TooMuchWork`](crate::Error::TooMuchWork) beyond a cap.
    fn attribute(&self, paths: &PathSet) -> Result<Credits>;
}

/// One path's conversions and value, exact and as floats (converted once
/// per path, shared by every model that splits them).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Amounts {
    pub(crate) conv: Fixed,
    pub(crate) value: Fixed,
    pub(crate) conv_f: f64,
    pub(crate) value_f: f64,
}

impl Amounts {
    #[inline]
    pub(crate) fn new(conversions: u64, value: Fixed) -> Amounts {
        Amounts {
            conv: Fixed::count(conversions),
            value,
            conv_f: conversions as f64,
            value_f: value.to_f64(),
        }
    }
}

/// Exact per-channel sums of credit in fixed point, so the result does not
/// depend on the order of the paths.
#[derive(Debug, Clone)]
pub(crate) struct Tally {
    conv: Vec<Fixed>,
    value: Vec<Fixed>,
}

impl Tally {
    pub(crate) fn new(channels: usize) -> Tally {
        Tally {
            conv: vec![Fixed::ZERO; channels],
            value: vec![Fixed::ZERO; channels],
        }
    }

    /// Credits all of a path's conversions and value to channel `c`.
    #[inline]
    pub(crate) fn whole(&mut self, c: u32, conv: Fixed, value: Fixed) {
        if let Some(x) = self.conv.get_mut(c as usize) {
            *x = x.add_in_range(conv);
        }
        if let Some(x) = self.value.get_mut(c as usize) {
            *x = x.add_in_range(value);
        }
    }

    /// Splits a path's conversions and value equally over `targets`; the
    /// last target gets the rounding remainder, so each path's credit sums
    /// exactly to its totals.
    #[inline]
    pub(crate) fn split_equal(&mut self, targets: &[u32], amounts: Amounts) {
        let Amounts {
            conv,
            value,
            conv_f,
            value_f,
        } = amounts;
        let Some((&last, rest)) = targets.split_last() else {
            return;
        };
        let share = 1.0 / targets.len() as f64;
        let dc = Fixed::from_share(conv_f * share).min(conv);
        let dv = Fixed::from_share(value_f * share).min(value);
        for &c in rest {
            self.whole(c, dc, dv);
        }
        let n = rest.len() as u64;
        self.whole(
            last,
            conv.minus_clamped(dc.times(n)),
            value.minus_clamped(dv.times(n)),
        );
    }

    /// Splits a path's conversions and value over its touches by position:
    /// `first` to the first touch, `middle` to each touch between, the rest
    /// to the last (so each path's credit sums exactly to its totals).
    #[inline]
    pub(crate) fn split_ends(
        &mut self,
        targets: &[u32],
        amounts: Amounts,
        first: f64,
        middle: f64,
    ) {
        let Amounts {
            conv,
            value,
            conv_f,
            value_f,
        } = amounts;
        let [head, between @ .., tail] = targets else {
            if let Some(&c) = targets.first() {
                self.whole(c, conv, value);
            }
            return;
        };
        let fc = Fixed::from_share(conv_f * first).min(conv);
        let fv = Fixed::from_share(value_f * first).min(value);
        self.whole(*head, fc, fv);
        let (mut conv_left, mut value_left) = (conv.minus_clamped(fc), value.minus_clamped(fv));
        if !between.is_empty() {
            let mc = Fixed::from_share(conv_f * middle).min(conv_left);
            let mv = Fixed::from_share(value_f * middle).min(value_left);
            let n = between.len() as u64;
            let (mc, mv) = if mc.times(n) > conv_left || mv.times(n) > value_left {
                (Fixed::ZERO, Fixed::ZERO)
            } else {
                (mc, mv)
            };
            for &c in between {
                self.whole(c, mc, mv);
            }
            conv_left = conv_left.minus_clamped(mc.times(n));
            value_left = value_left.minus_clamped(mv.times(n));
        }
        self.whole(*tail, conv_left, value_left);
    }

    /// [`Tally::split_equal`] into `linear` and [`Tally::split_ends`] into
    /// `ends` for a path of at least three touches, in one loop.
    #[inline]
    pub(crate) fn split_linear_and_ends(
        linear: &mut Tally,
        ends: &mut Tally,
        targets: &[u32],
        amounts: Amounts,
        first: f64,
        middle: f64,
    ) {
        let [head, between @ .., tail] = targets else {
            linear.split_equal(targets, amounts);
            ends.split_ends(targets, amounts, first, middle);
            return;
        };
        let Amounts {
            conv,
            value,
            conv_f,
            value_f,
        } = amounts;
        let n = targets.len() as u64;
        let share = 1.0 / targets.len() as f64;
        let lc = Fixed::from_share(conv_f * share).min(conv);
        let lv = Fixed::from_share(value_f * share).min(value);
        let fc = Fixed::from_share(conv_f * first).min(conv);
        let fv = Fixed::from_share(value_f * first).min(value);
        let (conv_rest, value_rest) = (conv.minus_clamped(fc), value.minus_clamped(fv));
        let k = between.len() as u64;
        let mut mc = Fixed::from_share(conv_f * middle).min(conv_rest);
        let mut mv = Fixed::from_share(value_f * middle).min(value_rest);
        if mc.times(k) > conv_rest || mv.times(k) > value_rest {
            mc = Fixed::ZERO;
            mv = Fixed::ZERO;
        }
        linear.whole(*head, lc, lv);
        ends.whole(*head, fc, fv);
        for &c in between {
            linear.whole(c, lc, lv);
            ends.whole(c, mc, mv);
        }
        linear.whole(
            *tail,
            conv.minus_clamped(lc.times(n - 1)),
            value.minus_clamped(lv.times(n - 1)),
        );
        ends.whole(
            *tail,
            conv_rest.minus_clamped(mc.times(k)),
            value_rest.minus_clamped(mv.times(k)),
        );
    }

    /// Makes room for channels up to `n`.
    pub(crate) fn grow(&mut self, n: usize) {
        if self.conv.len() < n {
            self.conv.resize(n, Fixed::ZERO);
            self.value.resize(n, Fixed::ZERO);
        }
    }

    /// Adds a tally whose channel `c` is this one's `map[c]`.
    pub(crate) fn absorb_mapped(&mut self, other: &Tally, map: &[u32]) {
        for (c, &to) in map.iter().enumerate() {
            let conv = other.conv.get(c).copied().unwrap_or_default();
            let value = other.value.get(c).copied().unwrap_or_default();
            self.whole(to, conv, value);
        }
    }

    /// Adds another tally of the same channels (exact, so the order of the
    /// parts does not matter).
    pub(crate) fn absorb(&mut self, other: &Tally) {
        for (a, b) in self.conv.iter_mut().zip(&other.conv) {
            *a += *b;
        }
        for (a, b) in self.value.iter_mut().zip(&other.value) {
            *a += *b;
        }
    }

    /// The credit of channel id `c`.
    pub(crate) fn get(&self, c: u32) -> Credit {
        Credit {
            conversions: self
                .conv
                .get(c as usize)
                .copied()
                .unwrap_or_default()
                .to_f64(),
            value: self
                .value
                .get(c as usize)
                .copied()
                .unwrap_or_default()
                .to_f64(),
        }
    }

    /// The credits by channel name.
    pub(crate) fn into_credits(self, paths: &PathSet) -> Credits {
        named(paths, |c| self.get(c))
    }
}

/// `f(id)` for every channel of `paths`, by channel name.
pub(crate) fn named<T>(paths: &PathSet, mut f: impl FnMut(u32) -> T) -> IndexMap<String, T> {
    paths
        .ids_by_name()
        .into_iter()
        .map(|c| (paths.channel_name(c).to_owned(), f(c)))
        .collect()
}
