//! Where the encryption key lives: the [`Keyring`] trait, the OS keyring
//! (feature `keyring`) and an in-memory fake (feature `test-util`).

use std::fmt;

use credential_core::Secret;

/// A keyring holding one secret per cache name.
pub trait Keyring: Send + Sync + fmt::Debug {
    /// The secret stored for `name`; `Ok(None)` when the keyring works but
    /// holds none.
    ///
    /// # Errors
    /// [`KeyringError`] when the keyring cannot be used (no keyring service,
    /// access refused).
    fn get(&self, name: &str) -> Result<Option<Secret>, KeyringError>;
    /// Stores `secret` for `name`.
    ///
    /// # Errors
    /// [`KeyringError`] when the keyring cannot be used.
    fn set(&self, name: &str, secret: &Secret) -> Result<(), KeyringError>;
}

/// A keyring that cannot be used: what failed, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KeyringError {
    message: String,
}

impl KeyringError {
    /// An error saying `message` (what failed; never the secret).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
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
    fn get(&self, name: &str) -> Result<Option<Secret>, KeyringError> {
        let entry = keyring::Entry::new(KEYRING_SERVICE, name).map_err(os_error)?;
        match entry.get_password() {
            Ok(secret) => Ok(Some(Secret::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(os_error(e)),
        }
    }

    fn set(&self, name: &str, secret: &Secret) -> Result<(), KeyringError> {
        keyring::Entry::new(KEYRING_SERVICE, name)
            .and_then(|entry| entry.set_password(secret.expose_secret()))
            .map_err(os_error)
    }
}

/// The `keyring` crate's error as ours (its text names what failed, never
/// the password).
#[cfg(feature = "keyring")]
fn os_error(error: keyring::Error) -> KeyringError {
    KeyringError::new(error.to_string())
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

    fn check(&self) -> Result<(), KeyringError> {
        if self.unavailable {
            Err(KeyringError::new(
                "no keyring service is running (test fake)",
            ))
        } else {
            Ok(())
        }
    }
}

#[cfg(feature = "test-util")]
impl Keyring for MemoryKeyring {
    fn get(&self, name: &str) -> Result<Option<Secret>, KeyringError> {
        self.check()?;
        Ok(self.lock().get(name).cloned().map(Secret::new))
    }

    fn set(&self, name: &str, secret: &Secret) -> Result<(), KeyringError> {
        self.check()?;
        self.lock()
            .insert(name.to_owned(), secret.expose_secret().to_owned());
        Ok(())
    }
}
