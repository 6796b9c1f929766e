//! The foundation of the credential crates: the async [`TokenCredential`]
//! trait, [`AccessToken`], [`TokenRequestOptions`], the [`CredentialError`]
//! taxonomy, the [`TokenCache`] (with an optional persistent second level,
//! [`PersistentTokenCache`]), [`ChainedTokenCredential`], the transport seam
//! ([`HttpClient`], HTTP types from the `http` 1.x crate) and the injection
//! seams bundled in [`ProviderContext`].
//!
//! Public here is what an application or an implementor of a custom
//! credential or transport needs. The plumbing the provider crates of this
//! workspace share (Entra ID requests and responses, retry internals,
//! certificates) is in a hidden `__private` module: for this workspace's
//! crates only, outside semver. Test fakes are behind the `test-util`
//! feature.
//!
//! Provider crates (`credential-env`, `credential-msi`, `credential-cli`)
//! depend on this crate only; clients such as `keyvault-secrets` depend on
//! the trait only.
//!
//! # Injection seams
//! Every external thing a credential touches is a value in
//! [`ProviderContext`]: [`Env`], [`Fs`], [`Clock`], [`HttpClient`] and
//! [`ProcessRunner`]. Production code uses [`ProviderContext::system`];
//! tests use `ProviderContext::isolated()` (feature `test-util`), which
//! sends no packet and starts no process. `clippy.toml` forbids reading the
//! environment, files, clock or spawning processes anywhere else.
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
//! `ReqwestHttpClient::builder().with_tokio_timers().build()?` uses `tokio`
//! timers instead and starts no thread.
//!
//! One kind of task is spawned on the caller's runtime: when a token in a
//! [`TokenCache`] (every credential and `SecretClient` keeps one) passes its
//! refresh point, one refresh runs as a task so that no caller waits while the
//! token is valid; [`TokenCache::with_background_refresh`]`(false)` makes the
//! caller that noticed refresh it instead (every credential builder and
//! `SecretClientBuilder` have `with_background_refresh(false)` for this). Without a runtime nothing is
//! spawned.
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
mod builder;
mod cache;
mod cache_store;
#[cfg(feature = "certificate")]
mod certificate;
mod chain;
mod chained;
mod clock;
mod cloud;
mod context;
mod credential;
mod credential_names;
mod deadline;
mod entra;
mod env;
mod env_vars;
mod error;
mod fs;
mod http;
mod options;
mod per_thread;
mod process;
mod retry;
mod secret;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use access_token::AccessToken;
pub use bearer::{BearerTokenFuture, get_bearer_token_provider};
pub use cache::TokenCache;
pub use cache_store::{CacheStore, CacheStoreError, PersistentTokenCache};
/// A client certificate and its key, read from PEM or PKCS#12 (feature
/// `certificate`).
#[cfg(feature = "certificate")]
pub use certificate::ClientCertificate;
pub use chained::{ChainedTokenCredential, ChainedTokenCredentialBuilder};
pub use clock::{Clock, SharedClock, SystemClock};
pub use cloud::CloudConfiguration;
pub use context::ProviderContext;
pub use credential::{FnCredential, TokenCredential, token_credential_fn};
pub use env::Env;
pub use error::{CredentialError, EntraDiagnostics, ErrorSource, TransportErrorKind};
pub use fs::Fs;
pub use http::{
    HttpClient, HttpClientConfigError, HttpRequest, HttpResponse, ReqwestHttpClient,
    ReqwestHttpClientBuilder, SharedHttpClient, TransportError,
};
pub use options::TokenRequestOptions;
pub use process::{
    ProcessError, ProcessOutput, ProcessRequest, ProcessRunner, SharedProcessRunner,
    SystemProcessRunner,
};
pub use retry::RetryPolicy;
pub use secret::Secret;

/// Test seams (feature `test-util`): an in-memory persistent cache store.
#[cfg(feature = "test-util")]
pub use cache_store::MemoryCacheStore;
/// Test seams (feature `test-util`): a clock that moves only when told to.
#[cfg(feature = "test-util")]
pub use clock::ManualClock;
/// Test seams (feature `test-util`): HTTP clients that send nothing, or
/// only to loopback hosts.
#[cfg(feature = "test-util")]
pub use http::{LoopbackOnlyHttpClient, NoNetworkHttpClient};
/// Test seams (feature `test-util`): a process runner that finds no program.
#[cfg(feature = "test-util")]
pub use process::NoProcessRunner;

/// The HTTP vocabulary of [`HttpRequest`] and [`HttpResponse`], from the
/// `http` 1.x crate (the types `reqwest`, `hyper` and `axum` share).
pub use ::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
/// Re-exported so implementors need not depend on it themselves.
pub use async_trait::async_trait;
/// Re-exported: [`AccessToken`]'s expiry is a `time::OffsetDateTime`, and an
/// implementor builds one without depending on `time` itself.
pub use time;

/// Plumbing shared by this workspace's crates (the provider crates,
/// `keyvault-secrets`, the emulator): Entra ID request builders and response
/// parsers, builder options and the `with_*` macro, retry internals, client
/// certificates, the persistent cache's partitions, per-thread copies and
/// environment variable names.
///
/// **For this workspace's crates only.** Not part of the public API: no
/// semver promise covers anything in here, and it may change in any release.
#[doc(hidden)]
pub mod __private {
    /// Builder options shared by the Entra ID credentials.
    pub mod builder {
        pub use crate::builder::*;
    }
    /// Persistent cache plumbing: partitions, entry encoding, the second level.
    pub mod cache_store {
        pub use crate::cache_store::{
            CachePartition, EntryKind, SecondLevel, decode_access_token, encode_access_token,
        };
    }
    /// Client certificates and their signed assertions.
    #[cfg(feature = "certificate")]
    pub mod certificate {
        pub use crate::certificate::*;
    }
    /// Microsoft Entra ID request builders, response parsers and validation.
    pub mod entra {
        pub use crate::entra::*;
    }
    /// The names of the environment variables the credentials read.
    pub mod env_vars {
        pub use crate::env_vars::*;
    }
    /// Per-thread copies of hot values.
    pub mod per_thread {
        pub use crate::per_thread::*;
    }
    /// Retry internals: the loop, `Retry-After` parsing, jitter.
    pub mod retry {
        pub use crate::retry::*;
    }
    /// The chain engine `DefaultAzureCredential` and `ChainedTokenCredential` run on.
    pub use crate::chain::{Chain, ChainHelp, ChainLink};
    /// The credential names errors carry and `AZURE_TOKEN_CREDENTIALS` takes.
    pub mod credential_names {
        pub use crate::credential_names::*;
    }
    pub use crate::http::{is_loopback, request_id, transport_error_kind, transport_with_ca_pems};
    /// Equality of secrets in time that depends only on their lengths.
    pub use crate::secret::constant_time_eq;
}
