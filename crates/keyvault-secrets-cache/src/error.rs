//! [`CacheError`]: why the cache could not give a value.

use std::sync::Arc;
use std::time::Duration;

/// Why [`SecretCache`](crate::SecretCache) could not return a value.
///
/// Cheap to clone: every caller that waited on one fetch gets the same error.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The vault has no such secret (or version). The answer is cached for
    /// the negative TTL, so repeated reads of a wrong name send no requests.
    #[error("secret `{name}` was not found in the vault")]
    NotFound {
        /// The secret's name.
        name: String,
    },

    /// The vault answered `429 Too Many Requests` recently and the cache sends
    /// nothing until its backoff ends; no cached value was usable.
    #[error("the vault is throttling requests; the cache waits {retry_in:?} before the next one")]
    Throttled {
        /// How long until the cache sends a request again.
        retry_in: Duration,
    },

    /// Reading the secret from the vault failed, and no cached value was
    /// usable (none, or older than the stale limit).
    #[error("could not read secret `{name}` from the vault")]
    Vault {
        /// The secret's name.
        name: String,
        /// What the client reported (shared by every caller that waited).
        #[source]
        source: Arc<keyvault_secrets::Error>,
    },

    /// The cache's options are inconsistent.
    #[error("invalid cache configuration: {message}")]
    InvalidConfiguration {
        /// What was wrong and how to fix it.
        message: String,
    },
}

impl CacheError {
    /// Whether this is [`CacheError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// Whether this is [`CacheError::Throttled`] or a vault `429`.
    pub fn is_throttled(&self) -> bool {
        match self {
            Self::Throttled { .. } => true,
            Self::Vault { source, .. } => source.is_throttled(),
            _ => false,
        }
    }

    /// Whether asking again later may succeed: the cache's throttling
    /// backoff, or a vault error that is transient
    /// ([`keyvault_secrets::Error::is_transient`]).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Throttled { .. } => true,
            Self::Vault { source, .. } => source.is_transient(),
            _ => false,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidConfiguration {
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credential_core::{TransportError, TransportErrorKind};

    #[test]
    fn transient_is_throttling_or_a_transient_vault_error() {
        let vault = |kind| CacheError::Vault {
            name: "db".into(),
            source: Arc::new(TransportError::new(kind, "x").into()),
        };
        assert!(vault(TransportErrorKind::Timeout).is_transient());
        assert!(
            CacheError::Throttled {
                retry_in: Duration::from_secs(1)
            }
            .is_transient()
        );
        assert!(!CacheError::NotFound { name: "db".into() }.is_transient());
        assert!(!CacheError::invalid("bad").is_transient());
    }
}
