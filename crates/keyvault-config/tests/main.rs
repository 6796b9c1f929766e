//! The integration tests: against the embedded emulator, and against
//! mockito where exact requests matter.
#![allow(clippy::unwrap_used)]

mod common;

mod emulator;
mod wire;
