//! The customer context the rules read: filled by the caller from the
//! analyses (persona, journey view, pyramid, and later value and
//! fulfilment).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::log::JourneyView;
use crate::model::{BuiltinKind, CustomerId, Dimension, Persona, Stage};
use crate::persona::{BehaviourProfile, CheckoutProfile, Classification};

/// Recent events of one customer, derived from the journey
/// ([`RecentEvents::from_view`]) or filled by the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RecentEvents {
    /// Hours since the last add-to-cart that no order followed; `None` when
    /// no cart is left open.
    pub cart_abandoned_hours: Option<f64>,
    /// The last delivery attempt has no delivery after it.
    pub failed_delivery: bool,
    /// The last return (requested or received) has no refund after it.
    pub refund_pending: bool,
    /// The last support contact has no support response after it.
    pub support_unanswered: bool,
}

impl RecentEvents {
    /// The recent events of a journey as of `as_of` (rows after it are
    /// ignored): one pass over the kind and time columns.
    ///
    /// ```
    /// use chrono::{TimeZone, TimeDelta, Utc};
    /// use cxjourney::action::RecentEvents;
    /// use cxjourney::{BuiltinKind as K, CustomerId, Journey, JourneyConfig, Touchpoint};
    /// let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 2, 0, 0).unwrap();
    /// let c = CustomerId(1);
    /// let journey = Journey::new(vec![
    ///     Touchpoint::new(c, t0, K::ProductView),
    ///     Touchpoint::new(c, t0 + TimeDelta::minutes(2), K::AddToCart),
    /// ], &JourneyConfig::default())?;
    /// let events = RecentEvents::from_view(&journey.view(), t0 + TimeDelta::hours(5));
    /// assert_eq!(events.cart_abandoned_hours.map(f64::round), Some(5.0));
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    #[must_use]
    pub fn from_view(view: &JourneyView<'_>, as_of: DateTime<Utc>) -> RecentEvents {
        const NONE: i64 = i64::MIN;
        let code = |k: BuiltinKind| k.index() as u16;
        let (cart, order) = (
            code(BuiltinKind::AddToCart),
            code(BuiltinKind::OrderCompleted),
        );
        let (attempt, delivered) = (
            code(BuiltinKind::DeliveryAttempt),
            code(BuiltinKind::Delivered),
        );
        let (ret_req, ret, refund) = (
            code(BuiltinKind::ReturnRequested),
            code(BuiltinKind::Returned),
            code(BuiltinKind::Refund),
        );
        let (contact, response) = (
            code(BuiltinKind::SupportContact),
            code(BuiltinKind::SupportResponse),
        );
        let limit = as_of.timestamp_micros();
        let mut last = [NONE; 8];
        for (&t, &k) in view.times().iter().zip(view.kind_codes()) {
            if t > limit {
                break;
            }
            let slot = match k {
                _ if k == cart => 0,
                _ if k == order => 1,
                _ if k == attempt => 2,
                _ if k == delivered => 3,
                _ if k == ret_req || k == ret => 4,
                _ if k == refund => 5,
                _ if k == contact => 6,
                _ if k == response => 7,
                _ => continue,
            };
            if let Some(s) = last.get_mut(slot) {
                *s = t;
            }
        }
        let [
            cart_t,
            order_t,
            attempt_t,
            delivered_t,
            return_t,
            refund_t,
            contact_t,
            response_t,
        ] = last;
        RecentEvents {
            cart_abandoned_hours: (cart_t != NONE && cart_t > order_t)
                .then(|| (limit.saturating_sub(cart_t)) as f64 / 3_600_000_000.0),
            failed_delivery: attempt_t != NONE && attempt_t > delivered_t,
            refund_pending: return_t != NONE && return_t > refund_t,
            support_unanswered: contact_t != NONE && contact_t > response_t,
        }
    }
}

/// What the rules know about one customer.
///
/// The caller fills it from the analyses: [`CustomerContext::from_profile`]
/// takes the persona classification, the behaviour profile and the journey;
/// the weakest pyramid dimension comes from a [`PyramidReport`](crate::PyramidReport)
/// (the shop's, or the customer's segment's); the RFM segment and the
/// return-to-origin risk come from the value and fulfilment analyses once
/// they are there (until then they stay `None`, and rules on them do not
/// fire); the campaign-day flag from the shop's calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerContext {
    /// The customer.
    pub customer: CustomerId,
    /// Persona scores in [0, 1], in [`Persona::ALL`] order.
    pub scores: [f64; 6],
    /// The primary persona; `None` when undetermined.
    pub primary: Option<Persona>,
    /// The current stage; `None` for an empty journey.
    pub stage: Option<Stage>,
    /// The weakest pyramid dimension (the weakest foundation), when known.
    pub weakest_dimension: Option<Dimension>,
    /// How the customer checks out, pays and is reminded.
    pub checkout: CheckoutProfile,
    /// Orders so far.
    pub orders: u32,
    /// Share of orders with a discount, in [0, 1].
    pub discounted_order_share: f64,
    /// Days since the last order; `None` without orders.
    pub days_since_last_order: Option<f64>,
    /// The RFM segment's name (from the value analysis).
    pub rfm_segment: Option<String>,
    /// The return-to-origin risk in [0, 1] (from the fulfilment analysis).
    pub rto_risk: Option<f64>,
    /// Recent events.
    pub events: RecentEvents,
    /// Whether now is a campaign day.
    pub campaign_day: bool,
}

impl CustomerContext {
    /// An empty context: no persona, no stage, no orders, no events.
    #[must_use]
    pub fn new(customer: CustomerId) -> CustomerContext {
        CustomerContext {
            customer,
            scores: [0.0; 6],
            primary: None,
            stage: None,
            weakest_dimension: None,
            checkout: CheckoutProfile::default(),
            orders: 0,
            discounted_order_share: 0.0,
            days_since_last_order: None,
            rfm_segment: None,
            rto_risk: None,
            events: RecentEvents::default(),
            campaign_day: false,
        }
    }

    /// The context from a persona classification, the behaviour profile it
    /// was made from and the customer's journey, as of the profile's
    /// `as_of` (the stage is the one entered last by then). The weakest dimension, RFM segment, RTO risk and
    /// campaign-day flag are left for the caller.
    #[must_use]
    pub fn from_profile(
        classification: &Classification,
        profile: &BehaviourProfile,
        view: &JourneyView<'_>,
    ) -> CustomerContext {
        CustomerContext {
            customer: classification.customer,
            scores: classification.scores.0,
            primary: classification.persona(),
            stage: view
                .stage_path()
                .take_while(|v| v.entered_at <= profile.as_of)
                .last()
                .map(|v| v.stage),
            weakest_dimension: None,
            checkout: profile.checkout,
            orders: profile.orders,
            discounted_order_share: profile.discounted_order_share,
            days_since_last_order: profile.days_since_last_order,
            rfm_segment: None,
            rto_risk: None,
            events: RecentEvents::from_view(view, profile.as_of),
            campaign_day: false,
        }
    }
}
