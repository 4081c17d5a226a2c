//! Helpers for the test binaries that include them with `mod common;`
//! (`autotests = false`, so this folder is never a test binary of its own).
//!
//! - [`script`]: a small builder that writes one shopper's touchpoints the
//!   way a person reads a journey ("on Tuesday evening, from a push
//!   notification, clicked the promotion, looked at two discounted items...").
//! - [`planted`]: a seeded population of shoppers built from the six persona
//!   definitions, with the persona each was built from.

// Each including binary uses a different part of the helpers.
#![allow(dead_code)]

pub mod cells;
pub mod planted;
pub mod script;
