//! The integration tests of `credential-cache-store`, one binary. Every test
//! uses a temporary directory and an in-memory keyring: nothing touches the
//! user's cache or keyring.
#![allow(clippy::unwrap_used)]

mod processes;
mod store;
