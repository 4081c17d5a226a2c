//! Integration tests, one binary.
mod pyramid;
