//! Runnable walkthroughs of the real flows, each a function that writes its
//! narration to any `Write` so that tests can run it and check what it says.
//!
//! - [`quickstart`]: `cargo run -p examples --example quickstart`
//! - [`set_update_rotate`]: `cargo run -p examples --example set_update_rotate`
//! - [`choose_credential`]: `cargo run -p examples --example choose_credential`
//! - [`app_config`]: `cargo run -p examples --example app_config`
//! - [`bearer_token`]: `cargo run -p examples --example bearer_token`
//! - [`sign_in`]: `cargo run -p examples --example sign_in_device_code` and
//!   `--example sign_in_browser`
//!
//! With `AZURE_KEYVAULT_URL` set, the walkthroughs use that vault and the
//! real `DefaultAzureCredential`. Without it they start the embedded Key
//! Vault emulator on a loopback port and point the credential at it through
//! an injected environment (the process environment is never changed).

pub mod sign_in;
pub mod target;

pub use target::vault_or_local_emulator;

/// The README's code blocks, compiled as doc tests (the quick-start must
/// build as written).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// The error type of the walkthroughs: anything, with a readable message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A secret name that is new on every run: `{prefix}-{8 hex digits}`.
pub fn unique_name(prefix: &str) -> String {
    let n = (credential_core::retry::random_unit() * f64::from(u32::MAX)) as u32;
    format!("{prefix}-{n:08x}")
}
