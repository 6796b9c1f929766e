//! An async client for the Azure Key Vault secrets API.
//!
//! [`SecretClient`] takes any [`credential_core::TokenCredential`] and
//! authenticates with Key Vault's challenge protocol: the first request goes
//! without body or `Authorization`, the vault's `401` names the token
//! audience and tenant, and the client caches that per client.
//!
//! ```no_run
//! # async fn f(credential: credential_core::FnCredential) -> Result<(), keyvault_secrets::Error> {
//! use futures::TryStreamExt;
//! use keyvault_secrets::{ListOptions, SecretClient, SetSecretOptions};
//! let client = SecretClient::new("https://myvault.vault.azure.net", credential)?;
//! client.set_secret("api-key", "s3cr3t", SetSecretOptions::default().with_content_type("text/plain")).await?;
//! let names: Vec<String> = client
//!     .list_properties_of_secrets(ListOptions::default())
//!     .map_ok(|p| p.name)
//!     .try_collect()
//!     .await?;
//! client.begin_delete_secret("api-key").await?.wait().await?;
//! # Ok(()) }
//! ```
//!
//! # Where we differ on purpose from the JS and Python SDKs
//! - **Secret names are validated before sending** (1-127 of `0-9a-zA-Z-`),
//!   and values over 25 KiB are refused, so the user gets a clear error
//!   instead of a 405/400 from the service.
//! - **Plain `http://` vault URLs are refused** unless the host is loopback
//!   (local emulators); a token is never sent to another origin (a `nextLink`
//!   leaving the vault's origin ends the listing with an error).
//! - **Retries** (as decisions.md): 408, 429 (with or without `Retry-After`),
//!   500, 502, 503, 504 and connection failures, for every method;
//!   exponential backoff from 0.8 s with jitter, capped at 60 s; `Retry-After`,
//!   `retry-after-ms` and `x-ms-retry-after-ms` honoured; 3 retries.
//! - **Challenge**: the challenge is cached per client (not process-wide as
//!   in Python), verified before it is cached, and concurrent first requests
//!   share one discovery and one token request. Scope = `resource + "/.default"`
//!   (else the challenge's `scope`); tenant = the first path segment of the
//!   authorization URI (skipped for `adfs`). One retry on a CAE
//!   `insufficient_claims` challenge; a 401 without a challenge is an error.
//!   A 2xx answer to the bodiless challenge request of a write is an error
//!   (the body is never sent unauthenticated).
//! - **Recover** posts `/recover` first and then polls (as Python); it does
//!   not first probe `GET /secrets/{name}/` as JS does.
//! - `set_secret` omits an empty `attributes` object (as Python; JS sends `{}`).
//! - `x-ms-client-request-id` is one UUID per operation, kept across its
//!   retries (as JS), so service logs correlate the tries. The UUIDs are a
//!   random per-client prefix and a counter (version-4 layout), not fresh
//!   random numbers, so that each operation does not ask the OS for
//!   randomness.

mod challenge;
mod client;
mod error;
mod headers;
mod identifier;
mod models;
mod options;
mod paging;
mod pipeline;
mod poller;
mod validate;
mod wire_fast;

pub use client::{DEFAULT_POLL_INTERVAL, SecretClient, SecretClientBuilder};
pub use credential_core::retry::RetryPolicy;
pub use error::{Error, ServiceError};
pub use identifier::{KeyVaultSecretIdentifier, SecretCollection};
pub use models::{DeletedSecret, KeyVaultSecret, SecretProperties};
pub use options::{
    ApiVersion, GetSecretOptions, ListOptions, SetSecretOptions, UpdateSecretPropertiesOptions,
};
pub use poller::{DeleteSecretPoller, RecoverDeletedSecretPoller};
pub use validate::MAX_SECRET_VALUE_BYTES;
