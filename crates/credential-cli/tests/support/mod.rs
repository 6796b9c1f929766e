//! Shared test helpers: an isolated context whose `PATH` holds the tools and
//! whose process runner is scripted.

#![allow(dead_code)]

use std::sync::Arc;

use credential_core::test_util::ScriptedProcessRunner;
use credential_core::{CredentialError, Env, Fs, ManualClock, ProviderContext};

/// A JWT-looking token, so that redaction is exercised.
pub const TOKEN: &str =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ2YXVsdCJ9.c2lnbmF0dXJlLXNlY3JldA";
/// 2030-01-01T01:00:00Z, one hour after the isolated clock's start.
pub const EXPIRES_EPOCH: i64 = 1_893_459_600;
pub const VAULT_SCOPE: &str = "https://vault.azure.net/.default";

pub struct Harness {
    pub ctx: ProviderContext,
    pub runner: ScriptedProcessRunner,
    pub clock: ManualClock,
}

/// `PATH=/opt/other:/usr/bin` with `program` in `/usr/bin`.
pub fn harness(program: &str) -> Harness {
    harness_with(
        Env::from_pairs([("PATH", "/opt/other:/usr/bin")]),
        &[program],
    )
}

pub fn harness_with(env: Env, programs: &[&str]) -> Harness {
    let runner = ScriptedProcessRunner::new();
    let clock = ManualClock::new(ProviderContext::ISOLATED_EPOCH);
    let files: Vec<(String, &str)> = programs
        .iter()
        .map(|p| (format!("/usr/bin/{p}"), ""))
        .collect();
    let ctx = ProviderContext::isolated()
        .with_env(env)
        .with_fs(Fs::from_files(files))
        .with_clock(Arc::new(clock.clone()))
        .with_process(Arc::new(runner.clone()));
    Harness { ctx, runner, clock }
}

pub fn assert_unavailable(err: &CredentialError, needle: &str) {
    assert!(err.is_unavailable(), "expected Unavailable, got {err:?}");
    assert!(err.to_string().contains(needle), "{needle:?} not in: {err}");
}

pub fn assert_invalid(err: &CredentialError) {
    assert!(
        matches!(err, CredentialError::InvalidConfiguration { .. }),
        "expected InvalidConfiguration, got {err:?}"
    );
}

/// The `get_token` error text never holds the token.
pub fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN), "token leaked: {text}");
    assert!(!text.contains("c2lnbmF0dXJl"), "token part leaked: {text}");
}
