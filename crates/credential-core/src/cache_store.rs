//! A persistent second level for [`TokenCache`](crate::TokenCache): the
//! [`CacheStore`] trait (load, store, remove an entry), the
//! [`PersistentTokenCache`] a credential's builder is given, the keys that
//! keep one credential from reading another's entries, and [`SecondLevel`],
//! the rules by which the token cache consults the store.
//!
//! A store holds opaque entries (serialized by whoever writes them) under
//! string keys: access tokens written here, refresh tokens and
//! authentication records written by the interactive credentials. It never
//! holds client secrets, certificates or assertions: nothing writes them.
//!
//! The real store (one owner-only, encrypted file per named cache) lives in
//! the `credential-cache-store` crate; [`MemoryCacheStore`] (feature
//! `test-util`) is a fake for tests.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::cache::{DEFAULT_REFRESH_OFFSET, EXPIRY_MARGIN};
use crate::{AccessToken, CredentialError, Secret, TokenRequestOptions, async_trait};

/// A store of opaque entries under string keys, shared by processes.
///
/// Entries are [`Secret`]s: they hold tokens, so they never appear in
/// `Debug`, logs or errors.
#[async_trait]
pub trait CacheStore: Send + Sync + fmt::Debug {
    /// The entry under `key`, if any.
    ///
    /// # Errors
    /// A [`CacheStoreError`] when the store cannot be read (or decrypted).
    async fn load(&self, key: &str) -> Result<Option<Secret>, CacheStoreError>;
    /// Stores `entry` under `key`, replacing any entry there.
    ///
    /// # Errors
    /// A [`CacheStoreError`] when the store cannot be written (or locked, or
    /// encrypted).
    async fn store(&self, key: &str, entry: Secret) -> Result<(), CacheStoreError>;
    /// Removes the entry under `key`; removing an absent entry is not an error.
    ///
    /// # Errors
    /// A [`CacheStoreError`] when the store cannot be written (or locked).
    async fn remove(&self, key: &str) -> Result<(), CacheStoreError>;
}

/// Why a [`CacheStore`] could not load, store or remove an entry.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CacheStoreError {
    /// The store cannot be used here (no cache directory, no keyring without
    /// the opt-in to unencrypted storage).
    #[error("the token cache is unavailable: {message}")]
    Unavailable {
        /// What is missing and how to fix it.
        message: String,
    },
    /// The cache file (or its directory) can be used by other users, so it
    /// is not trusted.
    #[error("the token cache {path} is readable by other users (mode {mode:o}); {fix}")]
    InsecurePermissions {
        /// The file or directory.
        path: String,
        /// Its permission bits.
        mode: u32,
        /// How to fix it.
        fix: &'static str,
    },
    /// Another process held the cache's lock for longer than the bounded wait.
    #[error("the token cache {path} stayed locked by another process for {waited_ms} ms")]
    LockTimeout {
        /// The lock file.
        path: String,
        /// How long this process waited.
        waited_ms: u128,
    },
    /// Reading or writing the store failed.
    #[error("could not {action} the token cache {path}")]
    Io {
        /// What was being done ("read", "write", "lock", ...).
        action: &'static str,
        /// The file or directory.
        path: String,
        /// The cause.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The keyring holding the encryption key failed, or encryption did.
    #[error("token cache encryption failed: {message}")]
    Encryption {
        /// What failed (never key material).
        message: String,
    },
}

/// A named persistent cache, as given to a credential's builder
/// (`with_persistent_token_cache`): its name and the store behind it.
///
/// Off by default in every credential; see `credential-cache-store` for the
/// file store.
#[derive(Clone)]
pub struct PersistentTokenCache {
    name: Arc<str>,
    store: Arc<dyn CacheStore>,
}

impl PersistentTokenCache {
    /// The cache `name`, kept in `store`.
    pub fn new(name: impl Into<String>, store: Arc<dyn CacheStore>) -> Self {
        Self {
            name: Arc::from(name.into()),
            store,
        }
    }

    /// The cache's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The store behind it.
    pub fn store(&self) -> &Arc<dyn CacheStore> {
        &self.store
    }
}

impl fmt::Debug for PersistentTokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersistentTokenCache")
            .field("name", &self.name)
            .field("store", &self.store)
            .finish()
    }
}

/// What an entry is; part of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// An access token (written by [`SecondLevel`]).
    AccessToken,
    /// A refresh token (interactive credentials).
    RefreshToken,
    /// An `AuthenticationRecord` (interactive credentials).
    AuthenticationRecord,
}

impl EntryKind {
    fn tag(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
            Self::AuthenticationRecord => "authentication_record",
        }
    }
}

/// Whose entries these are: every part is in every key, so one credential
/// never reads another's entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachePartition {
    /// The credential's type name, e.g. `"AzureCliCredential"`.
    pub credential: &'static str,
    /// The authority host (empty for tools that choose their own).
    pub authority: String,
    /// The configured tenant (empty when the tool's default).
    pub tenant: String,
    /// The client (application) id (empty for developer tools).
    pub client_id: String,
    /// The signed-in user or account (empty when not known).
    pub user: String,
}

impl CachePartition {
    /// A partition for `credential` with every other part empty.
    pub fn new(credential: &'static str) -> Self {
        Self {
            credential,
            authority: String::new(),
            tenant: String::new(),
            client_id: String::new(),
            user: String::new(),
        }
    }

