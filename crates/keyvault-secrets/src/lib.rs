//! An async client for the Azure Key Vault secrets API.
//!
//! [`SecretClient`] takes any [`credential_core::TokenCredential`] and
//! authenticates with Key Vault's challenge protocol: the first request goes
//! without body or `Authorization`, the vault's `401` names the token
//! audience and tenant, and the client caches that per client.
//!
//! Each operation returns a request value: chain its options, then `.await`
//! it. Listings are [`Pager`]s (a `Stream`), deletes and recovers give a
//! [`Poller`] (itself awaitable).
//!
//! ```no_run
//! # async fn f(credential: credential_core::FnCredential) -> Result<(), keyvault_secrets::Error> {
//! use futures::TryStreamExt;
//! use keyvault_secrets::SecretClient;
//! let client = SecretClient::new("https://myvault.vault.azure.net", credential)?;
//! client.set_secret("api-key", "s3cr3t").content_type("text/plain").await?;
//! let secret = client.get_secret("api-key").await?;
//! println!("{} bytes", secret.value.len());
//! let mut pager = client.list_properties_of_secrets();
//! while let Some(p) = pager.try_next().await? {
//!     println!("{}", p.name);
//! }
//! client.begin_delete_secret("api-key").await?.await?;
//! # Ok(()) }
//! ```
//!
//! # Patterns
//! - Per-call control: every request value takes `.timeout(d)` (the whole
//!   operation, retries included), `.header(name, value)`, and
//!   `.with_response()` for the status and headers with the typed result
//!   ([`Response`]).
//! - Listings: [`Pager`] (items), [`Pager::into_pages`] (pages with their
//!   continuation tokens), [`Pager::continuation_token`], [`Pager::resume_token`] and
//!   [`Pager::resume`] to go on after a failure, [`Pager::max_page_size`].
//! - Long-running operations: [`Poller`] (`.await`, [`Poller::poll`],
//!   [`Poller::resume_token`]).
//! - Extension: a [`Policy`] per call or per retry, and
//!   [`SecretClient::send_request`] for operations not modelled here.
//! - Tracing: one `tracing` span per operation (per page for listings),
//!   named `SecretClient.<operation>`, with the OpenTelemetry fields
//!   `az.namespace`, `server.address`, `server.port`,
//!   `http.request.method`, `http.response.status_code`,
//!   `az.service_request_id`, `http.request.resend_count` and
//!   `error.type`; never a secret value, a body or a token.
//!
//! # Where we differ on purpose from the JS and Python SDKs
//! - **Secret names are validated before sending** (1-127 of `0-9a-zA-Z-`),
//!   and values over 25 KiB are refused, so the user gets a clear error
//!   instead of a 405/400 from the service.
//! - **Plain `http://` vault URLs are refused** unless the host is loopback
//!   (local emulators) or the builder opts in with
//!   [`SecretClientBuilder::with_insecure_http`] (which logs a warning); a
//!   token is never sent to another origin (a `nextLink` leaving the
//!   vault's origin ends the listing with an error).
//! - **Retries** (`docs/design-rules.md`): 408, 429 (with or without `Retry-After`),
//!   500, 502, 503, 504 and connection failures, for every method;
//!   exponential backoff from 0.8 s with jitter, capped at 60 s; `Retry-After`,
//!   `retry-after-ms` and `x-ms-retry-after-ms` honoured; 3 retries.
//! - **Challenge**: the challenge is cached per client (not process-wide as
//!   in Python), verified before it is cached (the vault's host against the
//!   challenge resource's, also when the vault URL has a path), and
//!   concurrent first requests share one discovery and one token request.
//!   Scope = `resource + "/.default"` (else the challenge's `scope`);
//!   tenant = the first path segment of the authorization URI (skipped for
//!   `adfs`). One retry on a CAE `insufficient_claims` challenge; a 401
//!   without a challenge is an error. A 2xx answer to the bodiless
//!   challenge request of a write is an error (the body is never sent
//!   unauthenticated).
//! - **Recover** is idempotent, as in JS: it first reads
//!   `GET /secrets/{name}/`; if the secret exists the poller is done and no
//!   recover is sent; otherwise it posts `/recover` and polls.
//! - `set_secret` omits an empty `attributes` object (as Python; JS sends `{}`).
//! - `x-ms-client-request-id` is one UUID per operation, kept across its
//!   retries (as JS), so service logs correlate the tries. The UUIDs are a
//!   random per-client prefix and a counter (version-4 layout), not fresh
//!   random numbers, so that each operation does not ask the OS for
//!   randomness.
//! - The `User-Agent` names this package (`keyvault-secrets/<version>`),
//!   not the `azsdk-` prefix reserved for Microsoft's SDKs, after the
//!   builder's [`with_application_id`](SecretClientBuilder::with_application_id).
//! - [`KeyVaultSecret::value`] is a [`SecretValue`]: it reads as a `&str`
//!   and is wiped from memory when dropped.
//!
//! # Runtime and threads
//! [`SecretClient`] is `async` and runs on a `tokio` 1.x runtime, current-thread
//! or multi-thread, with its I/O and time drivers enabled (`#[tokio::main]`, or
//! `Builder::enable_all()`; this crate enables tokio's `sync` and `time`
//! features): requests, retry back-off, per-call timeouts and poller intervals
//! use them. Called outside such a runtime, a request fails or panics as tokio
//! does.
//!
//! This crate starts no thread. It spawns one kind of task: when the client's
//! cached Key Vault token passes its refresh point, one refresh runs as a task
//! on the caller's runtime (`credential-core`'s `TokenCache`), so no request
//! waits while the token is still valid;
//! [`SecretClientBuilder::with_background_refresh`]`(false)` turns it off (the
//! request that notices refreshes inline). A client built without
//! [`SecretClientBuilder::with_http_client`] uses `credential-core`'s
//! process-wide `ReqwestHttpClient`, whose request deadlines are kept by one
//! `http-deadlines` thread per process; a transport built with
//! `ReqwestHttpClient::builder().with_tokio_timers().build()?` and passed to
//! `with_http_client` starts none.

