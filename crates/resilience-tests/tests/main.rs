//! The integration tests of `resilience-tests`, one module per concern, built as one
//! test binary (each binary links the whole dependency graph: one link
//! instead of 5 keeps CI's build time and disk use down).
#![allow(clippy::unwrap_used)]

mod common;

mod proptest_challenge;
mod proptest_cli;
mod security;
mod token_faults;
mod vault_faults;
