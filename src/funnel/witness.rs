//! Witnesses: which touchpoints matched which step for one customer, and
//! why the customer stopped, printable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::funnel::kernel::StopReason;
use crate::funnel::path::FunnelPath;

/// The touchpoint behind a step, in a [`Witness`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessTouch {
    /// Its index in the journey.
    pub touchpoint: usize,
    /// Its time.
    pub at: DateTime<Utc>,
    /// Its source event name.
    pub event: String,
    /// Its kind.
    pub kind: String,
}

/// One step of a [`Witness`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessStep {
    /// The step's name.
    pub step: String,
    /// The touchpoint that filled it, if any.
    pub matched: Option<WitnessTouch>,
}

/// Which touchpoints matched which step for one customer, and why the
/// customer stopped. `Display` prints it as a few readable lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness {
    /// The customer.
    pub customer: u64,
    /// Step by step.
    pub steps: Vec<WitnessStep>,
    /// The path behind it.
    pub path: FunnelPath,
}

impl std::fmt::Display for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "customer {}: level {} of {}",
            self.customer,
            self.path.level,
            self.steps.len()
        )?;
        for (i, s) in self.steps.iter().enumerate() {
            match &s.matched {
                Some(m) => writeln!(
                    f,
                    "  {}. {:<20} touchpoint #{} {} at {}",
                    i + 1,
                    s.step,
                    m.touchpoint,
                    m.event,
                    m.at.format("%Y-%m-%d %H:%M:%S")
                )?,
                None => writeln!(f, "  {}. {:<20} -", i + 1, s.step)?,
            }
        }
        write!(f, "  stopped: {}", self.path.stop)
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Converted => f.write_str("converted"),
            StopReason::NeverReached { step } => write!(f, "never reached step {step}"),
            StopReason::OutOfWindow { step } => write!(f, "step {step} came outside the window"),
            StopReason::TooSoon { step } => write!(f, "step {step} came too soon"),
            StopReason::Excluded { exclusion } => {
                write!(f, "excluded by exclusion {}", exclusion + 1)
            }
            StopReason::StrictOrderBreak { event } => {
                write!(f, "strict order broken at event #{event}")
            }
            StopReason::Duplicate { step } => {
                write!(f, "step {step} repeated (strict deduplication)")
            }
        }
    }
}
