//! Where the encryption key lives: the [`Keyring`] trait, the OS keyring
//! (feature `keyring`) and an in-memory fake (feature `test-util`).

use std::fmt;

/// A keyring holding one secret string per cache name.
pub trait Keyring: Send + Sync + fmt::Debug {
    /// The secret stored for `name`; `Ok(None)` when the keyring works but
    /// holds none; `Err` (what failed, never the secret) when the keyring
    /// cannot be used.
    ///
    /// # Errors
    /// What failed, as text without the secret.
    fn get(&self, name: &str) -> Result<Option<String>, String>;
    /// Stores `secret` for `name`.
    ///
    /// # Errors
    /// What failed, as text without the secret.
    fn set(&self, name: &str, secret: &str) -> Result<(), String>;
}

/// The service name entries are stored under in the OS keyring.
pub const KEYRING_SERVICE: &str = "azure-rust-identity token cache";

/// The OS keyring: the kernel keyring (keyutils) on Linux (with the
/// `keyring-secret-service` feature, the Secret Service first), the
/// Keychain on macOS, the Credential Manager on Windows.
#[cfg(feature = "keyring")]
#[derive(Debug, Clone, Copy, Default)]
pub struct OsKeyring;

#[cfg(feature = "keyring")]
impl Keyring for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<String>, String> {
        let entry = keyring::Entry::new(KEYRING_SERVICE, name).map_err(|e| e.to_string())?;
        match entry.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn set(&self, name: &str, secret: &str) -> Result<(), String> {
        keyring::Entry::new(KEYRING_SERVICE, name)
            .and_then(|entry| entry.set_password(secret))
            .map_err(|e| e.to_string())
    }
}

/// The OS keyring when the `keyring` feature is on.
pub(crate) fn default_keyring() -> Option<std::sync::Arc<dyn Keyring>> {
    #[cfg(feature = "keyring")]
    {
        Some(std::sync::Arc::new(OsKeyring))
    }
    #[cfg(not(feature = "keyring"))]
    {
        None
    }
}

/// An in-memory keyring for tests, shared by its clones; it can also
/// pretend to be unavailable.
#[cfg(feature = "test-util")]
#[derive(Clone, Default)]
pub struct MemoryKeyring {
    secrets: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
    unavailable: bool,
}

#[cfg(feature = "test-util")]
impl fmt::Debug for MemoryKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryKeyring")
            .field("unavailable", &self.unavailable)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "test-util")]
impl MemoryKeyring {
    /// An empty, working keyring.
    pub fn new() -> Self {
        Self::default()
    }

    /// A keyring whose every call fails, as on a headless machine.
    pub fn unavailable() -> Self {
        Self {
            unavailable: true,
            ..Self::default()
        }
    }

    /// A keyring already holding `secret` for `name` (so that processes in a
    /// test share one key).
    pub fn with_secret(name: &str, secret: &str) -> Self {
        let keyring = Self::new();
        keyring.lock().insert(name.to_owned(), secret.to_owned());
        keyring
    }

    /// The secret held for `name`.
    pub fn secret(&self, name: &str) -> Option<String> {
        self.lock().get(name).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, String>> {
        self.secrets.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check(&self) -> Result<(), String> {
        if self.unavailable {
            Err("no keyring service is running (test fake)".to_owned())
        } else {
            Ok(())
        }
    }
}

#[cfg(feature = "test-util")]
impl Keyring for MemoryKeyring {
    fn get(&self, name: &str) -> Result<Option<String>, String> {
        self.check()?;
        Ok(self.lock().get(name).cloned())
    }

    fn set(&self, name: &str, secret: &str) -> Result<(), String> {
        self.check()?;
        self.lock().insert(name.to_owned(), secret.to_owned());
        Ok(())
    }
}
