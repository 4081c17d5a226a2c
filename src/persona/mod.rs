//! Shopper personas and checkout profiles from behaviour, explained.
//!
//! Two levels, as the research does: each session gets a mode
//! ([`SessionMode`], after Moe 2003), and each customer gets a score in
//! [0, 1] for each of the six [`Persona`]s, a primary persona and the reasons.
//!
//! 1. [`BehaviourProfile`]: one pass over the columns of a journey of an
//!    event log ([`JourneyView`]; a [`Journey`] through [`Journey::view`]) up
//!    to an explicit `as_of` (no clock is read) computes sessions, views,
//!    category concentration, comparisons, orders, discounts, campaign days,
//!    basket growth, advocacy and a [`CheckoutProfile`]. Products and
//!    categories are counted by their dictionary keys in a per-journey table,
//!    so no string is hashed and no row allocates.
//! 2. [`Classifier::classify`]: soft ramps around the thresholds of a
//!    [`PersonaConfig`] give every persona a score; the primary persona is the
//!    first one of [`PersonaConfig::precedence`] that passes.
//!    [`Classifier::explain`] adds the [`Reason`]s: feature, value, threshold
//!    and how much each moved the score. [`Profiler::classify_view`] does
//!    both for one journey after another, reusing its tables. The
//!    definitions follow the source's sentences (quoted on
//!    [`DealThresholds`] and [`LoyalThresholds`]): deal-driven is buying on
//!    an offer (discount, coupon, promotion), loyal is coming back at
//!    ordinary prices. Evidence the input cannot carry ([`Evidence`]) is
//!    left out of the scores rather than counted as absent, and a customer
//!    with too little behaviour is [undetermined](Classification::undetermined).
//! 3. Over time: [`Classifier::classify_at`] classifies as of any instant and
//!    [`Classifier::transitions`] lists persona changes between two.
//! 4. Population: [`PersonaAccumulator`] (the crate's
//!    [`Accumulator`](crate::Accumulator), made from a [`PersonaRun`]: the
//!    thresholds and `as_of`) gives a [`PersonaReport`] by acquisition channel
//!    and month of first order, on any number of threads with
//!    [`run_on_log`](crate::run_on_log); [`PersonaConfusion`] compares with
//!    known personas (such as the sample shop's planted ones).
//!
//! ```
//! use chrono::{TimeZone, TimeDelta, Utc};
//! use cxjourney::persona::Classifier;
//! use cxjourney::{BuiltinKind as K, CustomerId, Journey, JourneyConfig, Persona, Touchpoint};
//! let t0 = Utc.with_ymd_and_hms(2024, 9, 3, 5, 0, 0).unwrap();
//! let c = CustomerId(7);
//! let mut tps = Vec::new();
//! for week in 0..4 {
//!     let t = t0 + TimeDelta::weeks(week);
//!     tps.push(Touchpoint::new(c, t, K::ProductView).with_product("beras-5kg").with_category("groceries"));
//!     tps.push(Touchpoint::new(c, t + TimeDelta::minutes(1), K::AddToCart).with_product("beras-5kg"));
//!     tps.push(Touchpoint::new(c, t + TimeDelta::minutes(3), K::OrderCompleted));
//! }
//! tps.push(Touchpoint::new(c, t0 + TimeDelta::days(25), K::ReferralSent));
//! let journey = Journey::new(tps, &JourneyConfig::default())?;
//! let classifier = Classifier::default();
//! let as_of = t0 + TimeDelta::days(30);
//! let profile = classifier.profile(&journey, as_of);
//! let explained = classifier.explain(&profile);
//! assert_eq!(explained.classification.primary, Persona::Loyal);
//! println!("{explained}");
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod checkout;
pub(crate) mod config;
mod keys;
mod profile;
mod report;
mod score;
mod session;

