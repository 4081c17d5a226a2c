//! Funnel exclusions.

use serde::{Deserialize, Serialize};

use crate::step::Step;

/// An exclusion: a customer who does this between steps `from` and `to`
/// (1-based, `from < to`) leaves that attempt of the funnel; the steps already
/// reached still count, and the customer is reported as stopped by the
/// exclusion. PostHog instead removes such customers from the whole funnel;
/// dropping customers whose [`StopReason`](crate::funnel::StopReason) is
/// `Excluded` comes close (a customer excluded once who later converts is
/// kept, as a conversion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// What the customer must not do.
    pub step: Step,
    /// The step after which the exclusion applies (1-based).
    pub from: u8,
    /// The step before which it applies (1-based).
    pub to: u8,
}
