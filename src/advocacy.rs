//! Advocacy.
