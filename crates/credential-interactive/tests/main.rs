//! The integration tests of `credential-interactive`, one module per flow,
//! built as one test binary. Every flow runs against the embedded emulator
//! or a loopback mock; no test opens a real browser or leaves loopback.
#![allow(clippy::unwrap_used)]

mod common;

mod auth_code;
mod browser;
mod device_code;
mod device_code_wire;
mod on_behalf_of;
mod persistent_cache;
mod silent_refresh;
