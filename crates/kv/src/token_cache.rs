//! kv's persistent token cache: on by default, named `kv`, in the user's
//! cache directory; encrypted with a key in the OS keyring where one works,
//! else unencrypted in an owner-only file, with a one-line notice the first
//! time. `--no-token-cache` turns it off; `kv cache clear` empties it.

use std::io::Write;

use clap::Subcommand;
use credential_cache_store::FileCacheStore;
use credential_core::{CacheStoreError, PersistentTokenCache, ProviderContext};
use serde_json::{Value, json};

use crate::args::GlobalArgs;
use crate::error::KvError;

/// The name of kv's cache (its file is `kv.cache`).
pub const CACHE_NAME: &str = "kv";

/// Set to `off` to keep the cache's key out of the OS keyring: the cache is
/// then an unencrypted owner-only file (for machines whose keyring prompts
/// or hangs, and for tests).
pub const KV_TOKEN_CACHE_KEYRING: &str = "KV_TOKEN_CACHE_KEYRING";

/// What `kv cache` does.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum CacheCommand {
    /// Remove every token kv has cached (the next command signs in again).
    Clear,
}

/// The cache file's store, per the environment.
fn store(ctx: &ProviderContext) -> Result<FileCacheStore, CacheStoreError> {
    let mut builder = FileCacheStore::builder(CACHE_NAME)
        .with_env(ctx.env.clone())
        .with_unencrypted_storage(true);
    let keyring = ctx.env.get(KV_TOKEN_CACHE_KEYRING);
    if keyring.is_some_and(|v| v.trim().eq_ignore_ascii_case("off")) {
        builder = builder.with_keyring_disabled();
    }
    builder.build()
}

/// The cache for this run's credential, unless `--no-token-cache`. Prints
/// a one-line notice on `stderr` the first time tokens are kept unencrypted,
/// and when the cache cannot be used (kv then runs without it).
pub fn open(
    global: &GlobalArgs,
    ctx: &ProviderContext,
    stderr: &mut (dyn Write + Send),
) -> Option<PersistentTokenCache> {
    if global.no_token_cache {
        return None;
    }
    match store(ctx) {
        Ok(store) => {
            if !store.is_encrypted() && !store.path().exists() {
                let _ = writeln!(
                    stderr,
                    "kv: no OS keyring available; caching tokens unencrypted in {} \
                     (readable only by you; --no-token-cache turns this off)",
                    store.path().display()
                );
            }
            Some(store.into_persistent())
        }
        // No cache directory (no HOME): nothing to say, nothing to keep.
        Err(CacheStoreError::Unavailable { .. }) => None,
        Err(error) => {
            let _ = writeln!(
                stderr,
                "kv: not using the token cache: {}",
                crate::error::report(&error)
            );
            None
        }
    }
}

/// Runs `kv cache COMMAND`.
///
/// # Errors
/// A `TokenCacheError` [`KvError`] when the cache cannot be opened or
/// cleared.
pub async fn run(command: CacheCommand, ctx: &ProviderContext) -> Result<Value, KvError> {
    match command {
        CacheCommand::Clear => {
            let store = store(ctx).map_err(|e| {
                KvError::new(
                    "TokenCacheError",
                    format!("cannot open the token cache: {}", crate::error::report(&e)),
                )
            })?;
            store.clear().await.map_err(|e| {
                KvError::new(
                    "TokenCacheError",
                    format!("cannot clear the token cache: {}", crate::error::report(&e)),
                )
            })?;
            Ok(json!({ "cleared": store.path().display().to_string() }))
        }
    }
}
