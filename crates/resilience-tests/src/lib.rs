//! Cross-crate resilience tests: faults (throttling, 5xx, resets, timeouts,
//! truncated bodies) against the Key Vault emulator and small loopback
//! servers, the token endpoint and IMDS failing the same ways, a soak under
//! token expiry and throttling, security checks (no bearer token over plain
//! http, to a foreign challenge domain or across a redirect; no shell
//! metacharacters reach a CLI; no secret in trace logs), and property tests
//! of the parsers that are reachable only through public APIs
//! (`WWW-Authenticate` challenges, CLI outputs).
//!
//! This crate has no code of its own: everything is under `tests/`, and the
//! cargo-fuzz project under `fuzz/` (see `fuzz/README.md`).
