//! Model e-commerce customer journeys and score customer experience.
//!
//! `cxjourney` turns a shop's own events into typed [`Touchpoint`]s and
//! per-customer [`Journey`]s, and answers from them: where is this customer in
//! the journey ([`Stage`], [`Phase`], [`Moment`]), what kind of shopper are
//! they ([`Persona`]), and, as the crate grows, which channels earned the sale,
//! where people drop off, how strong each layer of the experience is, and who
//! comes back. It is built for online shops in Indonesia and similar markets:
//! cash on delivery, returns to origin, SMS and WhatsApp reminders, and
//! campaign days such as 11.11 and 12.12.
//!
//! The core is pure: no I/O, no clock (every computation takes its time from
//! the data or an explicit `as_of`), no global state, seeded randomness only.
//! Results are deterministic, byte for byte.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeZone, TimeDelta, Utc};
//! use cxjourney::{CustomerId, EventMap, Journey, JourneyConfig, Stage, Touchpoint};
//!
//! // Your events, in any order, as (customer, time, GA4 event name).
//! let t0 = Utc.with_ymd_and_hms(2024, 12, 12, 19, 0, 0).unwrap();
//! let raw = [
//!     (2, 0, "view_item"), (1, 5, "add_to_cart"), (1, 0, "view_item"),
//!     (1, 9, "purchase"), (2, 2, "view_item"),
//! ];
//! let events = EventMap::ga4();
//! let mut touchpoints = Vec::new();
//! for (customer, minute, name) in raw {
//!     let (kind, event) = events.convert(name)?;
//!     touchpoints.push(
//!         Touchpoint::new(CustomerId(customer), t0 + TimeDelta::minutes(minute), kind)
//!             .with_event(event),
//!     );
//! }
//! let journeys = Journey::group(touchpoints, &JourneyConfig::default())?;
//! assert_eq!(journeys.len(), 2);
//! assert_eq!(journeys[0].current_stage(), Some(Stage::Decision));
//! assert!(journeys[0].converted());
//! assert_eq!(journeys[1].furthest_stage(), Some(Stage::Consideration));
//! # Ok::<(), cxjourney::Error>(())
//! ```
//!
//! # Overview
//!
//! - **Where**: [`Stage`] (awareness, consideration, decision, retention,
//!   advocacy), [`Phase`] (research and planning ... refunds) and [`Moment`]
//!   (pre-purchase, purchase, post-purchase), with total mappings between them.
//! - **What happened**: [`Touchpoint`] = customer ([`CustomerId`]), time,
//!   [`TouchpointKind`], [`Channel`], and facts ([`Money`], [`Device`],
//!   [`PaymentMethod`], [`CheckoutType`], product, category, campaign).
//!   [`EventMap`] converts GA4 and Segment event names to kinds.
//! - **One customer**: [`Journey`], built by [`Journey::new`] or, for a mixed
//!   stream, [`Journey::group`]: touchpoints in order, [`Session`]s and the
//!   stage path ([`StageVisit`]).
//! - **The event log**: [`log::EventLog`] holds many customers' touchpoints
//!   as columns, grouped by customer in journey order; [`log::JourneyView`]
//!   is one customer's rows, what analyses take. Analyses implement the
//!   [`Accumulator`] contract; [`run_on_log`] runs one over a log on several
//!   threads with the same result for any thread count.
//! - **Which channels earned it**: [`attribution`]: first touch, last touch,
//!   last non-direct, linear, position-based, time decay, the Markov model
//!   of order 1 to 4 with exact removal effects (no simulation) and
//!   bootstrap intervals, and the Shapley value (simplified, exact over
//!   coalitions, ordered), side by side and conserved; paths from
//!   ChannelAttribution's CSV or from journeys, refund-aware.
//! - **Who**: [`Persona`], the six shopper types; [`persona`] scores them
//!   from behaviour with reasons, and profiles how customers check out.
//! - **Analyses**: each is a `...Config`, an accumulator with `add` / `merge`
//!   / `finish`, and a serde `...Report`. [`JourneyOverview`] counts where
//!   customers are now ([`OverviewReport`]: current, furthest and entered
//!   stages, conversion, repeat buyers).
//! - **Funnels**: [`funnel`]: who reached which step, how fast and where they
//!   dropped off; exact to ClickHouse `windowFunnel` in every mode, with
//!   first-entry anchoring, exclusions, optional steps, held properties,
//!   reports, witnesses, and a compact path for millions of event rows.
//!   [`funnel::DurationSummary`] holds the exact quantiles the reports use.
//! - **Journey patterns**: [`pattern`]: which journeys match a sequence of
//!   conditions and time gaps (`(?1).*(?2)(?t<=3600)(?3)`), and how often;
//!   exact to ClickHouse `sequenceMatch` / `sequenceCount`, linear in the
//!   journey's length with no cap.
//! - **Paths**: [`paths`]: where customers go after a touchpoint, where they
//!   came from, and what they do between two, as exact Sankey nodes and
//!   edges counted in customers and, apart, in transitions.
//! - **Steps**: [`step`]: the row conditions the funnel, patterns and paths
//!   share, resolved against the event log's dictionaries once.
//! - **Who comes back**: [`retention`]: cohort retention by day, week or
//!   month of the first touch or first order ("on period k" and "on or after
//!   period k", exact to ClickHouse's daily `retention`), lifecycle (new,
//!   returning, resurrecting, dormant, as PostHog counts them) and repeat
//!   buying (repeat purchase rate, exact time between orders, churn).
//! - **How good**: the CX pyramid ([`Dimension`] in pyramid order, the ORBE
//!   [`Instrument`] in English and Indonesian, [`PyramidAccumulator`] ->
//!   [`PyramidReport`] with scores, the weakest foundation and Cronbach's
//!   alpha as pingouin computes it) and advocacy ([`AdvocacyAccumulator`]:
//!   NPS, CSAT, CES with intervals, by any breakdown key).
//! - **Value**: [`value`]: RFM scores (pandas' `qcut` over `rank(method="first")`,
//!   exactly) and segments from rule sets with a coverage report, and the
//!   `lifetimes` summary (frequency, recency, T, monetary value), from the
//!   completed orders of the event log or a transactions CSV.
//! - **Fulfilment**: [`fulfilment`]: on-time and first-attempt delivery,
//!   delivery times, returns, refunds and returns to origin by payment method,
//!   channel and month, an RTO risk score per order with its calibration, and
//!   the behavioural evidence for the pyramid's fulfilment layer.
//! - **Sample data**: [`sample`] generates a deterministic shop for examples,
//!   tests and benchmarks.
//! - **Errors**: one [`Error`] enum; nothing in the public API panics on bad input.
//!
//! # Untrusted input
//!
//! Services feed this crate data they did not write. What it guarantees:
//!
//! - **No panics** from the public API on any input: bad values are an
//!   [`Error`] naming what was wrong and the value (clippy denies `unwrap`,
//!   `expect`, indexing and `panic!` outside tests; property tests feed
//!   random input to the readers, the log, journeys, funnels and the survey
//!   scores).
//! - **Bounded work, or an error.** Journey patterns take at most 64
//!   elements and 32 conditions and match in time linear in the journey (no
//!   backtracking); paths keep at most 20 steps on each side, take at most
//!   64 grouping rules and 64 exclusions of at most 256 bytes, and spend at
//!   most 2^28 wildcard steps per state. Funnels take at most 32 steps and
//!   windows and gaps of at most [`funnel::MAX_WINDOW_SECONDS`] (100 years);
//!   every mode, `strict_once` included, and conversion attempts take time
//!   linear in a customer's events; a held property times the touchpoints
//!   of one journey is capped at 2^26; a
//!   Markov chain has at most [`attribution::DEFAULT_MAX_STATES`] states
//!   unless configured otherwise, and the exact Shapley value takes at most
//!   [`attribution::MAX_SHAPLEY_CHANNELS`] channels; every cap answers
//!   [`Error::TooMuchWork`] naming the limit, never a hang.
//!   Cohort retention reports at most 3,660 periods and holds at most
//!   [`retention::MAX_CELLS`] cohort cells, the lifecycle at most
//!   [`retention::MAX_LIFECYCLE_PERIODS`] periods, whatever time range the
//!   data spans.
//! - **Bounded sizes.** An event log holds at most [`log::MAX_ROWS`] rows and
//!   [`log::MAX_DICTIONARY_LEN`] distinct values per dictionary column, 65,536
//!   kinds and as many channels (built-in ones included) and 255 currencies;
//!   `run_on_log`, the log's splits and the CSV file reader use at most [`log::MAX_THREADS`]
//!   threads whatever the caller asks; custom names are at most
//!   [`CustomName::MAX_LEN`] bytes; survey instruments at most [`MAX_ITEMS`]
//!   items on scales of at most [`MAX_SCALE_POINTS`] points. The sample
//!   generators are capped too (1,000,000 customers and 3,660 days per
//!   shop, 20,000,000 touchpoints or users per stream), with an error naming
//!   the value.
//! - **Bounded numbers.** Every config checks every number it holds, also
//!   when it is deserialized: UTC offsets within a day, CX-index weights
//!   finite and at most [`MAX_DIMENSION_WEIGHT`], windows and durations
//!   within their documented ranges (durations round-trip through serde over
//!   the whole range of `TimeDelta`). Accumulator states read back from JSON
//!   are checked for consistency (a count of converted customers above the
//!   customers is refused), and a merge past `u64::MAX` is an error, never
//!   a wrap. Statistics that are undefined (Cronbach's alpha when the total
//!   has no variance, a rate of nobody) are `None`, never a huge finite
//!   number, and no report holds NaN or an infinity.
//! - **No hash flooding.** Every table keyed by input (customer keys, event
//!   names, product and category ids, breakdown keys, respondent ids, the
//!   log's dictionaries) uses a hasher with a random seed per table
//!   (`foldhash`), so ids crafted to collide cannot turn a linear pass into a
//!   quadratic one. The seed never reaches a result: outputs are ordered by
//!   value, not by hash.
//! - **Memory you can predict.** The event log takes about 38 bytes per row
//!   with the columns of a typical shop export (measured in the tests) and
//!   optional columns only once used; [`log::read_csv`] and
//!   [`log::read_csv_file`] stream their input, holding only the records in
//!   flight and refusing a record that grows past [`log::MAX_RECORD_BYTES`]
//!   (a quote left open). Deserialized states are
//!   checked (an event log's offsets, lengths and codes; a pyramid state's
//!   totals), and merged counts never wrap. Exact quantiles (time to convert) keep one value per
//!   converting customer; the CX pyramid keeps integer sufficient statistics
//!   whose size depends on the instrument, not on the number of answers.
//! - **Deterministic output**: the same input in any row order gives the same
//!   log and the same reports, byte for byte (the CX index is summed in fixed
//!   point, so merging and order never change a bit); results never depend
//!   on the thread count.
//!
//! The hostile-input suites (`tests/hostile_*.rs`) check these promises
//! with adversarial values for every public entry point, and release-mode
//! scaling tests hold every shape that was once quadratic at 100k rows
//! under a second.
//!
//! What the caller must bound: the size of what it hands over (a log's rows
//! and a file's bytes cost memory in proportion: about 38 bytes a row), the
//! number of customers held in memory at once, and how long it lets one
//! request run; the caps above are per call, not per service.
//!
//! # Crate features
//!
//! - `csv` (default): [`log::read_csv`] and [`log::read_csv_file`] read an
//!   event log from CSV with `csv-core` (the `csv` crate's parser), through
//!   the crate's one CSV record cutter, which also reads transactions
//!   (`value::read_transactions`) and attribution path and journeys files
//!   (`attribution::PathSet::parse_csv`, `PathFileReader`,
//!   `RuleBasedReader`). Without it the crate does no I/O and reads no CSV.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod analysis;
mod error;
mod hash;
mod journey;
mod model;
mod numeric;
mod overview;

