//! The integration tests of `keyvault-emulator`, one module per concern, built as one
//! test binary (each binary links the whole dependency graph: one link
//! instead of 6 keeps CI's build time and disk use down).
#![allow(clippy::unwrap_used)]

mod common;

mod auth;
mod binary;
mod client_patterns;
mod crash_recovery;
mod docs;
mod fault_request_ids;
mod interactive;
mod lifecycle;
mod operations;
mod options;
