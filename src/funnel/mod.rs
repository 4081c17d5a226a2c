//! Funnels: ordered steps in a conversion window.

mod compact;
mod kernel;
mod mode;

pub use compact::{CustomerLevels, EventIds, EventRow, StepSequences, WindowFunnel};
pub use kernel::{MAX_STEPS, StopReason};
pub use mode::{Anchoring, FunnelMode, MAX_STRICT_ONCE_CHAINS};
