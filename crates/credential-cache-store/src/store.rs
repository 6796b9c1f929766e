//! [`FileCacheStore`]: a [`CacheStore`] in one file per named cache.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use credential_core::{
    CacheStore, CacheStoreError, Env, PersistentTokenCache, Secret, async_trait,
};

use crate::file::{CacheFile, LockGuard};
use crate::format::{self, CacheKey, Entries, Unreadable};
use crate::keyring::{Keyring, default_keyring};
use crate::location::{check_name, user_cache_dir};

/// How long a process waits for another's lock on the cache by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// A persistent token cache shared by the processes of one user: the
/// entries of a named cache in `<user cache dir>/azure-rust-identity/<name>.cache`.
///
/// - **Owner-only:** the directory is created 0700 and the file 0600; a
///   file or directory that others can use is refused, with an error that
///   says so.
/// - **Encrypted** with AES-256-GCM under a key kept in the OS keyring
///   (feature `keyring`). Without a usable keyring, `build` fails unless
///   the caller opted in with
///   [`with_unencrypted_storage`](FileCacheStoreBuilder::with_unencrypted_storage).
/// - **Shared:** every write replaces the file atomically (temporary file +
///   rename) under a cross-process lock, waiting at most 5 s for it; readers
///   take no lock and see the old file or the new one. A corrupt or foreign
///   file, or one sealed with a lost key, reads as empty (with a warning)
///   and is replaced by the next write.
///
/// ```no_run
/// use credential_cache_store::FileCacheStore;
/// let store = FileCacheStore::builder("my-app").build()?;
/// let cache = store.into_persistent();
/// // AzureCliCredential::builder().with_persistent_token_cache(cache) ...
/// # Ok::<(), credential_core::CacheStoreError>(())
/// ```
#[derive(Clone)]
pub struct FileCacheStore {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    file: CacheFile,
    key: Option<CacheKey>,
}

impl fmt::Debug for FileCacheStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileCacheStore")
            .field("name", &self.inner.name)
            .field("path", &self.inner.file.path)
            .field("encrypted", &self.is_encrypted())
            .finish()
    }
}

/// Builds a [`FileCacheStore`].
pub struct FileCacheStoreBuilder {
    name: String,
    env: Option<Env>,
    directory: Option<PathBuf>,
    keyring: Option<Arc<dyn Keyring>>,
    allow_unencrypted: bool,
    lock_timeout: Duration,
}

impl fmt::Debug for FileCacheStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileCacheStoreBuilder")
            .field("name", &self.name)
            .field("directory", &self.directory)
            .field("keyring", &self.keyring)
            .field("allow_unencrypted", &self.allow_unencrypted)
            .finish_non_exhaustive()
    }
}

impl FileCacheStore {
    /// A builder for the cache `name` (1-64 of `A-Z a-z 0-9 . _ -`).
    pub fn builder(name: impl Into<String>) -> FileCacheStoreBuilder {
        FileCacheStoreBuilder {
            name: name.into(),
            env: None,
            directory: None,
            keyring: default_keyring(),
            allow_unencrypted: false,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// The cache's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.inner.file.path
    }

    /// Whether entries are encrypted (false only after the opt-in to
    /// unencrypted storage, when no keyring was usable).
    pub fn is_encrypted(&self) -> bool {
        self.inner.key.is_some()
    }

    /// The cache, to hand to a credential's `with_persistent_token_cache`.
    pub fn into_persistent(self) -> PersistentTokenCache {
        let name = self.inner.name.clone();
        PersistentTokenCache::new(name, Arc::new(self))
    }

    /// Removes every entry (deletes the file, under the lock).
    ///
    /// # Errors
    /// [`CacheStoreError::Io`] when the file cannot be locked or deleted.
    pub async fn clear(&self) -> Result<(), CacheStoreError> {
        self.blocking(|inner| {
            let lock = inner.file.lock()?;
            inner.file.delete(&lock)
        })
        .await
    }

    async fn blocking<T, F>(&self, work: F) -> Result<T, CacheStoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, CacheStoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| CacheStoreError::Io {
                action: "use",
                path: self.inner.file.path.display().to_string(),
                source: Arc::new(std::io::Error::other(e.to_string())),
            })?
    }
}

impl Inner {
    /// The entries now on disk; unreadable contents are empty, with a warning.
    fn entries(&self) -> Result<Entries, CacheStoreError> {
        let Some(bytes) = self.file.read()? else {
            return Ok(Entries::new());
        };
        match format::decode(&bytes, self.key.as_ref()) {
            Ok(entries) => Ok(entries),
            Err(why) => {
                let reason = match why {
                    Unreadable::Foreign => "is corrupt or not a token cache",
                    Unreadable::WrongKey => {
                        "was encrypted with another key (the keyring entry was replaced or lost)"
                    }
                    Unreadable::ModeMismatch => "was written with another encryption setting",
                };
                tracing::warn!(
                    path = %self.file.path.display(),
                    "the token cache file {reason}; treating it as empty (the next write replaces it)"
                );
                Ok(Entries::new())
            }
        }
    }

    /// Applies `change` to the entries under the lock and writes them back.
    fn update(&self, change: impl FnOnce(&mut Entries)) -> Result<(), CacheStoreError> {
        let lock = self.file.lock()?;
        let mut entries = self.entries()?;
        change(&mut entries);
        self.write(&entries, &lock)
    }

