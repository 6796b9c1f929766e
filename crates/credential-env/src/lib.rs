//! Service-principal credentials for Microsoft Entra ID, as `@azure/identity`
//! has them, built on `credential-core`:
//!
//! - [`ClientSecretCredential`]: tenant, client id and client secret.
//! - [`ClientAssertionCredential`]: a client assertion returned by your own
//!   async callback.
//! - [`ClientCertificateCredential`]: a PEM or PKCS#12 certificate with an RSA
//!   key; the client assertion is a PS256 JWT.
//! - [`WorkloadIdentityCredential`]: a federated token file (AKS workload
//!   identity), re-read when older than 5 minutes.
//! - [`EnvironmentCredential`]: one of the above chosen from `AZURE_*`
//!   variables.
//! - [`AzurePipelinesCredential`]: an Azure DevOps service connection with
//!   workload identity federation, inside a pipeline job.
//!
//! Every credential sends `POST {authority}/{tenant}/oauth2/v2.0/token` with a
//! `client_credentials` form, retries transient failures (408, 429, 5xx,
//! connection errors), caches tokens in the core `TokenCache`, and never shows
//! secrets, keys, passwords or assertions in `Debug`, errors or logs.
//!
//! # Where we differ on purpose from the reference SDKs
//!
//! - **Username/password is not supported.** `AZURE_USERNAME` and
//!   `AZURE_PASSWORD` are ignored by [`EnvironmentCredential`]: that flow is
//!   deprecated upstream (it cannot satisfy multi-factor authentication; see
//!   <https://aka.ms/azsdk/identity/mfa>).
//! - **Blank variables are unset** (as JS, unlike Python).
//! - **Incomplete `AZURE_*` variables** make [`EnvironmentCredential`]
//!   unavailable with a message naming exactly the missing variables.
//! - **`AZURE_ADDITIONALLY_ALLOWED_TENANTS`** is honoured by
//!   [`EnvironmentCredential`] and [`WorkloadIdentityCredential`] (JS 4.13.1
//!   documents it but effectively ignores it; Python never reads it).
//! - **A tenant that is not allowed** is an `Authentication` error naming the
//!   tenant and how to allow it (JS: unavailable).
//! - **`AZURE_CLIENT_SEND_CERTIFICATE_CHAIN`** is on for `true` or `1` in any
//!   case (as JS; Python takes any non-empty value).
//! - **Certificates**: PEM *and* PKCS#12 (JS: PEM only); RSA keys only; the
//!   assertion is PS256 with `x5t#S256` (as JS; Python uses RS256 + `x5t`).
//!   The leaf is the certificate that matches the private key, wherever it
//!   sits in the file; a fresh assertion (new `jti`) is signed for every token
//!   request. The file is read on the first token request and kept.
//!   Encrypted PEM keys are refused (use PKCS#12 for a password).
//! - **Workload identity**: the token file is trimmed and re-read when older
//!   than 5 minutes (as JS; Python: raw, 10 minutes). An empty or unreadable
//!   file is an `InvalidConfiguration` error, not "unavailable".
//! - **Token requests** carry only the required fields (no MSAL telemetry)
//!   and go straight to the token endpoint (no instance discovery).
//! - **Errors name the credential**; inside [`EnvironmentCredential`] they name
//!   `EnvironmentCredential`.
//!
//! # Runtime and threads
//! The credentials are `async` and run on a `tokio` 1.x runtime, current-thread
//! or multi-thread, with its I/O and time drivers enabled (`#[tokio::main]`, or
//! `Builder::enable_all()`): requests, retry back-off and file reads
//! (certificates, the federated token file, on tokio's blocking pool) use them.
//! Called outside such a runtime, `get_token` fails or panics as tokio does.
//!
//! This crate starts no thread. Two things run beside the caller:
//! - the default transport's `http-deadlines` thread (one per process; see
//!   `credential-core`'s `ReqwestHttpClient`); pass
//!   `ReqwestHttpClient::builder().with_tokio_timers().build()?` to
//!   `with_http_client` to keep deadlines on tokio timers instead;
//! - when a cached token passes its refresh point, one refresh task is spawned
//!   on the caller's runtime (`credential-core`'s `TokenCache`), so no caller
//!   waits while the token is still valid; every builder's
//!   `with_background_refresh(false)` turns the task off (the caller that
//!   notices refreshes inline).

mod azure_pipelines;
mod client_assertion;
mod client_certificate;
mod client_secret;
mod environment;
mod options;
mod service_principal;
mod workload_identity;

pub use azure_pipelines::{AzurePipelinesCredential, AzurePipelinesCredentialBuilder};
pub use client_assertion::{ClientAssertionCredential, ClientAssertionCredentialBuilder};
pub use client_certificate::{
    ClientCertificate, ClientCertificateCredential, ClientCertificateCredentialBuilder,
};
pub use client_secret::{ClientSecretCredential, ClientSecretCredentialBuilder};
pub use environment::{EnvironmentCredential, EnvironmentCredentialBuilder};
pub use workload_identity::{WorkloadIdentityCredential, WorkloadIdentityCredentialBuilder};
