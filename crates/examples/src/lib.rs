//! Runnable walkthroughs of the real flows. Each example's `main` is the
//! code you would copy, with its narration printed around the calls:
//!
//! - `cargo run -p examples --example quickstart`
//! - `cargo run -p examples --example set_update_rotate`
//! - `cargo run -p examples --example choose_credential`
//! - `cargo run -p examples --example app_config`
//! - `cargo run -p examples --example bearer_token`
//! - `cargo run -p examples --example sign_in_device_code` and
//!   `--example sign_in_browser`
//!
//! This library holds only what the examples share: [`vault_or_local_emulator`]
//! picks the vault. With `AZURE_KEYVAULT_URL` set, the examples use that
//! vault and your real sign-in. Without it they start the embedded Key Vault
//! emulator on a loopback port and point the credential at it through an
//! injected environment (the process environment is never changed).

pub mod target;

pub use target::vault_or_local_emulator;

/// The README's code blocks, compiled as doc tests (the quick-start must
/// build as written).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// The error type of the walkthroughs: anything, with a readable message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A secret name that is new on every call and every run:
/// `{prefix}-{8 random hex digits}{4 hex digits of a counter}`. The random
/// part comes from the standard library's randomly seeded hasher.
pub fn unique_name(prefix: &str) -> String {
    use std::hash::{BuildHasher, RandomState};
    use std::sync::atomic::{AtomicU32, Ordering};

    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random = RandomState::new().hash_one(count) as u32;
    format!("{prefix}-{random:08x}{count:04x}")
}

#[cfg(test)]
mod tests {
    use super::unique_name;

    #[test]
    fn unique_names_keep_the_prefix_and_differ_on_each_call() {
        let first = unique_name("demo");
        let second = unique_name("demo");
        assert!(first.starts_with("demo-"), "{first}");
        assert!(
            first["demo-".len()..]
                .chars()
                .all(|c| c.is_ascii_hexdigit()),
            "{first}"
        );
        assert_ne!(first, second);
    }
}
