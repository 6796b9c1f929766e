//! The integration tests of `credential-cli`, one module per concern, built as one
//! test binary (each binary links the whole dependency graph: one link
//! instead of 4 keeps CI's build time and disk use down).
#![allow(clippy::unwrap_used)]

mod support;

mod azure_cli;
mod azure_developer_cli;
mod azure_powershell;
mod real_processes;
