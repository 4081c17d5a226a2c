//! Integration tests, one binary.

mod personas;
