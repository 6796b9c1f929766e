//! A persistent token cache shared by processes: [`FileCacheStore`], the
//! file behind a [`credential_core::PersistentTokenCache`].
//!
//! Credentials opt in through their builder's `with_persistent_token_cache`;
//! nothing is persisted otherwise. Entries are access tokens (written by the
//! token cache), refresh tokens and authentication records (written by the
//! interactive credentials): never client secrets, certificates or
//! assertions.
//!
//! This is a crate of its own so that `credential-core` and the providers,
//! which see only the `CacheStore` trait, build without file locking,
//! encryption and keyring code; an application that persists tokens adds it.
//!
//! Features: `keyring` (the OS keyring holds the key: kernel keyring on
//! Linux, Keychain, Credential Manager), `keyring-secret-service` (also the
//! Secret Service on Linux, pure Rust), `test-util` (`MemoryKeyring`).
//!
//! # Runtime and threads
//! The store is `async`: every file operation (locking included) runs on the
//! blocking pool of the caller's `tokio` 1.x runtime (`spawn_blocking`; this
//! crate enables tokio's `rt` and `time` features), current-thread or
//! multi-thread. Called outside a runtime it panics as tokio does. No thread is
//! started beyond tokio's blocking pool.

mod file;
mod format;
mod keyring;
mod location;
mod store;

#[cfg(feature = "test-util")]
pub use keyring::MemoryKeyring;
#[cfg(feature = "keyring")]
pub use keyring::OsKeyring;
pub use keyring::{KEYRING_SERVICE, Keyring, KeyringError};
pub use location::CACHE_FOLDER;
pub use store::{DEFAULT_LOCK_TIMEOUT, FileCacheStore, FileCacheStoreBuilder};
