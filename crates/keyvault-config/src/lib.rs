//! Azure Key Vault secrets as application configuration.
//!
//! [`KeyVaultConfig`] lists a vault, reads its enabled secrets and maps
//! their names to configuration keys the way ASP.NET's Key Vault provider
//! does:
//! - `--` separates levels and keys are lower-cased:
//!   `Database--Password` → `database.password`;
//! - an optional prefix selects secrets and is stripped
//!   ([`with_prefix`](KeyVaultConfigBuilder::with_prefix)`("myapp-")`);
//! - a mapping function of your own replaces all that
//!   ([`with_key_mapping`](KeyVaultConfigBuilder::with_key_mapping));
//! - secrets with content type `application/json` can be merged as nested
//!   values ([`with_nested_json`](KeyVaultConfigBuilder::with_nested_json), opt-in).
//!
//! The result, a [`Snapshot`], is a `figment::Provider` (feature `figment`)
//! and a `config::Source` (feature `config`). Both features are off by
//! default; each adds two or three small crates.
//!
//! [`KeyVaultConfig::watch`] returns a [`ReloadHandle`] that re-lists the
//! vault every interval, reads again only the secrets whose `updated`
//! changed, and publishes each new configuration through a
//! `tokio::sync::watch` receiver; a failed reload keeps the last good one.
//!
//! ```no_run
//! # async fn f(client: keyvault_secrets::SecretClient) -> Result<(), keyvault_config::ConfigError> {
//! use keyvault_config::KeyVaultConfig;
//! use std::time::Duration;
//! let config = KeyVaultConfig::builder(client).with_prefix("myapp-").build()?;
//! let handle = config.watch(Duration::from_secs(300)).await?;
//! let mut updates = handle.subscribe();
//! while updates.changed().await.is_ok() {
//!     let snapshot = updates.borrow_and_update().clone();
//!     println!("configuration keys: {:?}", snapshot.keys().collect::<Vec<_>>());
//! }
//! # Ok(()) }
//! ```
//!
//! # Runtime and threads
//! Loading is `async` and runs on a `tokio` 1.x runtime (this crate enables
//! tokio's `rt`, `sync` and `time` features) with its I/O and time drivers
//! enabled, as `SecretClient` does. No thread is started. `KeyVaultConfig::watch`
//! spawns one reload task on the current runtime (it returns an error, not a
//! panic, when called outside one); dropping the [`ReloadHandle`] stops it.

#[cfg(feature = "config")]
mod config_source;
mod error;
#[cfg(feature = "figment")]
mod figment;
mod load;
mod mapping;
mod reload;
mod snapshot;
mod vault;

pub use error::ConfigError;
pub use load::{KeyVaultConfig, KeyVaultConfigBuilder, ReloadReport};
pub use reload::ReloadHandle;
pub use snapshot::Snapshot;
