//! Pyramid scoring.