    fn write(&self, entries: &Entries, lock: &LockGuard) -> Result<(), CacheStoreError> {
        let bytes = format::encode(entries, self.key.as_ref())
            .map_err(|message| CacheStoreError::Encryption { message })?;
        self.file.replace(&bytes, lock)
    }
}

#[async_trait]
impl CacheStore for FileCacheStore {
    async fn load(&self, key: &str) -> Result<Option<Secret>, CacheStoreError> {
        let key = key.to_owned();
        self.blocking(move |inner| Ok(inner.entries()?.remove(&key).map(Secret::new)))
            .await
    }

    async fn store(&self, key: &str, entry: Secret) -> Result<(), CacheStoreError> {
        let key = key.to_owned();
        self.blocking(move |inner| {
            inner.update(|entries| {
                entries.insert(key, entry.expose_secret().to_owned());
            })
        })
        .await
    }

    async fn remove(&self, key: &str) -> Result<(), CacheStoreError> {
        let key = key.to_owned();
        self.blocking(move |inner| {
            inner.update(|entries| {
                entries.remove(&key);
            })
        })
        .await
    }
}

impl FileCacheStoreBuilder {
    /// Finds the user cache directory in this environment instead of the
    /// process's (`XDG_CACHE_HOME`/`HOME`, `HOME`, `LOCALAPPDATA`).
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = Some(env);
        self
    }

    /// Keeps the cache in this directory instead of
    /// `<user cache dir>/azure-rust-identity`.
    pub fn with_directory(mut self, directory: impl Into<PathBuf>) -> Self {
        self.directory = Some(directory.into());
        self
    }

    /// Keeps the encryption key in this keyring instead of the OS keyring.
    pub fn with_keyring(mut self, keyring: Arc<dyn Keyring>) -> Self {
        self.keyring = Some(keyring);
        self
    }

    /// Uses no keyring: the cache can then only be unencrypted, so `build`
    /// also needs [`Self::with_unencrypted_storage`].
    pub fn with_keyring_disabled(mut self) -> Self {
        self.keyring = None;
        self
    }

    /// When no keyring is usable, stores entries unencrypted in the
    /// owner-only file instead of failing (MSAL's name for it). Off by
    /// default: an unusable keyring is an error.
    pub fn with_unencrypted_storage(mut self, allow: bool) -> Self {
        self.allow_unencrypted = allow;
        self
    }

    /// How long to wait for another process's lock (default 5 s).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Creates the directory, gets (or creates) the encryption key, and
    /// checks the permissions of an existing file.
    ///
    /// # Errors
    /// [`CacheStoreError::Unavailable`] when there is no cache directory, or no
    /// keyring and no opt-in to unencrypted storage;
    /// [`CacheStoreError::InsecurePermissions`] when an existing file or
    /// directory can be used by other users; [`CacheStoreError::Io`] when the
    /// directory cannot be created; [`CacheStoreError::Encryption`] when the
    /// keyring fails.
    pub fn build(self) -> Result<FileCacheStore, CacheStoreError> {
        check_name(&self.name)?;
        let dir = match self.directory.clone() {
            Some(dir) => dir,
            None => user_cache_dir(self.env.as_ref().unwrap_or(&Env::real()))?,
        };
        let file = CacheFile::new(dir, &self.name, self.lock_timeout);
        file.ensure_dir()?;
        let key = self.key(&file)?;
        // A file others can read is refused now, not at the first request.
        file.read()?;
        Ok(FileCacheStore {
            inner: Arc::new(Inner {
                name: self.name,
                file,
                key,
            }),
        })
    }

    /// The key from the keyring, created under the lock on first use;
    /// `None` for an unencrypted cache (only with the opt-in).
    fn key(&self, file: &CacheFile) -> Result<Option<CacheKey>, CacheStoreError> {
        let Some(keyring) = &self.keyring else {
            return self.unencrypted("no keyring is configured (the `keyring` feature is off)");
        };
        match keyring.get(&self.name) {
            Err(reason) => self.unencrypted(&reason.to_string()),
            Ok(Some(text)) if CacheKey::from_keyring(text.expose_secret()).is_some() => {
                Ok(CacheKey::from_keyring(text.expose_secret()))
            }
            Ok(_) => {
                // Absent or malformed: create one, once, across processes.
                let _lock = file.lock()?;
                if let Ok(Some(text)) = keyring.get(&self.name)
                    && let Some(key) = CacheKey::from_keyring(text.expose_secret())
                {
                    return Ok(Some(key));
                }
                let text = CacheKey::generate()
                    .map(Secret::new)
                    .map_err(|message| CacheStoreError::Encryption { message })?;
                if let Err(reason) = keyring.set(&self.name, &text) {
                    return self.unencrypted(&reason.to_string());
                }
                tracing::debug!(cache = %self.name, "created the token cache's encryption key in the keyring");
                Ok(CacheKey::from_keyring(text.expose_secret()))
            }
        }
    }

    fn unencrypted(&self, reason: &str) -> Result<Option<CacheKey>, CacheStoreError> {
        if self.allow_unencrypted {
            tracing::debug!(cache = %self.name, %reason, "no keyring; the token cache is stored unencrypted (opted in)");
            return Ok(None);
        }
        Err(CacheStoreError::Unavailable {
            message: format!(
                "no OS keyring is available to encrypt the token cache '{}' ({reason}). \
                 To store tokens unencrypted in a file only you can read, opt in with \
                 with_unencrypted_storage(true)",
                self.name
            ),
        })
    }
}
