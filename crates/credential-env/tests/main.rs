//! The integration tests of `credential-env`, one module per concern, built as one
//! test binary (each binary links the whole dependency graph: one link
//! instead of 5 keeps CI's build time and disk use down).
#![allow(clippy::unwrap_used)]

mod common;

mod azure_pipelines;
mod client_assertion;
mod client_certificate;
mod client_secret;
mod clone;
mod environment;
mod workload_identity;
