//! The integration tests of `credential-azure-core`, one module per concern, built as one
//! test binary (each binary links the whole dependency graph: one link
//! instead of 2 keeps CI's build time and disk use down).
#![allow(clippy::unwrap_used)]

mod adapter;
mod official_client;