mod challenge;
mod client;
mod error;
mod headers;
mod identifier;
mod models;
mod operations;
mod options;
mod pager;
mod pipeline;
mod policy;
mod poller;
mod request;
mod telemetry;
mod validate;
mod value;
mod wire_fast;

pub use async_trait::async_trait;
pub use client::{DEFAULT_POLL_INTERVAL, SecretClient, SecretClientBuilder};
/// What [`SecretClient::new`] and [`SecretClientBuilder`] take (a
/// credential, a transport, a retry policy), so that a client is built from
/// this crate alone.
pub use credential_core::{
    AccessToken, HttpClient, HttpResponse, RetryPolicy, SharedHttpClient, TokenCredential,
};
pub use error::{Error, ServiceError};
/// The HTTP vocabulary of [`Request`], [`Response`] and [`Policy`], from the
/// `http` 1.x crate (the types `reqwest`, `hyper` and `axum` share).
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
pub use identifier::{KeyVaultSecretIdentifier, SecretCollection};
pub use models::{DeletedSecret, KeyVaultSecret, SecretProperties};
pub use operations::{
    BackupSecret, BeginDeleteSecret, BeginRecoverDeletedSecret, GetDeletedSecret, GetSecret,
    PurgeDeletedSecret, RestoreSecretBackup, SendRequest, SetSecret, UpdateSecretProperties,
};
pub use options::ApiVersion;
pub use pager::{Page, Pager, Pages};
pub use policy::{Next, Policy};
pub use poller::{PollResult, Poller};
pub use request::{Request, Response};
pub use validate::MAX_SECRET_VALUE_BYTES;
pub use value::SecretValue;
