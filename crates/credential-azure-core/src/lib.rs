//! Our credentials inside the official Azure SDK for Rust, and official
//! credentials inside our chains.
//!
//! Every official client (Key Vault, Storage, Service Bus, Cosmos DB...)
//! takes an `Arc<dyn azure_core::credentials::TokenCredential>`. The official
//! SDK has no `DefaultAzureCredential`, no `EnvironmentCredential` and no
//! chain; ours does. Two lines put it into an official client:
//!
//! ```no_run
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let credential = credential_azure_core::into_azure_core(credential_default::DefaultAzureCredential::new()?);
//! let client = azure_security_keyvault_secrets::SecretClient::new("https://my-vault.vault.azure.net/", credential, None)?;
//! # Ok(()) }
//! ```
//!
//! The other way, [`FromAzureCore`] makes any `azure_core` credential one of
//! ours, so it can sit in a `ChainedTokenCredential`.
//!
//! # The mapping
//! | ours | `azure_core` 1.x |
//! |---|---|
//! | scopes | scopes, unchanged |
//! | `TokenRequestOptions { tenant_id, claims, enable_cae }` | `TokenRequestOptions { method_options }`: no counterpart either way |
//! | `AccessToken { token, expires_on, refresh_on }` | `AccessToken { token, expires_on }` (refresh hint dropped) |
//! | `CredentialError` | `azure_core::Error`, kind `Credential`, text = our message, prefixed `unavailable: ` when unavailable; our error is the inner error |
//!
//! Errors coming from `azure_core` are mapped by [`from_azure_error`]:
//! connection and I/O failures and 408/429/5xx statuses become
//! `Transport` errors, other statuses and credential failures
//! `Authentication`, data-conversion failures `UnexpectedResponse`, and text
//! starting with `unavailable: ` `Unavailable`. An error that went through
//! [`to_azure_error`] comes back as the very error it was.
//!
//! # Where we differ on purpose from the reference SDKs
//! - **Unavailable vs failed in the text.** `azure_core::Error` has no
//!   "credential unavailable" kind (the other SDKs have
//!   `CredentialUnavailableError`); we keep the distinction in the message
//!   prefix [`UNAVAILABLE_PREFIX`] and in the inner error, which callers can
//!   recover with `error.downcast_ref::<credential_core::CredentialError>()`.
//! - **Claims challenges through [`FromAzureCore`] fail** instead of being
//!   dropped: `azure_core` 1.x cannot pass claims to a credential, and a token
//!   obtained without them would be refused again. A requested tenant is
//!   ignored (the official credential uses its own).
//! - **The refresh hint is lost** on the way into `azure_core` (which has no
//!   `refresh_on`); its bearer policy refreshes 5 minutes before expiry, and
//!   our credentials' own caches still refresh on their hint when asked.
//! - **Lean:** `azure_core` is used with default features off (no HTTP client,
//!   no TLS stack, no OpenSSL); this is the only crate in the workspace that
//!   depends on it.
//!
//! # Runtime and threads
//! This crate starts no thread and spawns no task of its own. Our credentials
//! inside `azure_core` clients still need a `tokio` 1.x runtime with its I/O and
//! time drivers (`#[tokio::main]`), with what they start beside the caller (see
//! `credential-core`: the `http-deadlines` thread of the default transport and
//! token refresh tasks).

mod convert;
mod errors;
mod from_azure;
mod to_azure;

pub use errors::{UNAVAILABLE_PREFIX, from_azure_error, to_azure_error};
pub use from_azure::FromAzureCore;
pub use to_azure::{AzureCoreCredential, into_azure_core};
