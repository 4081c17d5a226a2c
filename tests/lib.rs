//! Integration tests, one binary.
mod funnel;
