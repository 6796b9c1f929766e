//! Integration tests.
#![allow(clippy::unwrap_used)]
