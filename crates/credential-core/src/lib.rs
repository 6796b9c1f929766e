//! The foundation of the credential crates: the async [`TokenCredential`]
//! trait, [`AccessToken`], [`TokenRequestOptions`], the [`CredentialError`]
//! taxonomy, the [`TokenCache`], [`ChainedTokenCredential`], the injection
//! seams bundled in [`ProviderContext`], the Microsoft Entra ID plumbing
//! ([`entra`]) and retry rules ([`retry`]) the providers share, and the
//! [`per_thread`] copies that keep the hot paths of the cache and of clients
//! from writing memory that other threads write.
//!
//! Provider crates (`credential-env`, `credential-msi`, `credential-cli`)
//! depend on this crate only; clients such as `keyvault-secrets` depend on
//! the trait only.
//!
//! # Injection seams
//! Every external thing a credential touches is a value in
//! [`ProviderContext`]: [`Env`], [`Fs`], [`Clock`], [`HttpClient`] and
//! [`ProcessRunner`]. Production code uses [`ProviderContext::system`];
//! tests use [`ProviderContext::isolated`], which sends no packet and starts
//! no process. `clippy.toml` forbids reading the environment, files, clock or
//! spawning processes anywhere else.
//!
//! # Secrets
//! Tokens, client secrets and assertions are [`Secret`]s: never in `Debug`,
//! `Display`, errors or logs.

mod access_token;
mod cache;
mod chain;
mod clock;
mod context;
mod credential;
mod deadline;
pub mod entra;
mod env;
pub mod env_vars;
mod error;
mod fs;
pub mod http;
mod options;
pub mod per_thread;
pub mod process;
pub mod retry;
mod secret;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use access_token::AccessToken;
pub use cache::{
    DEFAULT_MAX_KEYS, DEFAULT_REFRESH_OFFSET, EXPIRY_MARGIN, MAX_JITTER, REFRESH_RETRY_DELAY,
    TokenCache,
};
pub use chain::ChainedTokenCredential;
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use context::ProviderContext;
pub use credential::{FnCredential, TokenCredential, token_credential_fn};
pub use env::Env;
pub use error::{CredentialError, ErrorSource, TransportErrorKind};
pub use fs::Fs;
pub use http::{
    HttpClient, HttpRequest, HttpResponse, LoopbackOnlyHttpClient, NoNetworkHttpClient,
    ReqwestHttpClient, SharedHttpClient, TransportError,
};
pub use options::TokenRequestOptions;
pub use process::{
    ProcessError, ProcessOutput, ProcessRequest, ProcessRunner, SharedProcessRunner,
    SystemProcessRunner,
};
pub use secret::Secret;

/// Re-exported so implementors need not depend on it themselves.
pub use async_trait::async_trait;
/// The HTTP method and status types used by [`HttpRequest`] and [`HttpResponse`].
pub use reqwest::{Method, StatusCode};
