//! The integration tests of `keyvault-secrets`, one module per concern, built as one
//! test binary (each binary links the whole dependency graph: one link
//! instead of 4 keeps CI's build time and disk use down).
#![allow(clippy::unwrap_used)]

mod common;

mod behaviour;
mod error_chain;
mod extension;
mod mockito_ops;
mod pagers_pollers;
mod proptest_identifier;
mod replay;
mod user_transport;
