//! [`Secret`]: a string that never shows itself.

use std::fmt;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

/// A secret string: an access token, a client secret, an assertion, a password.
///
/// `Debug` prints `Secret(***)`; there is no `Display` and no `Serialize`, so a
/// secret cannot reach a log line or an error message by accident. The value is
/// wiped from memory when the last copy is dropped (through [`secrecy`]).
/// Cloning is cheap: copies share one allocation. Equality is constant-time.
///
/// ```
/// use credential_core::Secret;
/// let secret = Secret::new("hunter2");
/// assert_eq!(format!("{secret:?}"), "Secret(***)");
/// assert_eq!(secret.expose_secret(), "hunter2");
/// ```
#[derive(Clone)]
pub struct Secret(Arc<Padded>);

/// Aligned to a cache line so that the reference counts of separate copies
/// (see `TokenCache`) never share one: threads cloning different copies do
/// not contend.
#[repr(align(64))]
struct Padded(SecretString);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::new(Padded(SecretString::from(value.into()))))
    }

    /// The value. Call this only where the secret is put on the wire.
    pub fn expose_secret(&self) -> &str {
        self.0.0.expose_secret()
    }

    /// A copy with its own allocation (and its own reference count).
    pub(crate) fn unshared_copy(&self) -> Self {
        Self::new(self.expose_secret())
    }

    /// Whether the value is empty or only white space.
    pub fn is_blank(&self) -> bool {
        self.expose_secret().trim().is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(
            self.expose_secret().as_bytes(),
            other.expose_secret().as_bytes(),
        )
    }
}

impl Eq for Secret {}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_value() {
        let secret = Secret::new("super-secret-value");
        let debug = format!("{secret:?} {:#?}", secret);
        assert!(!debug.contains("super-secret-value"));
        assert!(debug.contains("***"));
    }

    #[test]
    fn equality_compares_values() {
        assert_eq!(Secret::new("abc"), Secret::new("abc"));
        assert_ne!(Secret::new("abc"), Secret::new("abd"));
        assert_ne!(Secret::new("abc"), Secret::new("abcd"));
    }

    #[test]
    fn blank_detection() {
        assert!(Secret::new("  \t").is_blank());
        assert!(!Secret::new(" x ").is_blank());
    }
}