pub use checkout::{CheckoutProfile, PaymentStyle, ReminderChannel, ReminderNeed};
pub use config::{
    CampaignCalendar, CampaignDay, DEFAULT_PRECEDENCE, DealThresholds, Evidence, FocusedThresholds,
    ImpulsiveThresholds, LoyalThresholds, PersonaConfig, Ramp, ResearcherThresholds,
    SessionModeConfig, SurferThresholds,
};
pub use profile::{BehaviourProfile, Profiler};
pub use report::{
    PersonaAccumulator, PersonaConfusion, PersonaReport, PersonaRun, Transition, TransitionReport,
};
pub use score::{Classification, Explanation, Feature, ImpulsiveSignals, PersonaScores, Reason};
pub use session::{SessionMode, SessionModeCounts, session_modes};

/// The six shopper personas (the model enum, also at the crate root).
pub use crate::model::Persona;

use chrono::{DateTime, Utc};
use indexmap::IndexMap;

use crate::error::Result;
use crate::journey::Journey;
use crate::log::JourneyView;

/// Classifies customers into personas: a validated [`PersonaConfig`] with its
/// precomputed tables.
#[derive(Debug, Clone)]
pub struct Classifier {
    config: PersonaConfig,
    compiled: profile::Compiled,
    weights: score::Weights,
    precedence: [Persona; 6],
}

impl Default for Classifier {
    /// The classifier of [`PersonaConfig::default`].
    fn default() -> Self {
        let config = PersonaConfig::default();
        Classifier {
            compiled: profile::Compiled::new(&config),
            weights: score::Weights::new(&config),
            config,
            precedence: DEFAULT_PRECEDENCE,
        }
    }
}

