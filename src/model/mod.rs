//! The model layer: plain data with serde and validation, no analysis.
//!
//! Stages, touchpoint kinds, channels, source event names, ids, money, the
//! touchpoint itself, the persona enum and the five pyramid dimensions.
//! Everything here is re-exported at the crate root; inside the crate, code
//! imports it from here (`crate::model::{Stage, Touchpoint}`).
//!
//! Architecture invariant: a model file imports only other model files and
//! `crate::error` (and `crate::hash` for its lookup tables).

pub(crate) mod names;
pub(crate) mod time;

mod channel;
mod dimension;
mod event;
mod id;
mod kind;
mod money;
mod persona;
mod stage;
mod touchpoint;

pub use channel::{BuiltinChannel, Channel};
pub use dimension::{Dimension, Layer};
pub use event::{EventMap, UnknownEvent};
pub use id::{CampaignId, CategoryId, CustomerId, EventName, OrderId, ProductId};
pub use kind::{BuiltinKind, TouchpointKind};
pub use money::{Currency, Money};
pub use names::CustomName;
pub use persona::Persona;
pub use stage::{Moment, Phase, Stage};
pub use touchpoint::{CheckoutType, Device, PaymentMethod, Touchpoint};
