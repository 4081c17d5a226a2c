//! Integration tests, one binary (`autotests = false`).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod action;
mod attribution;
mod attribution_props;
mod cli;
mod common;
mod csv_file;
mod fulfilment;
mod funnel;
mod funnel_contract;
mod hostile_analyses;
mod hostile_attribution;
mod hostile_core;
mod hostile_funnel;
mod hostile_log;
mod hostile_persona;
mod hostile_survey;
mod journey;
mod layering;
mod log;
mod model;
mod overview;
mod paths;
mod pattern;
mod persona_definitions;
mod personas;
mod personas_log;
mod pyramid;
mod retention;
mod service;
mod survey_contract;
mod value;
