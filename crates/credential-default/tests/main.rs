//! The integration tests of `credential-default`, one module per concern, built as one
//! test binary (each binary links the whole dependency graph: one link
//! instead of 3 keeps CI's build time and disk use down).
#![allow(clippy::unwrap_used)]

mod common;

mod chain;
mod concurrency;
mod facade_alone;
mod first_call_real;
mod misconfigured;
mod options;
mod token_credentials_env;