impl Classifier {
    /// A classifier with the given configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) when the
    /// configuration does not validate ([`PersonaConfig::validate`]).
    pub fn new(config: PersonaConfig) -> Result<Classifier> {
        config.validate()?;
        let mut precedence = DEFAULT_PRECEDENCE;
        for (slot, p) in precedence.iter_mut().zip(&config.precedence) {
            *slot = *p;
        }
        Ok(Classifier {
            compiled: profile::Compiled::new(&config),
            weights: score::Weights::new(&config),
            config,
            precedence,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &PersonaConfig {
        &self.config
    }

    /// A profiler that reuses its scratch space across journeys.
    #[must_use]
    pub fn profiler(&self) -> Profiler<'_> {
        Profiler::new(self)
    }

    pub(crate) fn compiled(&self) -> &profile::Compiled {
        &self.compiled
    }

    /// The behaviour profile of a journey from its touchpoints at or before
    /// `as_of`. For many journeys, reuse a [`Profiler`].
    #[must_use]
    pub fn profile(&self, journey: &Journey, as_of: DateTime<Utc>) -> BehaviourProfile {
        self.profiler().profile(journey, as_of)
    }

    /// The behaviour profile of a journey of an event log from its rows at
    /// or before `as_of`. For many journeys, reuse a [`Profiler`] or run a
    /// [`PersonaAccumulator`].
    #[must_use]
    pub fn profile_view(&self, journey: JourneyView<'_>, as_of: DateTime<Utc>) -> BehaviourProfile {
        self.profiler().profile_view(journey, as_of)
    }

    /// Profile and classification of a journey of an event log as of an
    /// instant; `None` when the journey had not started by then. For many
    /// journeys, use [`Profiler::classify_view`] or a
    /// [`PersonaAccumulator`], which reuse their tables.
    #[must_use]
    pub fn classify_view(
        &self,
        journey: JourneyView<'_>,
        as_of: DateTime<Utc>,
    ) -> Option<(BehaviourProfile, Classification)> {
        self.profiler().classify_view(journey, as_of)
    }

    /// Every persona's score and the primary persona. Allocation-free.
    #[must_use]
    pub fn classify(&self, profile: &BehaviourProfile) -> Classification {
        let c = &self.config;
        let w = &self.weights;
        let q = &mut score::Quiet;
        let scores = [
            score::score(Persona::Surfer, profile, c, w, q),
            score::score(Persona::Researcher, profile, c, w, q),
            score::score(Persona::FocusedBuyer, profile, c, w, q),
            score::score(Persona::DealDriven, profile, c, w, q),
            score::score(Persona::ImpulsiveOneTime, profile, c, w, q),
            score::score(Persona::Loyal, profile, c, w, q),
        ];
        let (primary, passed) = score::primary(&scores, &self.precedence, self.config.pass_score);
        Classification {
            customer: profile.customer,
            primary,
            score: scores.get(primary.index()).copied().unwrap_or(0.0),
            passed,
            scores: PersonaScores(scores),
            undetermined: score::undetermined(profile, c),
        }
    }

    /// The classification with the reasons of every score and the impulsive
    /// and one-time signals. Gives the same scores as [`Classifier::classify`].
    #[must_use]
    pub fn explain(&self, profile: &BehaviourProfile) -> Explanation {
        let classification = self.classify(profile);
        let mut reasons = IndexMap::with_capacity(6);
        for &p in Persona::ALL {
            let mut rec = score::Record::default();
            score::score(p, profile, &self.config, &self.weights, &mut rec);
            reasons.insert(p, rec.0);
        }
        Explanation {
            classification,
            reasons,
            impulsive_signals: score::impulsive_signals(profile, &self.config),
        }
    }

    /// Profile and classification of a journey as of an instant; `None` when
    /// the journey had not started by then.
    #[must_use]
    pub fn classify_at(
        &self,
        journey: &Journey,
        as_of: DateTime<Utc>,
    ) -> Option<(BehaviourProfile, Classification)> {
        let profile = self.profile(journey, as_of);
        if profile.touchpoints == 0 {
            return None;
        }
        let c = self.classify(&profile);
        Some((profile, c))
    }

    /// Profiles and classifies every journey as of an instant, in order,
    /// calling `f` for each journey that had started by then: a loop over
    /// [`Profiler::profile`] and [`Classifier::classify`].
    pub fn classify_each<F>(&self, journeys: &[Journey], as_of: DateTime<Utc>, mut f: F)
    where
        F: FnMut(&Journey, &BehaviourProfile, &Classification),
    {
        let mut profiler = self.profiler();
        for j in journeys {
            if let Some((p, c)) = profiler.classify_view(j.view(), as_of) {
                f(j, &p, &c);
            }
        }
    }

    /// The population report of journeys as of an instant (journeys that had
    /// not started are left out). For an event log, run a
    /// [`PersonaAccumulator`] ([`run_on_log`](crate::run_on_log)).
    #[must_use]
    pub fn report(&self, journeys: &[Journey], as_of: DateTime<Utc>) -> PersonaReport {
        let mut acc = PersonaAccumulator::with_classifier(self.clone(), as_of);
        for j in journeys {
            acc.add_journey(j.view());
        }
        acc.report()
    }

    /// Persona changes of every customer between two instants.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) when `to` is
    /// before `from`.
    pub fn transitions(
        &self,
        journeys: &[Journey],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<TransitionReport> {
        if to < from {
            return Err(crate::error::Error::InvalidConfig {
                field: "to",
                value: to.to_rfc3339(),
                reason: "the second date must not be before the first",
            });
        }
        let mut report = TransitionReport::new(from, to);
        let mut profiler = self.profiler();
        for j in journeys {
            let before = profiler.profile(j, from);
            let before = (before.touchpoints > 0).then(|| self.classify(&before).primary);
            let after = profiler.profile(j, to);
            if after.touchpoints == 0 {
                continue;
            }
            report.add(j.customer(), before, self.classify(&after).primary);
        }
        Ok(report)
    }

    /// The mode of every session of a journey (see [`session_modes`]).
    #[must_use]
    pub fn session_modes(&self, journey: &Journey) -> Vec<Option<SessionMode>> {
        session_modes(journey, &self.config.session_modes)
    }
}