    /// The key of an entry of `kind` in this partition, for a request's
    /// tenant, CAE flag and scopes (sorted and de-duplicated, so order does
    /// not matter). Refresh tokens and records pass no scopes.
    pub fn key(
        &self,
        kind: EntryKind,
        request_tenant: Option<&str>,
        enable_cae: bool,
        scopes: &[&str],
    ) -> String {
        let mut sorted: Vec<&str> = scopes.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        // A JSON array: unambiguous whatever the parts contain.
        serde_json::json!([
            kind.tag(),
            self.credential,
            self.authority,
            self.tenant,
            self.client_id,
            self.user,
            request_tenant.unwrap_or(""),
            enable_cae,
            sorted,
        ])
        .to_string()
    }
}

/// An access token as stored.
#[derive(Serialize, Deserialize)]
struct StoredToken {
    token: String,
    expires_on: i64,
    refresh_on: Option<i64>,
}

/// Serializes an access token as a store entry.
pub fn encode_access_token(token: &AccessToken) -> Secret {
    let stored = StoredToken {
        token: token.token.expose_secret().to_owned(),
        expires_on: token.expires_on.unix_timestamp(),
        refresh_on: token.refresh_on.map(OffsetDateTime::unix_timestamp),
    };
    // Serializing a struct of a string and integers cannot fail.
    Secret::new(serde_json::to_string(&stored).unwrap_or_default())
}

/// Parses a store entry written by [`encode_access_token`]; `None` for
/// anything else.
pub fn decode_access_token(entry: &Secret) -> Option<AccessToken> {
    let stored: StoredToken = serde_json::from_str(entry.expose_secret()).ok()?;
    let expires_on = OffsetDateTime::from_unix_timestamp(stored.expires_on).ok()?;
    let refresh_on = match stored.refresh_on {
        Some(t) => Some(OffsetDateTime::from_unix_timestamp(t).ok()?),
        None => None,
    };
    Some(AccessToken::new(stored.token, expires_on).with_refresh_on(refresh_on))
}

/// A [`TokenCache`](crate::TokenCache)'s persistent second level: a store
/// and the partition of the credential that owns the cache.
///
/// On a memory miss the cache calls [`SecondLevel::fetch_through`] instead
/// of its fetch: a stored token that is fresh is returned without fetching;
/// one past its refresh point but valid is refreshed, and kept if the
/// refresh fails; an expired, absent or unreadable one is fetched. A fetched
/// token is written back. A store failure is logged and never fails the
/// request.
#[derive(Debug, Clone)]
pub struct SecondLevel {
    cache: PersistentTokenCache,
    partition: Arc<CachePartition>,
}

impl SecondLevel {
    /// The second level of `partition`'s tokens in `cache`.
    pub fn new(cache: PersistentTokenCache, partition: CachePartition) -> Self {
        Self {
            cache,
            partition: Arc::new(partition),
        }
    }

    /// The cache it uses.
    pub fn cache(&self) -> &PersistentTokenCache {
        &self.cache
    }

    /// The stored token for this request if valid, else `fetch`'s, written
    /// back. See the type's docs for the rules.
    ///
    /// # Errors
    /// `fetch`'s error. A store that cannot be read or written is logged and
    /// skipped, never an error.
    pub async fn fetch_through<F, Fut>(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
        now: OffsetDateTime,
        fetch: F,
    ) -> Result<AccessToken, CredentialError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, CredentialError>>,
    {
        let key = self.partition.key(
            EntryKind::AccessToken,
            options.tenant_id(),
            options.enable_cae,
            scopes,
        );
        let store = self.cache.store();
        let stored = match store.load(&key).await {
            Ok(entry) => entry.as_ref().and_then(decode_access_token),
            Err(error) => {
                tracing::warn!(cache = self.cache.name(), %error, "could not read the persistent token cache");
                None
            }
        };
        if let Some(token) = &stored {
            let refresh_at = token
                .refresh_on
                .unwrap_or(token.expires_on.saturating_sub(DEFAULT_REFRESH_OFFSET));
            if now < refresh_at {
                tracing::debug!(
                    cache = self.cache.name(),
                    "token found in the persistent cache"
                );
                return Ok(token.clone());
            }
        }
        let usable = stored.filter(|t| now < t.expires_on.saturating_sub(EXPIRY_MARGIN));
        match (fetch().await, usable) {
            (Ok(token), _) => {
                if let Err(error) = store.store(&key, encode_access_token(&token)).await {
                    tracing::warn!(cache = self.cache.name(), %error, "could not write the persistent token cache");
                }
                Ok(token)
            }
            (Err(error), Some(token)) => {
                tracing::warn!(%error, "token refresh failed; using the valid token from the persistent cache");
                Ok(token)
            }
            (Err(error), None) => Err(error),
        }
    }
}

/// An in-memory [`CacheStore`] for tests, shared by its clones.
#[cfg(feature = "test-util")]
#[derive(Debug, Clone, Default)]
pub struct MemoryCacheStore {
    entries: Arc<std::sync::Mutex<std::collections::BTreeMap<String, Secret>>>,
}

#[cfg(feature = "test-util")]
impl MemoryCacheStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The keys stored, in order.
    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, Secret>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(feature = "test-util")]
#[async_trait]
impl CacheStore for MemoryCacheStore {
    async fn load(&self, key: &str) -> Result<Option<Secret>, CacheStoreError> {
        Ok(self.lock().get(key).cloned())
    }

    async fn store(&self, key: &str, entry: Secret) -> Result<(), CacheStoreError> {
        self.lock().insert(key.to_owned(), entry);
        Ok(())
    }

    async fn remove(&self, key: &str) -> Result<(), CacheStoreError> {
        self.lock().remove(key);
        Ok(())
    }
}
