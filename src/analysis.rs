//! The one contract every analysis implements: an accumulator made from a
//! config, fed one unit at a time, merged, finished into a report.
//!
//! This is the shape of ClickHouse's `IAggregateFunction` (`add`, `merge`,
//! `serialize`, `insertResultInto`) and DataFusion's `Accumulator`
//! (`update_batch`, `merge_batch`, `state`, `evaluate`): partial states built
//! on different threads, processes or machines merge into the state of the
//! whole, and the state serializes (serde) so it can travel between them.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::log::{EventLog, JourneyView};

/// An analysis as a mergeable, serializable accumulator.
///
/// Laws (proptested once for every analysis): for any split of the units
/// into parts, accumulating each part, merging the partial states in any
/// order (after a serde round trip of each) and finishing gives the same
/// report as accumulating the whole.
pub trait Accumulator: Sized + Clone + Serialize + DeserializeOwned {
    /// What the analysis is configured with (validated by [`Accumulator::new`]).
    type Config;
    /// One unit of input: a customer's journey, or one survey response.
    type Unit<'a>;
    /// What [`Accumulator::finish`] produces.
    type Report;

    /// An empty accumulator.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) (or the
    /// analysis's own variant) for a bad configuration.
    fn new(config: &Self::Config) -> Result<Self>;

    /// Adds one unit.
    ///
    /// # Errors
    /// The analysis's errors for a unit it cannot take (documented on the
    /// implementation).
    fn add(&mut self, unit: Self::Unit<'_>) -> Result<()>;

    /// Folds another partial state of the same configuration into this one.
    ///
    /// # Errors
    /// [`Error::Mismatch`](crate::Error::Mismatch) when the two were made
    /// from different configurations.
    fn merge(&mut self, other: Self) -> Result<()>;

    /// The report of everything added and merged.
    ///
    /// # Errors
    /// The analysis's errors for a state it cannot report on (documented on
    /// the implementation).
    fn finish(self) -> Result<Self::Report>;
}

/// Runs an analysis over every customer of a log on `threads` threads
/// (customers split into contiguous ranges of about equal rows, partial
/// states merged in order), so the report is the same for every thread
/// count.
///
/// ```
/// use cxjourney::log::EventLog;
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::{JourneyConfig, JourneyOverview, run_on_log};
/// let shop = SampleShop::generate(&SampleConfig { customers: 200, ..SampleConfig::default() })?;
/// let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
/// let one = run_on_log::<JourneyOverview>(&log, &(), 1)?;
/// let two = run_on_log::<JourneyOverview>(&log, &(), 2)?;
/// assert_eq!(one, two);
/// assert_eq!(one.customers, 200);
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// # Errors
/// The analysis's errors; `threads` of 0 counts as 1.
pub fn run_on_log<A>(log: &EventLog, config: &A::Config, threads: usize) -> Result<A::Report>
where
    A: for<'a> Accumulator<Unit<'a> = JourneyView<'a>> + Send,
    A::Config: Sync,
{
    let parts = log.split(threads.max(1));
    let run = |range: std::ops::Range<usize>| -> Result<A> {
        let mut acc = A::new(config)?;
        for j in log.journeys_in(range) {
            acc.add(j)?;
        }
        Ok(acc)
    };
    let states: Vec<Result<A>> = if parts.len() <= 1 {
        parts.into_iter().map(run).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = parts.into_iter().map(|r| s.spawn(move || run(r))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(crate::error::Error::NumericFailure {
                            what: "an analysis thread panicked".into(),
                        })
                    })
                })
                .collect()
        })
    };
    let mut total = A::new(config)?;
    for state in states {
        total.merge(state?)?;
    }
    total.finish()
}
