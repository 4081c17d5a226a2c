//! The kernel alone: ClickHouse's `windowFunnel` on one customer's
//! `(seconds, step)` events.

use chrono::TimeDelta;

use crate::error::{Error, Result};
use crate::funnel::kernel::{self, MAX_STEPS, Rules};
use crate::funnel::mode::FunnelMode;

/// ClickHouse's `windowFunnel` kernel on one customer's `(seconds, step)`
/// events: a number of steps, a window and a [`FunnelMode`]. This is the
/// kernel alone, for events already projected to steps; a [`Funnel`] over an
/// event log is the usual entry point.
///
/// [`Funnel`]: crate::funnel::Funnel
///
/// ```
/// use chrono::TimeDelta;
/// use cxjourney::funnel::{FunnelMode, WindowFunnel};
/// let funnel = WindowFunnel::new(3, TimeDelta::hours(1), FunnelMode::default())?;
/// // (seconds, step): step 0 matches no step; any order
/// let mut events = [(30, 3), (0, 1), (10, 2), (10, 0)];
/// assert_eq!(funnel.level(&mut events)?, 3);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowFunnel {
    rules: Rules,
}

impl WindowFunnel {
    /// A funnel of `steps` steps (1 to 32) and a window measured from the
    /// chain's first step, inclusive, in whole seconds (a fraction of a second
    /// is dropped, as timestamps are whole seconds).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for 0 or more than 32 steps, a negative window
    /// or one above [`MAX_WINDOW_SECONDS`](crate::funnel::MAX_WINDOW_SECONDS),
    /// or an invalid mode combination.
    pub fn new(steps: usize, window: TimeDelta, mode: FunnelMode) -> Result<Self> {
        if steps == 0 || steps > MAX_STEPS {
            return Err(Error::InvalidConfig {
                field: "steps",
                value: steps.to_string(),
                reason: "a funnel has 1 to 32 steps",
            });
        }
        if window < TimeDelta::zero()
            || window.num_seconds() > crate::funnel::config::MAX_WINDOW_SECONDS
        {
            return Err(Error::InvalidConfig {
                field: "window",
                value: format!("{} seconds", crate::model::time::secs_f64(window)),
                reason: "must be within 0 and 100 years (MAX_WINDOW_SECONDS)",
            });
        }
        mode.validate()?;
        let steps = u8::try_from(steps).unwrap_or(u8::MAX);
        Ok(WindowFunnel {
            rules: Rules::plain(steps, window.num_seconds(), mode),
        })
    }

    /// The number of steps.
    #[must_use]
    pub fn steps(&self) -> usize {
        usize::from(self.rules.steps)
    }

    /// The mode.
    #[must_use]
    pub fn mode(&self) -> FunnelMode {
        self.rules.mode
    }

    /// The level of one customer from `(seconds, step)` pairs in any order;
    /// step 0 means the event matches no step (it matters for
    /// `strict_order`). The slice is sorted in place.
    ///
    /// Under `strict_once` each pair is taken as its own row.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a step above the funnel's steps.
    pub fn level(&self, events: &mut [(i64, u8)]) -> Result<u8> {
        if let Some(&(_, s)) = events.iter().find(|(_, s)| *s > self.rules.steps) {
            return Err(Error::InvalidConfig {
                field: "step",
                value: s.to_string(),
                reason: "above the number of steps of the funnel",
            });
        }
        events.sort_unstable();
        if self.rules.mode.strict_once {
            let rows: Vec<(i64, u8, u32)> = events
                .iter()
                .zip(0u32..)
                .map(|(&(t, s), i)| (t, s, i))
                .collect();
            return Ok(kernel::level_strict_once(&self.rules, &rows).0);
        }
        Ok(kernel::level(&self.rules, events.iter().copied()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_inputs_are_errors() {
        assert!(WindowFunnel::new(0, TimeDelta::zero(), FunnelMode::default()).is_err());
        assert!(WindowFunnel::new(33, TimeDelta::zero(), FunnelMode::default()).is_err());
        assert!(WindowFunnel::new(2, TimeDelta::seconds(-1), FunnelMode::default()).is_err());
        let f = WindowFunnel::new(2, TimeDelta::zero(), FunnelMode::default()).unwrap();
        assert!(f.level(&mut [(0, 3)]).is_err());
        assert_eq!(f.level(&mut []).unwrap(), 0);
    }
}
