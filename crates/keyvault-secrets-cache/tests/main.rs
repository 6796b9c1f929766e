//! The integration tests: the cache's rules on a paused clock over an
//! in-memory vault, the wire against mockito, and the emulator.
#![allow(clippy::unwrap_used)]

mod common;

mod emulator;
mod rules;
mod wire;
