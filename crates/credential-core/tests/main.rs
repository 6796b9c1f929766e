//! The integration tests of `credential-core`, one module per concern, built as one
//! test binary (each binary links the whole dependency graph: one link
//! instead of 4 keeps CI's build time and disk use down).
#![allow(clippy::unwrap_used)]

mod cache;
mod cache_store;
mod chain;
mod entra;
mod proptest_parsers;
mod retry;