pub mod action;
pub mod attribution;
pub mod fulfilment;
pub mod funnel;
pub mod log;
pub mod paths;
pub mod pattern;
pub mod persona;
pub mod retention;
pub mod sample;
pub mod step;
pub mod survey;
pub mod value;

pub use analysis::{Accumulator, run_on_log};
pub use error::{Error, Result};
pub use journey::{Journey, JourneyConfig, Session, StageVisit};
pub use model::{
    BuiltinChannel, BuiltinKind, CampaignId, CategoryId, Channel, CheckoutType, Currency,
    CustomName, CustomerId, Device, Dimension, EventMap, EventName, Layer, Moment, Money, OrderId,
    PaymentMethod, Persona, Phase, ProductId, Stage, Touchpoint, TouchpointKind, UnknownEvent,
};
pub use overview::{JourneyOverview, OverviewReport, StageCounts};
pub use survey::{
    AdvocacyAccumulator, AdvocacyAnswer, AdvocacyConfig, AdvocacyReport, AnswerBlock, CesReport,
    CsatReport, DimensionReport, DimensionScore, GroupReport, IndexSummary, Instrument, Item,
    ItemReliability, Language, MAX_DIMENSION_WEIGHT, MAX_ITEMS, MAX_SCALE_POINTS, MissingPolicy,
    NpsDifference, NpsReport, PyramidAccumulator, PyramidConfig, PyramidReport, PyramidSetup,
    Reliability, Reply, RespondentId, RespondentScore, Response, Responses, Scale,
};

/// The README's code example, run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
