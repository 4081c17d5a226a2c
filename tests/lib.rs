//! Integration tests, one binary (`autotests = false`).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod cli;
mod common;
mod funnel;
mod funnel_contract;
mod journey;
mod layering;
mod log;
mod model;
mod overview;
mod persona_definitions;
mod personas;
mod personas_log;
mod pyramid;
mod retention;
mod survey_contract;
