//! The foundation of the credential crates: the async [`TokenCredential`]
//! trait, [`AccessToken`], [`TokenRequestOptions`], the [`CredentialError`]
//! taxonomy, the [`TokenCache`] (with an optional persistent second level,
//! [`cache_store`]), [`ChainedTokenCredential`], the injection
//! seams bundled in [`ProviderContext`], the Microsoft Entra ID plumbing
//! ([`entra`]), retry rules ([`retry`]), builder options ([`builder`]) and,
//! with the `certificate` feature, client certificates and their signed
//! assertions (`certificate`) the providers share, and the
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
//! # Runtime and threads
//! Credentials and the HTTP transport are `async` and run on a `tokio`
//! runtime (1.x; this crate enables tokio's `rt`, `time`, `sync` and
//! `process` features, and the caller's runtime may be current-thread or
//! multi-thread). Called outside a runtime, the `reqwest` transport and the
//! process runner fail or panic as tokio does, so build the runtime first
//! (`#[tokio::main]`).
//!
//! One thread is started behind the caller's back, and only by the default
//! transport: `http-deadlines`, which keeps request timeouts for every
//! [`ReqwestHttpClient`] (one thread per process, parked while no request
//! waits; see [`ReqwestHttpClient`] for why). A transport built with
//! `ReqwestHttpClient::builder().with_tokio_timers().build()` uses `tokio`
//! timers instead and starts no thread.
//!
//! Credentials and clients built without a transport share one process-wide
//! HTTP client ([`ReqwestHttpClient::new`]): one connection pool, root
//! certificates loaded once.
//!
//! # Secrets
//! Tokens, client secrets and assertions are [`Secret`]s: never in `Debug`,
//! `Display`, errors or logs.

mod access_token;
mod bearer;
pub mod builder;
mod cache;
pub mod cache_store;
#[cfg(feature = "certificate")]
pub mod certificate;
mod chain;
mod clock;
mod cloud;
mod context;
mod credential;
pub mod credential_names;
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
pub use bearer::{BearerTokenFuture, get_bearer_token_provider};
pub use cache::{
    DEFAULT_MAX_KEYS, DEFAULT_REFRESH_OFFSET, EXPIRY_MARGIN, MAX_JITTER, REFRESH_RETRY_DELAY,
    TokenCache,
};
#[cfg(feature = "test-util")]
pub use cache_store::MemoryCacheStore;
pub use cache_store::{CacheStore, CacheStoreError, PersistentTokenCache};
pub use chain::ChainedTokenCredential;
/// The chain engine `DefaultAzureCredential` runs on (workspace-internal).
#[doc(hidden)]
pub use chain::{Chain, ChainHelp, ChainLink};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use cloud::CloudConfiguration;
pub use context::ProviderContext;
pub use credential::{FnCredential, TokenCredential, token_credential_fn};
pub use env::Env;
pub use error::{CredentialError, EntraDiagnostics, ErrorSource, TransportErrorKind};
pub use fs::Fs;
pub use http::{
    HttpClient, HttpRequest, HttpResponse, LoopbackOnlyHttpClient, NoNetworkHttpClient,
    ReqwestHttpClient, ReqwestHttpClientBuilder, SharedHttpClient, TransportError,
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
/// Re-exported: [`AccessToken`]'s expiry is a `time::OffsetDateTime`, and an
/// implementor builds one without depending on `time` itself.
pub use time;
