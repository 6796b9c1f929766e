//! `ManagedIdentityCredential`: tokens for the managed identity of the Azure
//! resource a program runs on, on top of `credential-core`.
//!
//! ```no_run
//! use credential_core::{TokenCredential, TokenRequestOptions};
//! use credential_msi::ManagedIdentityCredential;
//! # async fn demo() -> Result<(), credential_core::CredentialError> {
//! let credential = ManagedIdentityCredential::new()?;
//! let token = credential
//!     .get_token(&["https://management.azure.com/.default"], &TokenRequestOptions::default())
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Sources
//! Detected when the credential is built, in this order (see [`SourceKind`]):
//! token exchange (AKS workload identity), Service Fabric, App Service /
//! Functions / Container Apps, Azure Machine Learning, Cloud Shell, Azure Arc,
//! and IMDS as the fallback. Each source is a private module with its pure
//! request builder; one parser reads every source's answers.
//!
//! # Where we differ on purpose from the reference SDKs
//! - **Token exchange is checked first** (as JavaScript does; Python checks it
//!   last and also needs `AZURE_AUTHORITY_HOST`). It is skipped when an object
//!   or resource id is configured, as it can only use a client id.
//! - **Errors**: only "no managed identity here" is
//!   [`credential_core::CredentialError::Unavailable`]: IMDS unreachable,
//!   IMDS 400 "identity not found", and Docker Desktop's 403 "unreachable".
//!   Every other failure of a detected source is another variant, which stops
//!   a chain (JavaScript makes every failure "unavailable"; Python varies).
//! - **Probe** (`with_probe`, for the default chain): the JavaScript SDK's
//!   request (no query, no `Metadata` header, 1 s, no retries), but a
//!   success is remembered as Python does. `AZURE_POD_IDENTITY_AUTHORITY_HOST`
//!   turns it off (both SDKs); our `with_imds_endpoint` option does not.
//! - **IMDS retries**: 404, 410, 429 and 5xx, 5 retries, delays doubling
//!   from 0.8 s (from 3 s after a 410) with 80–100 % jitter, `Retry-After`
//!   honoured; failures after the connection was made (no response within
//!   the per-try timeout, a reset, a truncated body) are retried on the same
//!   schedule; a connection that cannot be made (refused, unreachable,
//!   connect timeout) is not retried (no IMDS means no IMDS; JavaScript
//!   retries it for about 25 s). Other sources use
//!   `credential_core::RetryPolicy::default()`.
//! - **Per-try timeout**: 30 s for every token request,
//!   `with_request_timeout` to change it; the probe keeps its 1 s.
//! - **`expires_on`**: every format either SDK reads (epoch seconds as a
//!   number or a string, RFC 3339 / ISO 8601, both US date formats), then
//!   `expires_in`. `refresh_in` is honoured (MSAL for JavaScript ignores it);
//!   otherwise tokens living 2 h or more (Python's `>=`) refresh at half-life.
//! - **Service Fabric** pins the server certificate by SHA-1 thumbprint as
//!   MSAL for Python does (JavaScript skips verification), while still
//!   checking the handshake signature.
//! - **Azure Arc**: the key file path is checked before anything is read
//!   (directory, `.key`, size ≤ 4096), as MSAL for JavaScript does; a
//!   user-assigned id must be echoed in the response, as the newest MSAL does.
//! - **Scopes**: exactly one; anything else is an `InvalidConfiguration`
//!   error (JavaScript: unavailable).
//! - **AKS pod identity** (`AZURE_POD_IDENTITY_AUTHORITY_HOST`): the token
//!   path keeps its trailing slash, `/metadata/identity/oauth2/token/`, as
//!   the JavaScript SDK sends it.
//! - **Configuration problems** found at detection (a malformed endpoint, an
//!   id kind the source does not accept) are returned by `build()`, as every
//!   credential of this workspace reports its configuration errors; inside
//!   `DefaultAzureCredential` such an error stops the chain at this link.
//!
//! # Runtime and threads
//! The credential is `async` and runs on a `tokio` 1.x runtime, current-thread
//! or multi-thread, with its I/O and time drivers enabled (`#[tokio::main]`, or
//! `Builder::enable_all()`): requests, the IMDS probe's timeout and the retry
//! back-off use them. Called outside such a runtime, `get_token` fails or
//! panics as tokio does.
//!
//! This crate starts no thread. Two things run beside the caller:
//! - the default transport's `http-deadlines` thread (one per process; see
//!   `credential-core`'s `ReqwestHttpClient`); pass
//!   `ReqwestHttpClient::builder().with_tokio_timers().build()?` to
//!   `with_http_client` to keep deadlines on tokio timers instead;
//! - when a cached token passes its refresh point, one refresh task is spawned
//!   on the caller's runtime (`credential-core`'s `TokenCache`);
//!   `ManagedIdentityCredentialBuilder::with_background_refresh(false)` turns
//!   it off (the caller that notices refreshes inline).

mod app_service;
mod azure_arc;
mod azure_ml;
mod cloud_shell;
mod credential;
mod identity;
mod imds;
mod imds_retry;
mod response;
mod service_fabric;
mod source;
mod tls;
mod token_exchange;

pub use credential::{ManagedIdentityCredential, ManagedIdentityCredentialBuilder};
pub use identity::{ParseUserAssignedIdError, UserAssignedId};
pub use imds_retry::ImdsRetryPolicy;
pub use source::SourceKind;

/// The managed identity response parsers, for this workspace's property
/// tests and fuzz targets only. Not part of the public API: no semver
/// promise covers it.
#[doc(hidden)]
pub mod __private {
    /// Token and error response parsers.
    pub mod response {
        pub use crate::response::*;
    }
}

/// The name errors carry.
pub(crate) const NAME: &str = credential_core::__private::credential_names::MANAGED_IDENTITY;
