//! [`ConfigError`]: why loading configuration from the vault failed.

use std::sync::Arc;

/// Why loading or reloading the configuration failed. Cheap to clone.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Listing the vault's secrets failed.
    #[error("could not list the secrets of the vault")]
    List {
        /// What the client reported.
        #[source]
        source: Arc<keyvault_secrets::Error>,
    },

    /// Reading one secret failed.
    #[error("could not read secret `{name}` from the vault")]
    Read {
        /// The secret's name.
        name: String,
        /// What the client reported.
        #[source]
        source: Arc<keyvault_secrets::Error>,
    },

    /// A secret marked `application/json` is not valid JSON (nested JSON is
    /// on). Fix the value or its content type.
    #[error("secret `{name}` has content type application/json but its value is not valid JSON")]
    InvalidJson {
        /// The secret's name.
        name: String,
        /// Where the parser stopped (never the value itself).
        #[source]
        source: Arc<serde_json::Error>,
    },

    /// The options are inconsistent.
    #[error("invalid configuration options: {message}")]
    InvalidOptions {
        /// What was wrong and how to fix it.
        message: String,
    },
}
