//! User sign-in credentials for Microsoft Entra ID, as `@azure/identity`
//! has them, built on `credential-core` only:
//!
//! - [`DeviceCodeCredential`]: a code to enter on any device's browser, for
//!   machines without one (SSH, containers).
//! - [`InteractiveBrowserCredential`]: the system browser, authorization
//!   code with PKCE, redirected to a loopback listener.
//! - [`AuthorizationCodeCredential`]: a code the application obtained itself.
//! - [`OnBehalfOfCredential`]: a web API calling another API as its caller.
//!
//! None of them is in `DefaultAzureCredential`'s chain.
//!
//! # Accounts and silent refresh
//! After a sign-in, tokens for other scopes, or after expiry, come silently
//! from the refresh token (`grant_type=refresh_token`, kept as Entra ID
//! rotates it); the user is prompted again only when it is refused
//! (`invalid_grant`), and only if the credential may prompt by itself
//! (`with_automatic_authentication`, on by default); otherwise the error
//! says to sign in again. `authenticate()` signs in explicitly and returns an
//! [`AuthenticationRecord`] (JSON through serde) naming the account, which a
//! later credential can be given.
//!
//! # Persistent token cache
//! With `with_persistent_token_cache`, [`DeviceCodeCredential`],
//! [`InteractiveBrowserCredential`] and [`AuthorizationCodeCredential`] write
//! the account's refresh token (each time Entra ID rotates it) and its
//! [`AuthenticationRecord`] to the cache, keyed by credential, authority,
//! tenant (as the builder named it; empty for the default), client id and
//! the account's home id. A later credential (another process) with the same
//! cache and options uses the stored refresh token silently, for the account
//! of its `AuthenticationRecord` or else the account signed in last; before
//! each silent refresh it reads the stored refresh token, so that one
//! rotated by another process is used. Client secrets are never written,
//! and a cache that fails is logged and never fails a request.
//! [`OnBehalfOfCredential`] accepts the option but keeps its tokens in
//! memory only (its tokens belong to a caller's assertion).
//!
//! # Defaults (as the reference SDKs)
//! Tenant `organizations`, the Azure developer sign-on client id
//! (`04b07795-8ddb-461a-bbee-02f9e1bf7b46`), and the requested scopes plus
//! `offline_access openid profile`. A request's `tenant_id` follows the
//! same multi-tenant rules as every other credential: it must be the
//! configured tenant or an additionally allowed one.
//!
//! # Where we differ on purpose from the reference SDKs
//! - **No shell** opens the browser: the context's process runner starts the
//!   platform's opener with the URL as one argument (on Windows `rundll32
//!   url.dll,FileProtocolHandler` rather than `cmd /c start`).
//! - **A state mismatch, an error redirect, or a browser that cannot be
//!   opened** is an error at once (the last one "unavailable", so a chain
//!   can fall through to [`DeviceCodeCredential`]); the sign-in times out
//!   after 5 minutes by default.
//! - **Device code cancellation** through a [`Cancellation`] signal as well
//!   as by dropping the future.
//! - **On-behalf-of** caches per user assertion keyed by its SHA-256, with
//!   [`OnBehalfOfCredential::for_user`] sharing one application between
//!   users; only the access token is kept (no on-behalf-of refresh token).
//! - **Accounts** live in memory for the credential's life, and also in a
//!   persistent token cache when the builder is given one
//!   (`with_persistent_token_cache`, off by default).
//! - Requests carry only the fields the flows need (no MSAL telemetry, no
//!   instance discovery).
//!
//! # Runtime and threads
//! The credentials are `async` and run on a `tokio` 1.x runtime, current-thread
//! or multi-thread, with its I/O and time drivers enabled (`#[tokio::main]`, or
//! `Builder::enable_all()`): device code polling and the browser sign-in's
//! timeout are tokio timers, and the browser sign-in listens for its redirect on
//! a loopback TCP port (`tokio::net`) for the length of the sign-in. Called
//! outside such a runtime, they fail or panic as tokio does.
//!
//! This crate starts no thread. The browser is opened as one process through
//! the process runner. Beside the caller run the default transport's
//! `http-deadlines` thread (one per process; see `credential-core`'s
//! `ReqwestHttpClient`; `with_http_client` with a transport built by
//! `ReqwestHttpClient::builder().with_tokio_timers()` avoids it) and, when a
//! cached token passes its refresh point, one silent refresh task spawned on the
//! caller's runtime (`credential-core`'s `TokenCache`), which every builder's
//! `with_background_refresh(false)` turns off (the caller that notices
//! refreshes inline).

mod auth_code;
mod browser;
mod cancel;
mod client;
mod device_code;
mod grant;
mod loopback;
mod on_behalf_of;
mod options;
mod persist;
mod pkce;
mod public;
mod record;
mod store;

pub use auth_code::{AuthorizationCodeCredential, AuthorizationCodeCredentialBuilder};
pub use browser::{InteractiveBrowserCredential, InteractiveBrowserCredentialBuilder};
pub use cancel::Cancellation;
/// A parsed client certificate, for
/// [`OnBehalfOfCredential::builder_with_certificate`].
pub use credential_core::ClientCertificate;
pub use device_code::{DeviceCodeCredential, DeviceCodeCredentialBuilder, DeviceCodeInfo};
pub use on_behalf_of::{OnBehalfOfCredential, OnBehalfOfCredentialBuilder};
pub use record::AuthenticationRecord;
